package chart

import (
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// updateGolden rewrites testdata/*.svg from the code as it is:
//
//	go test ./internal/chart/ -run TestGolden -update
//
// Look at the picture before committing it (e.g. chromium --headless --screenshot).
var updateGolden = flag.Bool("update", false, "rewrite testdata/*.svg")

// elem is an element of a parsed SVG: its name, attributes and the text directly in it.
type elem struct {
	name  string
	attrs map[string]string
	text  string
	// parents are the class attributes of its ancestors, innermost last.
	parents []string
}

// parse reads an SVG with encoding/xml (strict), failing the test on any error.
func parse(t *testing.T, svg string) []*elem {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Strict = true
	var out, stack []*elem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG is not well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &elem{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			// Classes carry a prefix so that a host page's CSS does not reach them; the tests
			// name them without it.
			if c, ok := e.attrs["class"]; ok {
				e.attrs["class"] = strings.ReplaceAll(strings.TrimPrefix(c, "tl-"), " tl-", " ")
			}
			for _, p := range stack {
				e.parents = append(e.parents, p.attrs["class"])
			}
			out, stack = append(out, e), append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	require.Empty(t, stack)
	return out
}

// withClass returns the elements whose class attribute starts with class.
func withClass(es []*elem, class string) []*elem {
	var out []*elem
	for _, e := range es {
		if c := e.attrs["class"]; c == class || strings.HasPrefix(c, class+" ") {
			out = append(out, e)
		}
	}
	return out
}

func xAttr(t *testing.T, e *elem) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attrs["data-x"], 64)
	require.NoError(t, err, "data-x of %v", e.attrs)
	return v
}

// TestSVGIsXMLWithOneRowPerObligation parses the chart of the fixture and finds one row group per
// obligation, in status order, with the accessible name and description.
func TestSVGIsXMLWithOneRowPerObligation(t *testing.T) {
	st, log := fixture()
	svg := FromStatus(st, log).SVG()
	es := parse(t, svg)
	root := es[0]
	require.Equal(t, "svg", root.name)
	require.Equal(t, "img", root.attrs["role"])
	require.Contains(t, root.attrs["aria-label"], st.IncidentID)
	require.Contains(t, root.attrs["aria-label"], "6 obligation(s)")
	require.Contains(t, root.attrs["aria-label"], "1 met, 1 missed")
	require.Equal(t, "title", es[1].name)
	require.Equal(t, "desc", es[2].name)
	require.Equal(t, root.attrs["aria-describedby"], es[2].attrs["id"])
	require.Contains(t, es[2].text, "cisa-report: clock from Fri 2019-05-31 09:00 EDT, deadline Fri 2019-05-31 10:00 EDT, done Fri 2019-05-31 13:30 EDT; missed by 3 hours 30 minutes.")

	rows := withClass(es, "row")
	require.Len(t, rows, len(st.Obligations))
	require.Equal(t, len(st.Obligations), strings.Count(svg, `<g class="tl-row" `))
	for i, o := range st.Obligations {
		require.Equal(t, o.ID, rows[i].attrs["data-obligation"])
	}
	// Outcomes are written, not only coloured.
	var verdicts []string
	for _, e := range withClass(es, "verdict") {
		verdicts = append(verdicts, e.text)
	}
	require.Equal(t, []string{"missed by 3 hours 30 minutes", "met, 3 days 4 hours early",
		"on hold until Wed 2019-06-26 09:00 EDT at", "not done, open for 20 days 3 hours (no fixed", "waived", "clock not started"}, verdicts, "long verdicts wrap at a space")
	// Legal deadlines and internal targets are drawn differently.
	require.Len(t, withClass(es, "bar legal"), 2)
	require.Len(t, withClass(es, "bar target"), 1)
	require.Len(t, withClass(es, "open-duty"), 2)
}

// TestPositionsFollowTheScale checks that marks stand where the scale puts their instants.
func TestPositionsFollowTheScale(t *testing.T) {
	st, log := fixture()
	tl := FromStatus(st, log)
	s := newScale(&tl, plotX0, plotX1)
	es := parse(t, tl.SVG())
	near := func(want float64, e *elem, what string) {
		t.Helper()
		require.InDelta(t, want, xAttr(t, e), 0.051, what)
	}

	// Markers: the fact that crossed the line and the determination, not the vendor fact.
	ms := withClass(es, "marker")
	require.Len(t, ms, 2)
	near(s.x(at(6, 10, 11, 0)), ms[0], "fact marker")
	near(s.x(at(6, 10, 14, 0)), ms[1], "determination marker")
	require.Equal(t, "fact", ms[0].attrs["data-kind"])
	require.Equal(t, "determination", ms[1].attrs["data-kind"])

	near(s.x(st.AsOf), withClass(es, "asof")[0], "now line")
	near(s.x(st.DiscoveredAt), withClass(es, "discovered")[0], "discovery line")

	done := withClass(es, "done")
	require.Len(t, done, 3)
	require.Equal(t, "done missed", done[0].attrs["class"])
	near(s.x(at(5, 31, 13, 30)), done[0], "cisa-report done late")
	require.Equal(t, "done met", done[1].attrs["class"])
	near(s.x(at(6, 14, 10, 0)), done[1], "congress-notice done")
	require.Equal(t, "done waived", done[2].attrs["class"])
	near(s.x(at(6, 4, 11, 0)), done[2], "public-statement waived (time from the record)")

	ticks := withClass(es, "tick")
	require.Len(t, ticks, 4)
	near(s.x(st.DiscoveredAt.Add(45*time.Minute)), ticks[0], "cisa reminder")
	near(s.x(st.DiscoveredAt.Add(time.Hour)), ticks[1], "cisa escalation")
	require.Equal(t, "tick escalation", ticks[1].attrs["class"])
	require.Equal(t, "tick hold-expiring", ticks[2].attrs["class"])

	// The scale itself: padded ends, linear in between.
	lo, hi := st.DiscoveredAt, at(6, 28, 17, 0) // earliest and latest instants drawn
	pad := hi.Sub(lo) * 3 / 100
	require.InDelta(t, plotX0, s.x(lo.Add(-pad)), 1e-9)
	require.InDelta(t, plotX1, s.x(hi.Add(pad)), 1e-9)
	require.InDelta(t, (plotX0+plotX1)/2, s.x(lo.Add(-pad).Add(hi.Sub(lo.Add(-pad))/2+pad/2)), 1e-6)
}

// TestFromStatus checks what the converter reads from the record: holds (ended and in force),
// ticks, markers only for changes that moved clocks, and the judgement as of the close.
func TestFromStatus(t *testing.T) {
	st, log := fixture()
	tl := FromStatus(st, log)
	require.Equal(t, AsOfNow, tl.AsOfLabel)
	require.Equal(t, st.AsOf, tl.AsOf)
	require.Len(t, tl.Markers, 2)
	require.Equal(t, "affected_count = 184000", tl.Markers[0].Label)
	require.Equal(t, []string{"major-incident-determination"}, tl.Markers[0].Moved)
	require.Equal(t, []string{"congress-notice"}, tl.Markers[1].Moved)
	le := tl.Rows[2]
	require.True(t, le.InternalTarget)
	require.Len(t, le.Holds, 1)
	require.True(t, le.Holds[0].Open)
	require.Equal(t, at(6, 26, 9, 0), le.Holds[0].Until, "a hold in force ends when the status says")
	require.Contains(t, le.Holds[0].Label, "until 2019-06-26", "the re-confirmation's words")

	// An ended hold, then the incident closed before the internal target.
	st.Obligations[2].State, st.Obligations[2].Hold = workflows.StateDue, nil
	log = append(log, workflows.LogEntry{At: at(6, 19, 9, 0), Actor: "coordinator", Action: workflows.ActionHoldEnded, Obligation: "law-enforcement"})
	st.Status, st.ClosedAt = workflows.IncidentClosed, at(6, 21, 9, 0)
	tl = FromStatus(st, log)
	require.Equal(t, AsOfClosed, tl.AsOfLabel)
	require.Equal(t, st.ClosedAt, tl.AsOf)
	le = tl.Rows[2]
	require.Equal(t, []Span{{From: at(6, 12, 9, 0), Until: at(6, 19, 9, 0), Label: le.Holds[0].Label}}, le.Holds)
	require.Equal(t, workflows.OutcomeUnfinished, le.Outcome)
	require.Equal(t, workflows.OutcomeNotDone, tl.Rows[3].Outcome)

	// Without a record: the status alone.
	tl = FromStatus(st, nil)
	require.Empty(t, tl.Markers)
	require.Empty(t, tl.Rows[0].Ticks)
	require.Len(t, tl.Rows, len(st.Obligations))
}

// TestEscaping puts markup, ampersands, quotes, control characters and invalid UTF-8 in every
// text a playbook, a fact or a person supplies: the SVG still parses, no element is injected, and
// the texts read back as written (controls dropped).
func TestEscaping(t *testing.T) {
	evil := "<script>alert(\"x\")</script> & 'q' \x00\x07\x1b\x7f\u0085 ]]> <!-- \xff\xfe end"
	st, log := fixture()
	st.IncidentID, st.Title = evil, evil
	for i := range st.Obligations {
		st.Obligations[i].ID = evil + fmt.Sprint(i)
		st.Obligations[i].Title = evil
	}
	st.Obligations[2].Hold.RequestedBy = evil
	for i := range log {
		if log[i].Obligation != "" {
			log[i].Obligation = evil + "2"
		}
		log[i].Detail = evil
	}
	log = append(log, workflows.LogEntry{At: at(6, 15, 9, 0), Actor: "a", Action: workflows.ActionDiscoveryCorrected, Detail: evil},
		workflows.LogEntry{At: at(6, 15, 9, 0), Actor: workflows.ActorEngine, Action: workflows.ActionDeadlineMoved, Obligation: evil})
	tl := FromStatus(st, log)
	tl.Notes = []string{evil}
	svg := tl.SVG()
	es := parse(t, svg)
	for _, e := range es {
		require.NotEqual(t, "script", e.name)
		require.NotContains(t, e.name, "!")
	}
	require.NotContains(t, svg, "<script")
	require.NotContains(t, svg, "\x00")
	require.NotContains(t, svg, "\x1b")
	clean := "<script>alert(\"x\")</script> & 'q' "
	require.Contains(t, es[1].text, "Timeline of "+clean, "the title reads back as written")
	rows := withClass(es, "row")
	require.Len(t, rows, len(st.Obligations))
	require.True(t, strings.HasPrefix(rows[0].attrs["data-obligation"], clean+" ]]> <!-- \uFFFD\uFFFD end"), rows[0].attrs["data-obligation"])
	require.Len(t, withClass(es, "marker"), 3, "the fact, the determination and the discovery correction that moved clocks")

	// esc alone.
	require.Equal(t, "a&amp;b&lt;c&gt;d&#34;e&#39;f g", esc("a&b<c>d\"e'f\ng"))
	require.Equal(t, "\uFFFD", esc("\xff"))
	require.Equal(t, strings.Repeat("x", maxText)+"…", esc(strings.Repeat("x", maxText+10)))
}

// TestOutputIsBounded gives one obligation thousands of reminders, escalations and holds and the
// incident thousands of clock-moving facts: the SVG stays small and says what it grouped.
func TestOutputIsBounded(t *testing.T) {
	st, log := fixture()
	base := at(6, 1, 0, 0)
	const n = 5000
	for i := range n {
		when := base.Add(time.Duration(i) * 5 * time.Minute)
		log = append(log,
			workflows.LogEntry{At: when, Actor: workflows.ActorEngine, Action: workflows.ActionReminder, Obligation: "risk-assessment"},
			workflows.LogEntry{At: when, Actor: workflows.ActorEngine, Action: workflows.ActionSkippedEscalation, Obligation: "risk-assessment", Count: 2},
			workflows.LogEntry{At: when, Actor: "c", Action: workflows.ActionHold, Obligation: "risk-assessment"},
			workflows.LogEntry{At: when.Add(time.Minute), Actor: "c", Action: workflows.ActionHoldEnded, Obligation: "risk-assessment"},
			workflows.LogEntry{At: when, Actor: "a", Action: workflows.ActionFact, Detail: "affected_count = 1"},
			workflows.LogEntry{At: when, Actor: workflows.ActorEngine, Action: workflows.ActionDeadlineMoved, Obligation: "cisa-report"},
		)
	}
	tl := FromStatus(st, log)
	require.Equal(t, 2*n+1, len(tl.Rows[3].Ticks))
	require.Equal(t, n, len(tl.Rows[3].Holds))
	require.Equal(t, n+2, len(tl.Markers))
	svg := tl.SVG()
	require.Less(t, len(svg), 80_000, "the SVG of a long incident stays small")
	es := parse(t, svg)
	counts := map[string]int{}
	drawn := map[string]int{}
	for _, e := range withClass(es, "tick") {
		c, err := strconv.Atoi(e.attrs["data-count"])
		require.NoError(t, err)
		counts[e.attrs["class"]] += c
		drawn[e.attrs["class"]]++
	}
	require.Equal(t, n+2, counts["tick reminder"], "every reminder is counted in a group (and the fixture's two)")
	require.Equal(t, 2*n+1, counts["tick escalation"], "skipped rungs count as many as they stand for (and the fixture's one)")
	require.LessOrEqual(t, drawn["tick reminder"], MaxTicksPerRow)
	require.LessOrEqual(t, drawn["tick escalation"], MaxTicksPerRow)
	require.Len(t, withClass(es, "hold"), MaxHoldsPerRow+1, "the fixture's hold in force and the capped ones")
	require.Len(t, withClass(es, "marker"), MaxMarkers)
	for _, want := range []string{"grouped", fmt.Sprintf("%d not drawn", n-MaxHoldsPerRow), fmt.Sprintf("%d more change(s) that moved clocks not drawn", n+2-MaxMarkers)} {
		require.True(t, strings.Contains(svg, want), "the picture says %q", want)
	}
}

// TestAxisTicks checks that the axis steps from hours to days to months with the span, and that
// ticks fall on round instants of the incident's zone.
func TestAxisTicks(t *testing.T) {
	for _, c := range []struct {
		span  time.Duration
		round func(time.Time) bool
		first string
	}{
		{3 * time.Hour, func(t time.Time) bool { return t.Minute() == 0 || t.Minute() == 30 }, "09:00"},
		{20 * time.Hour, func(t time.Time) bool { return t.Minute() == 0 && t.Hour()%3 == 0 }, "09:00"},
		{21 * 24 * time.Hour, func(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 && t.Weekday() == time.Monday }, "Mon 3 Jun"},
		{5 * 24 * time.Hour, func(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 }, "Sat 1 Jun"},
		{400 * 24 * time.Hour, func(t time.Time) bool { return t.Day() == 1 && t.Hour() == 0 }, "Jul"},
		{20 * 365 * 24 * time.Hour, func(t time.Time) bool { return t.YearDay() == 1 && t.Hour() == 0 }, "2020"},
	} {
		start := at(5, 31, 9, 0)
		tl := Timeline{Location: ny, Rows: []Row{{AnchorAt: start, Deadline: start.Add(c.span)}}}
		s := newScale(&tl, plotX0, plotX1)
		ticks := s.axisTicks(ny)
		require.GreaterOrEqual(t, len(ticks), 2, "span %s", c.span)
		require.LessOrEqual(t, len(ticks), maxAxisTicks, "span %s", c.span)
		for _, k := range ticks {
			require.True(t, c.round(k.at.In(ny)), "span %s: tick %s is not round", c.span, k.at.In(ny))
			require.False(t, k.at.Before(s.lo) || k.at.After(s.hi))
		}
		require.Equal(t, c.first, ticks[0].line1, "span %s", c.span)
	}
}

// TestGolden compares the fixture's chart with testdata/fixture.svg, a picture reviewed by eye.
func TestGolden(t *testing.T) {
	st, log := fixture()
	got := FromStatus(st, log).SVG()
	path := "testdata/fixture.svg"
	if *updateGolden {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test ./internal/chart/ -run TestGolden -update")
	if string(want) != got {
		require.NoError(t, os.WriteFile(path+".got", []byte(got), 0o644))
		t.Fatalf("the chart changed (see %s.got); if that is meant, run with -update and look at it", path)
	}
}

// TestHTML is the SVG, typed for html/template.
func TestHTML(t *testing.T) {
	st, log := fixture()
	tl := FromStatus(st, log)
	require.Equal(t, tl.SVG(), string(tl.HTML()))
}

// BenchmarkSVG draws a long incident: 25 obligations with 2,000 reminders and 200 holds each
// and 500 clock-moving changes. It reports the SVG's size (bytes/svg), which the caps bound.
func BenchmarkSVG(b *testing.B) {
	st, log := fixture()
	base := at(6, 1, 0, 0)
	for len(st.Obligations) < 25 {
		o := st.Obligations[3]
		o.ID = fmt.Sprintf("duty-%d", len(st.Obligations))
		st.Obligations = append(st.Obligations, o)
	}
	for _, o := range st.Obligations {
		for i := range 2000 {
			when := base.Add(time.Duration(i) * 17 * time.Minute)
			log = append(log, workflows.LogEntry{At: when, Actor: workflows.ActorEngine, Action: workflows.ActionReminder, Obligation: o.ID})
			if i%10 == 0 {
				log = append(log,
					workflows.LogEntry{At: when, Actor: "c", Action: workflows.ActionHold, Obligation: o.ID},
					workflows.LogEntry{At: when.Add(time.Minute), Actor: "c", Action: workflows.ActionHoldEnded, Obligation: o.ID})
			}
		}
	}
	for i := range 500 {
		when := base.Add(time.Duration(i) * time.Hour)
		log = append(log,
			workflows.LogEntry{At: when, Actor: "a", Action: workflows.ActionFact, Detail: "affected_count = 1"},
			workflows.LogEntry{At: when, Actor: workflows.ActorEngine, Action: workflows.ActionDeadlineMoved, Obligation: "cisa-report"})
	}
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		size = len(FromStatus(st, log).SVG())
	}
	b.ReportMetric(float64(size), "bytes/svg")
}

// TestEarlyAnchors: an anchor shortly before discovery widens the axis; one years before it does
// not squeeze the incident into a sliver: the axis starts at discovery and the row says ◀.
func TestEarlyAnchors(t *testing.T) {
	st, log := fixture()
	contractor := workflows.ObligationStatus{ID: "contractor-report", State: workflows.StateDue, AnchorAt: at(5, 13, 0, 0), Deadline: at(5, 13, 1, 0)}
	st.Obligations = append(st.Obligations, contractor)
	tl := FromStatus(st, log)
	s := newScale(&tl, plotX0, plotX1)
	require.Zero(t, s.early, "18 days before discovery, within the span after it: on the axis")
	require.True(t, s.lo.Before(at(5, 13, 0, 0)))
	require.NotContains(t, tl.SVG(), "tl-clipped")

	st.Obligations[len(st.Obligations)-1].AnchorAt = time.Date(2012, 5, 13, 0, 0, 0, 0, ny)
	st.Obligations[len(st.Obligations)-1].Deadline = time.Date(2012, 5, 13, 1, 0, 0, 0, ny)
	tl = FromStatus(st, log)
	s = newScale(&tl, plotX0, plotX1)
	require.Equal(t, time.Date(2012, 5, 13, 0, 0, 0, 0, ny), s.early)
	require.True(t, s.lo.After(time.Date(2019, 5, 1, 0, 0, 0, 0, ny)), "the axis starts near discovery, not in 2012")
	es := parse(t, tl.SVG())
	require.Len(t, withClass(es, "clipped"), 1)
	require.True(t, strings.Contains(tl.SVG(), "The axis starts at discovery: marks from Sun 2012-05-13 00:00 EDT on"))
}

// TestRegimeNamed: in a combined incident each row says which playbook it comes from.
func TestRegimeNamed(t *testing.T) {
	st, log := fixture()
	st.Obligations[1].Regime = "us-federal-breach"
	es := parse(t, FromStatus(st, log).SVG())
	var texts []string
	for _, e := range es {
		if e.name == "text" {
			texts = append(texts, e.text)
		}
	}
	require.Contains(t, texts, "us-federal-breach · Notify Congress of the …")
	require.Contains(t, texts, "Report the incident to CISA", "no regime: the title alone")
}
