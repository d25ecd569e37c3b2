package console

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/breachflow/breachflow/workflows"
)

// The incident page's weight and time to first render, for an incident of 15 obligations and
// 100 record lines (issue 13's yardstick):
//
//	go test ./internal/console -run '^$' -bench 'IncidentPage' -benchtime 20x

// syntheticIncident is an incident of 15 obligations in every state and 100 record lines.
func syntheticIncident(now time.Time) incidentData {
	st := workflows.Status{
		IncidentID: "INC-00000000-0000-4000-8000-000000000015", Title: "Traveler and license-plate images copied to a subcontractor network and stolen",
		Status: workflows.IncidentOpen, DiscoveredAt: now.Add(-50 * time.Hour), PlaybookName: "us-federal-breach", PlaybookVersion: "2026.3",
		TimeZone: "America/New_York", AsOf: now, Facts: map[string]string{}, Determinations: map[string]string{"major_incident": "true"},
	}
	states := []string{workflows.StateDue, workflows.StateOverdue, workflows.StateDone, workflows.StatePending, workflows.StateOnHold, workflows.StateWaived, workflows.StateNotApplicable}
	for i := range 15 {
		o := workflows.ObligationStatus{
			ID: fmt.Sprintf("obligation-%02d", i), Title: fmt.Sprintf("Obligation number %d of the incident, with a title of typical length", i),
			Citation: "44 U.S.C. 3554(b)(7)(C)(iii)(III)(aa)", State: states[i%len(states)], Source: "primary",
			DeadlineKind: []string{"legal", "internal_target"}[i%2], AnchorAt: now.Add(-50 * time.Hour),
			Deadline: now.Add(time.Duration(i-5) * 7 * time.Hour), DeadlineNote: "within seven days of the determination",
		}
		if o.State == workflows.StateOnHold {
			o.Hold = &workflows.Hold{RequestedBy: "FBI Cyber Division", Authority: "request of the Attorney General", From: now.Add(-time.Hour), Until: now.Add(48 * time.Hour)}
		}
		st.Obligations = append(st.Obligations, o)
	}
	for i := range 10 {
		st.Facts[fmt.Sprintf("fact_%02d", i)] = "a value of typical length for a fact of the incident"
		st.Notices = append(st.Notices, workflows.NoticeRecord{
			Key: workflows.NoticeKey(fmt.Sprintf("obligation-%02d/notice", i)), Obligation: fmt.Sprintf("obligation-%02d", i), State: workflows.NoticeSent,
			Subject: "[INC-…] Notification of a major incident to Congress", To: []string{`"Homeland Security Committee staff" <hsc@house.example>`},
			SentAt: now.Add(-time.Duration(i) * time.Hour), Transport: "smtp", MessageID: fmt.Sprintf("<obligation-%02d.notice.0123456789abcdef@inc.breachflow>", i), Receipt: "250 2.0.0 Ok: queued as 4F2A1",
		})
	}
	st.Decisions = []workflows.DecisionStatus{{ID: "notify_individuals", Title: "Notify individuals", Latest: workflows.DecisionRecord{Outcome: "no", Rationale: "low risk of harm", By: "privacy@agency.example", At: now}}}
	st.Decisions[0].History = []workflows.DecisionRecord{st.Decisions[0].Latest}
	var log []workflows.LogEntry
	for i := range 100 {
		l := workflows.LogEntry{At: now.Add(-time.Duration(100-i) * 30 * time.Minute), Actor: "coordinator@agency.example", Action: workflows.ActionCompleted,
			Obligation: fmt.Sprintf("obligation-%02d", i%15), Detail: "a note of typical length: scope confirmed, one port of entry, six weeks of images"}
		if i%5 == 0 {
			l.Action, l.Fact, l.Obligation, l.Detail = workflows.ActionFact, "fact_01", "", "fact_01 = a value as of 2019-06-10T18:00:00Z"
		}
		log = append(log, l)
	}
	return incidentData{Status: st, Log: log}
}

// benchServer is the console's pages and assets without Temporal: the incident page is
// rendered from the synthetic incident, exactly as the live handler renders it.
func benchServer(b *testing.B) (*Server, http.Handler) {
	pages, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	static, _ := fs.Sub(assets, "assets/static")
	s := &Server{pages: pages, static: static, cfg: Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, PollInterval: time.Hour}}
	sess := &Session{Subject: "local:coordinator", Name: "Incident Coordinator", Email: "coordinator@agency.example", CSRF: "token"}
	d := syntheticIncident(time.Now())
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))
	mux.HandleFunc("GET /incident", func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
		s.render(w, r, http.StatusOK, "incident", page{Title: d.Status.Title, Poll: 3600000, Data: buildIncidentView(d, s.cfg.Now(), sess)})
	})
	return s, securityHeaders(mux)
}

// BenchmarkIncidentPage renders the incident page on the server and reports its weight: the
// HTML and the CSS and JS it loads (uncompressed bytes).
func BenchmarkIncidentPage(b *testing.B) {
	_, h := benchServer(b)
	css, _ := fs.ReadFile(assets, "assets/static/console.css")
	js, _ := fs.ReadFile(assets, "assets/static/console.js")
	var html int
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/incident", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		html = rec.Body.Len()
	}
	b.ReportMetric(float64(html), "html-bytes")
	b.ReportMetric(float64(html+len(css)+len(js)), "page-bytes")
}

// BenchmarkIncidentPageFirstRender loads the page in headless Chromium and reports the median
// first contentful paint from the start of navigation (loopback: server render, transfer,
// parse, CSS and JS included).
func BenchmarkIncidentPageFirstRender(b *testing.B) {
	_, h := benchServer(b)
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := newBrowser(b)
	var fcps []float64
	for b.Loop() {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/incident"), chromedp.WaitVisible(chromedp.ID("live"))); err != nil {
			b.Fatal(err)
		}
		v, err := chromedp.Run(ctx, chromedp.Poll[float64](`(performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime || 0`, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			b.Fatal(err)
		}
		fcps = append(fcps, v)
	}
	slices.Sort(fcps)
	b.ReportMetric(fcps[len(fcps)/2], "fcp-ms")
}
