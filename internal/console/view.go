package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/breachflow/breachflow/internal/chart"
	"github.com/breachflow/breachflow/workflows"
)

// pageNames are the pages under assets/pages; each is parsed with the layout.
var pageNames = []string{"login", "list", "incident", "preview", "timeline", "new"}

var funcs = template.FuncMap{
	"instant": func(t time.Time, loc *time.Location) string { return workflows.FormatInstant(t, loc) },
	"iso": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"duration": workflows.FormatDuration,
	"short": func(h string) string {
		if len(h) > 12 {
			return h[:12]
		}
		return h
	},
	"join": strings.Join,
	"args": func(v *incidentView, form string) formArgs { return formArgs{V: v, F: form} },
}

// formArgs passes the page and a form's name to the templates shared by the action forms.
type formArgs struct {
	V *incidentView
	F string
}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "assets/pages/layout.html", "assets/pages/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// page is what every page's layout needs.
type page struct {
	Title   string
	Session *Session
	Poll    int // milliseconds between polls of a live page; 0 for none
	Data    any
}

// render writes a page; the buffer keeps a template error from leaving half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.Session = sessionOf(r)
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("rendering the page failed"))
		s.cfg.Logger.Error("console template", "page", name, "error", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// renderBlock writes one named block of a page (the live part of the incident page).
func (s *Server) renderBlock(w http.ResponseWriter, r *http.Request, name, block string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, block, data); err != nil {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("rendering the page failed"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// staticFiles serves the embedded CSS and JS, cacheable for an hour.
func staticFiles(fsys fs.FS) http.Handler {
	h := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps a post-login redirect on this site: a path, never another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// obligationRow is one obligation as the incident page shows it.
type obligationRow struct {
	workflows.ObligationStatus
	Outcome  string
	Overdue  bool
	Running  bool
	Deadline string
	// Yours: the signed-in person may act on it (playbook acted_by and auditors, workflows.MayAct).
	Yours bool
	// Quote is the rule's own words, where the playbook quotes it.
	Quote string
}

// incidentView is the data of the incident page and of its live part.
type incidentView struct {
	ID          string
	St          workflows.Status
	Loc         *time.Location
	Zone        string
	Version     string
	Obligations []obligationRow
	Facts       []workflows.LogEntry
	Record      []workflows.LogEntry
	// Chart is the incident's timeline as inline SVG (internal/chart), every text escaped.
	Chart template.HTML
	// UIURL is the incident's workflow in the Temporal UI, when the console knows the UI.
	UIURL  string
	Open   bool
	CanAct bool
	Err    *formError
	Form   map[string]string
	Done   string
	CSRF   string
}

// formError is a refusal shown next to the form (and field) it concerns.
type formError struct {
	Form, Field, Msg string
}

func buildIncidentView(d incidentData, now time.Time, sess *Session) *incidentView {
	st := d.Status
	v := &incidentView{ID: st.IncidentID, St: st, Loc: st.Location(), Zone: st.Location().String(), Version: version(d),
		Open: st.Status != workflows.IncidentClosed}
	v.CanAct = v.Open && sess != nil && !sess.Auditor
	if sess != nil {
		v.CSRF = sess.CSRF
	}
	for _, o := range st.Obligations {
		j := workflows.Judge(o, now, false)
		if st.Status == workflows.IncidentClosed && !st.ClosedAt.IsZero() {
			j = workflows.Judge(o, st.ClosedAt, true)
		}
		row := obligationRow{ObligationStatus: o, Outcome: j.Phrase(v.Loc), Deadline: workflows.FormatInstant(o.Deadline, v.Loc)}
		row.Yours = sess != nil && workflows.MayAct(st, sess.Who(), workflows.UpdateComplete, o.ID) == nil
		row.Quote = d.Rules[o.ID].Quote
		row.Running = !o.Deadline.IsZero() && (o.State == workflows.StateDue || o.State == workflows.StateOverdue)
		row.Overdue = o.State == workflows.StateOverdue
		if o.Deadline.IsZero() && o.State == workflows.StateDue {
			row.Deadline = "none fixed"
		}
		v.Obligations = append(v.Obligations, row)
	}
	for _, l := range d.Log {
		if l.Fact != "" && (l.Action == workflows.ActionFact || l.Action == workflows.ActionDetermination || l.Action == workflows.ActionDeterminationImplied) {
			v.Facts = append(v.Facts, l)
		}
	}
	v.Chart = chart.FromStatus(st, d.Log).HTML()
	v.Record = slices.Clone(d.Log)
	slices.Reverse(v.Record)
	return v
}

// ErrFor is the refusal of a form, if that form was the one refused.
func (v *incidentView) ErrFor(form string) string {
	if v.Err != nil && v.Err.Form == form {
		return v.Err.Msg
	}
	return ""
}

// Val is a value the person typed into a form that was refused, so nothing typed is lost.
func (v *incidentView) Val(form, field string) string {
	if v.Form != nil && v.Form["form"] == form {
		return v.Form[field]
	}
	return ""
}
