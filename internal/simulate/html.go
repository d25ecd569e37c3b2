package simulate

import (
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/breachflow/breachflow/workflows"
)

// WriteHTML writes the report as one self-contained HTML page: the timeline chart, then the
// obligations, the events and the notes, as WriteText's tables. Inline CSS only, no script, no
// external resource; every text goes through html/template.
func (r *Report) WriteHTML(w io.Writer) error {
	loc := r.location()
	show := func(t time.Time) string { return workflows.FormatInstant(t, loc) }
	p := htmlPage{Report: r, Chart: r.Chart().HTML(), Counts: r.countsText(),
		Discovered: show(r.DiscoveredAt), End: show(r.End)}
	for _, o := range r.Obligations {
		anchor, deadline, done := cells(o, show)
		class := ""
		switch o.Outcome {
		case workflows.OutcomeMet:
			class = "met"
		case workflows.OutcomeMissed:
			class = "missed"
		}
		p.Obligations = append(p.Obligations, htmlObligation{ObligationReport: o, Anchor: anchor, Deadline: deadline, Done: done, Class: class})
	}
	for _, e := range r.Events {
		at := show(e.At)
		if e.AtUnknown {
			at = "unknown"
			if !e.KnownBy.IsZero() {
				at += " (by " + show(e.KnownBy) + ")"
			}
		}
		result := strings.ReplaceAll(e.Result, "_", " ")
		if e.Message != "" {
			result += ": " + e.Message
		}
		p.Events = append(p.Events, htmlEvent{EventReport: e, At: at, Result: result})
	}
	return simulateHTML.Execute(w, p)
}

type htmlPage struct {
	*Report
	Chart                   template.HTML
	Counts, Discovered, End string
	Obligations             []htmlObligation
	Events                  []htmlEvent
}

type htmlObligation struct {
	ObligationReport
	Anchor, Deadline, Done, Class string
}

type htmlEvent struct {
	EventReport
	At, Result string
}

var simulateHTML = template.Must(template.New("simulate").Funcs(template.FuncMap{"join": strings.Join}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What-if: {{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;background:#fff;margin:2rem auto;max-width:1200px;padding:0 1rem;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #bfbfbf;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#efefef}
tr.met td.outcome{color:#1e6b30;font-weight:bold}tr.missed td.outcome{color:#b3261e;font-weight:bold}
.chart{overflow-x:auto;margin:1rem 0}.chart svg{max-width:100%;height:auto}
ul.header{list-style:none;padding:0;color:#4d4d4d}
</style>
</head>
<body>
<h1>What-if: {{.Title}}</h1>
<ul class="header">
<li>Incident {{.IncidentFile}} under playbook {{.Playbook}} {{.PlaybookVersion}}; times in {{.TimeZone}}</li>
<li>Discovered {{.Discovered}}; simulated until {{.End}}; {{.NoticesSent}} notices sent{{if .Outbox}} (kept in {{.Outbox}}){{end}}; {{.Runs}} workflow run(s)</li>
<li>{{.Counts}}</li>
</ul>
<div class="chart">{{.Chart}}</div>
<h2>Obligations</h2>
<table>
<tr><th>Obligation</th><th>Anchor</th><th>Deadline</th><th>Done</th><th>Outcome</th><th>Detail</th></tr>
{{range .Obligations}}<tr{{if .Class}} class="{{.Class}}"{{end}}><td>{{.ID}}</td><td>{{.Anchor}}</td><td>{{.Deadline}}</td><td>{{.Done}}</td><td class="outcome">{{.Label}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
<h2>Events</h2>
<table>
<tr><th>#</th><th>At</th><th>Event</th><th>Result</th><th>Source</th></tr>
{{range .Events}}<tr><td>{{.Index}}</td><td>{{.At}}</td><td>{{.Action}} {{.Target}}</td><td>{{.Result}}</td><td>{{.Source}}</td></tr>
{{end}}</table>
{{if .Notes}}<h2>Notes</h2>
<ul>{{range .Notes}}<li>{{.Text}}{{if .Source}} ({{.Source}}){{end}}{{if .Obligations}} [{{join .Obligations ", "}}]{{end}}</li>{{end}}</ul>{{end}}
</body>
</html>
`))
