package audit

import (
	"html/template"
	"io"
	"strings"
)

// FormatHTML is the self-contained HTML report: the verdict, the timeline chart and the tables
// of the Markdown report per incident, with inline CSS only (no script, no external resource).
const FormatHTML = "html"

// WriteHTML writes the report as one self-contained HTML page. Every text goes through
// html/template; the charts are SVG built from escaped parts (internal/chart).
func WriteHTML(w io.Writer, rep *Report) error {
	page := htmlPage{Report: rep}
	for _, ir := range rep.Incidents {
		hi := htmlIncident{IncidentReport: ir, Verdict: ir.Verdict(), OK: ir.OK(), Header: headerLines(ir, rep)}
		if tl := ir.Chart(); tl != nil {
			hi.Chart = tl.HTML()
		}
		for i, r := range ir.Runs {
			hi.Runs = append(hi.Runs, htmlRun{N: i + 1, RunReport: r, First: stamp(r.FirstEventTime), Last: stamp(r.LastEventTime)})
		}
		for _, e := range ir.Timeline {
			hi.Timeline = append(hi.Timeline, htmlEntry{At: stamp(e.At), Actor: actorLabel(e), Action: e.Action, Obligation: orDash(e.Obligation), Details: entryDetails(e)})
		}
		for _, o := range ir.Obligations {
			hi.Obligations = append(hi.Obligations, htmlObligation{ObligationAudit: o, Deadline: deadlineText(o), Done: stamp(doneAt(o)),
				By: orDash(o.DoneBy), Outcome: outcomeText(o), Class: outcomeClass(o)})
		}
		for _, o := range rulesOf(ir.Obligations) {
			hi.Rules = append(hi.Rules, htmlRule{ID: o.ID, Label: ruleLabel(o), Quote: o.Quote})
		}
		page.Incidents = append(page.Incidents, hi)
	}
	return htmlReport.Execute(w, page)
}

type htmlPage struct {
	*Report
	Incidents []htmlIncident
}

type htmlIncident struct {
	*IncidentReport
	Verdict     string
	OK          bool
	Header      []string
	Chart       template.HTML
	Runs        []htmlRun
	Timeline    []htmlEntry
	Obligations []htmlObligation
	Rules       []htmlRule
}

type htmlRule struct {
	ID, Label, Quote string
}

type htmlRun struct {
	RunReport
	N           int
	First, Last string
}

type htmlEntry struct {
	At, Actor, Action, Obligation, Details string
}

type htmlObligation struct {
	ObligationAudit
	Deadline, Done, By, Outcome, Class string
}

func outcomeClass(o ObligationAudit) string {
	switch o.Outcome {
	case OutcomeMet:
		return "met"
	case OutcomeMissed:
		return "missed"
	}
	return ""
}

var htmlReport = template.Must(template.New("audit").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(htmlTemplate))

// htmlTemplate is the page. Its CSP forbids anything but the inline style, so a report opened
// in a browser can load nothing and run nothing whatever the histories hold.
const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Incident audit</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;background:#fff;margin:2rem auto;max-width:1200px;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-top:2px solid #1a1a1a;padding-top:1rem;margin-top:2.5rem}h3{font-size:1.05rem;margin-top:1.6rem}
.verdict{display:inline-block;padding:.1rem .5rem;border-radius:3px;font-weight:bold;color:#fff}
.passed{background:#1e6b30}.failed{background:#b3261e}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #bfbfbf;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#efefef}
tr.met td.outcome{color:#1e6b30;font-weight:bold}tr.missed td.outcome{color:#b3261e;font-weight:bold}
.chart{overflow-x:auto;margin:1rem 0}.chart svg{max-width:100%;height:auto}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
pre{white-space:pre-wrap;background:#f6f6f6;border:1px solid #bfbfbf;padding:.5rem}
ul.header{list-style:none;padding:0;color:#4d4d4d}
</style>
</head>
<body>
<h1>Incident audit</h1>
{{range .Incidents}}
<section>
<h2>{{if .IncidentID}}{{.IncidentID}}{{else}}-{{end}} <span class="verdict {{if .OK}}passed{{else}}failed{{end}}">{{.Verdict}}</span></h2>
{{if .Title}}<p><strong>{{.Title}}</strong></p>{{end}}
<ul class="header">{{range .Header}}<li>{{.}}</li>{{end}}</ul>
{{if .Chart}}<h3>Timeline chart</h3>
<div class="chart">{{.Chart}}</div>{{end}}
<h3>Histories</h3>
<table>
<tr><th>#</th><th>Run ID</th><th>File</th><th>Events</th><th>First event</th><th>Last event</th><th>Last event type</th><th>SHA-256</th><th>Hash</th><th>Replay</th></tr>
{{range .Runs}}<tr><td>{{.N}}</td><td>{{or .RunID "-"}}</td><td>{{or .File "-"}}</td><td>{{.Events}}</td><td>{{.First}}</td><td>{{.Last}}</td><td>{{or .LastEvent "-"}}</td><td><code>{{or .SHA256 "-"}}</code></td><td>{{.Hash}}</td><td>{{or .Replay "-"}}</td></tr>
{{end}}</table>
{{if .Timeline}}<h3>Timeline (UTC)</h3>
<table>
<tr><th>Time</th><th>Actor</th><th>Action</th><th>Obligation</th><th>Details</th></tr>
{{range .Timeline}}<tr><td>{{.At}}</td><td>{{.Actor}}</td><td>{{.Action}}</td><td>{{.Obligation}}</td><td>{{.Details}}</td></tr>
{{end}}</table>{{end}}
{{if .Obligations}}<h3>Obligations</h3>
<p>From the {{.StatusFrom}}.</p>
<table>
<tr><th>Obligation</th><th>Title</th><th>State</th><th>Deadline</th><th>Done</th><th>By</th><th>Outcome</th></tr>
{{range .Obligations}}<tr{{if .Class}} class="{{.Class}}"{{end}}><td>{{.ID}}</td><td>{{.Title}}</td><td>{{.State}}</td><td>{{.Deadline}}</td><td>{{.Done}}</td><td>{{.By}}</td><td class="outcome">{{.Outcome}}</td></tr>
{{end}}</table>{{end}}
{{if .Rules}}<h3>The rules behind the deadlines</h3>
<dl class="rules">{{range .Rules}}<dt>{{.ID}}</dt><dd>{{.Label}}{{if .Quote}}<blockquote>{{.Quote}}</blockquote>{{end}}</dd>
{{end}}</dl>{{end}}
{{if .Notes}}<h3>Notes</h3>
<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Problems}}<h3>Problems</h3>
{{range .Problems}}<pre>{{.}}</pre>
{{end}}{{end}}
</section>
{{end}}
<h2>Summary</h2>
<table>
<tr><th>Incidents</th><th>Histories</th><th>Replayed OK</th><th>Failed</th><th>Hash mismatches</th><th>Replay failures</th><th>Obligations met</th><th>Obligations missed</th></tr>
<tr><td>{{.Summary.Incidents}}</td><td>{{.Summary.Histories}}</td><td>{{.Summary.ReplayedOK}}</td><td>{{.Summary.Failed}}</td><td>{{.Summary.HashMismatches}}</td><td>{{.Summary.ReplayFailures}}</td><td>{{.Summary.ObligationsMet}}</td><td>{{.Summary.ObligationsMissed}}</td></tr>
</table>
{{if .Skipped}}<p>Skipped (not workflow histories): {{join .Skipped ", "}}</p>{{end}}
</body>
</html>
`
