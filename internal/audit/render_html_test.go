package audit

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/chart"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// TestHTMLEscapesEverything puts markup in every text an audit shows: the page holds no element
// it did not write itself, the chart still parses as XML, and nothing loads or runs.
func TestHTMLEscapesEverything(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	at := time.Date(2026, 11, 23, 11, 20, 0, 0, time.UTC)
	ir := &IncidentReport{
		IncidentID: "INC-" + evil, Title: evil, Source: evil, Status: workflows.IncidentOpen,
		Runs:        []RunReport{{RunID: evil, File: evil, LastEvent: evil, Hash: HashOK, Replay: ReplayOK}},
		Timeline:    []Entry{{At: at, Actor: evil, Action: evil, Obligation: evil, Details: evil, Record: evil}},
		Obligations: []ObligationAudit{{ID: evil, Title: evil, State: workflows.StateDue, Verdict: evil, WaiveReason: evil}},
		Notes:       []string{evil},
		Problems:    []string{evil},
		chart: &chart.Timeline{IncidentID: evil, Title: evil, AsOf: at.Add(time.Hour),
			Rows:    []chart.Row{{ID: evil, Title: evil, AnchorAt: at, Deadline: at.Add(time.Hour), Label: evil}},
			Markers: []chart.Marker{{At: at, Kind: chart.MarkerFact, Label: evil, Moved: []string{evil}}}},
	}
	rep := &Report{Source: evil, Incidents: []*IncidentReport{ir}, Skipped: []string{evil}}
	var out bytes.Buffer
	require.NoError(t, Write(&out, rep, FormatHTML))
	page := out.String()

	require.NotContains(t, page, "<script")
	require.NotContains(t, page, "<img")
	require.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Equal(t, 1, strings.Count(page, "<svg "), "one chart")
	require.Contains(t, page, `content="default-src 'none'; style-src 'unsafe-inline'"`, "the page may load and run nothing")
	for _, external := range []string{"src=\"", "href=\"http", "@import", "url(http"} {
		require.NotContains(t, page, external)
	}

	// The chart embedded in the page is the chart, well-formed.
	svg := page[strings.Index(page, "<svg "):]
	svg = svg[:strings.Index(svg, "</svg>")+len("</svg>")]
	require.Equal(t, ir.Chart().SVG(), svg+"\n")
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
}

// TestReportsQuoteTheRules: the Markdown and HTML reports name the rule behind each deadline,
// quote it where the playbook does (escaped in HTML), and say when a deadline is an internal
// target no rule sets.
func TestReportsQuoteTheRules(t *testing.T) {
	rep := &Report{Incidents: []*IncidentReport{{IncidentID: "INC-1", Obligations: []ObligationAudit{
		{ID: "congress", Citation: "FISMA 2014 sec. 2(d)(1)", Source: "primary", Quote: `not later than 30 days <b>"after"</b>`},
		{ID: "triage", Citation: "DHS guidance", DeadlineKind: playbook.DeadlineInternalTarget},
		{ID: "none"},
		{ID: "sly", Citation: "x", Quote: "1. [click](http://evil.example) ![i](http://t.example/p.gif) `code` &lt;b&gt; \\*"},
	}}}}
	var md, html bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, rep))
	require.NoError(t, WriteHTML(&html, rep))
	require.Contains(t, md.String(), "- **congress** — FISMA 2014 sec. 2(d)(1) (primary source)\n  > not later than 30 days")
	require.Contains(t, md.String(), "- **triage** — DHS guidance; the deadline is an internal target: no rule sets it")
	require.NotContains(t, md.String(), "**none**", "an obligation with no rule is not listed")
	// A playbook's quote cannot make a link, an image, a code span, an entity or a list.
	require.Contains(t, md.String(), "  > 1\\. \\[click\\](http://evil.example) !\\[i\\](http://t.example/p.gif) \\`code\\` &amp;lt;b&amp;gt; \\\\\\*\n")
	require.Contains(t, html.String(), "<blockquote>not later than 30 days &lt;b&gt;&#34;after&#34;&lt;/b&gt;</blockquote>")
	require.NotContains(t, html.String(), "<b>")
}
