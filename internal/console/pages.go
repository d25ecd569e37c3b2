package console

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/icalexport"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

type loginView struct {
	Next, Login, Error, CSRF string
	Local                    bool
	OIDCLabel                string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

// showLogin renders the login form with a fresh login-CSRF token in the pre-login cookie.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, code int, v loginView) {
	v.CSRF = newToken()
	v.Local = s.cfg.Users.Len() > 0
	if s.oidc != nil {
		v.OIDCLabel = s.oidc.cfg.Label
	}
	if err := s.cookies.set(w, preCookie, oidcState{State: v.CSRF}, time.Hour); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, code, "login", page{Title: "Sign in", Data: v})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var pre oidcState
	ck, err := r.Cookie(preCookie)
	if err != nil || s.cookies.open(ck.Value, &pre) != nil || !validCSRF(r, pre.State) {
		http.Error(w, "refused: the form carries no valid CSRF token (reload the sign-in page and try again)", http.StatusForbidden)
		return
	}
	login, password := strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	v := loginView{Next: safeNext(r.PostFormValue("next")), Login: login}
	now := s.cfg.Now()
	keys := []string{"ip:" + clientIP(r), "login:" + login}
	if wait := s.limiter.blocked(now, keys...); wait > 0 {
		v.Error = fmt.Sprintf("Too many failed sign-ins from this address or for this login. Try again in %s.", waitText(wait))
		s.showLogin(w, r, http.StatusTooManyRequests, v)
		return
	}
	u, ok := s.cfg.Users.Authenticate(login, password)
	if !ok {
		s.limiter.fail(now, keys...)
		v.Error = "The login or the password is wrong."
		s.showLogin(w, r, http.StatusUnauthorized, v)
		return
	}
	sess := Session{Subject: "local:" + u.Login, Name: u.Name, Email: u.Email, Auditor: u.Auditor, CSRF: newToken(), Expires: now.Add(sessionTTL)}
	if err := s.cookies.set(w, sessionCookie, sess, sessionTTL); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.cookies.clear(w, preCookie)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.cookies.clear(w, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type listView struct {
	Filter, Q string
	Rows      []listRow
	Filters   []string
}

func (s *Server) listPage(w http.ResponseWriter, r *http.Request) {
	filter, q := r.URL.Query().Get("filter"), strings.TrimSpace(r.URL.Query().Get("q"))
	if !slices.Contains([]string{"open", "overdue", "closed", "all"}, filter) {
		filter = "open"
	}
	rows, err := s.listIncidents(r.Context(), listQuery(filter))
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	if q != "" {
		lq := strings.ToLower(q)
		rows = slices.DeleteFunc(rows, func(x listRow) bool {
			return !strings.Contains(strings.ToLower(x.Title), lq) && !strings.Contains(strings.ToLower(x.IncidentID), lq)
		})
	}
	slices.SortStableFunc(rows, func(a, b listRow) int {
		if a.NextDeadline.IsZero() != b.NextDeadline.IsZero() {
			if a.NextDeadline.IsZero() {
				return 1
			}
			return -1
		}
		return a.NextDeadline.Compare(b.NextDeadline)
	})
	s.render(w, r, http.StatusOK, "list", page{Title: "Incidents", Poll: int(s.cfg.PollInterval.Milliseconds()) * 2,
		Data: listView{Filter: filter, Q: q, Rows: rows, Filters: []string{"open", "overdue", "closed", "all"}}})
}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request) {
	s.showIncident(w, r, http.StatusOK, nil, nil)
}

// showIncident renders the incident page, with a refusal next to its form when err is set.
func (s *Server) showIncident(w http.ResponseWriter, r *http.Request, code int, ferr *formError, form map[string]string) {
	d, err := s.incident(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	s.withRules(r.Context(), r.PathValue("id"), &d)
	v := buildIncidentView(d, s.cfg.Now(), sessionOf(r))
	if s.cfg.TemporalUI != "" {
		v.UIURL = engine.WorkflowUIURL(s.cfg.TemporalUI, s.cfg.Namespace, workflows.IncidentWorkflowID(v.ID))
	}
	v.Err, v.Form, v.Done = ferr, form, r.URL.Query().Get("done")
	s.render(w, r, code, "incident", page{Title: d.Status.Title, Poll: int(s.cfg.PollInterval.Milliseconds()), Data: v})
}

func (s *Server) versionJSON(w http.ResponseWriter, r *http.Request) {
	d, err := s.incident(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "{\"version\":%q}\n", version(d))
}

func (s *Server) liveFragment(w http.ResponseWriter, r *http.Request) {
	d, err := s.incident(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	s.withRules(r.Context(), r.PathValue("id"), &d)
	s.renderBlock(w, r, "incident", "live", buildIncidentView(d, s.cfg.Now(), sessionOf(r)))
}

type previewView struct {
	ID, Obligation, Source string
	P                      workflows.Preview
	R                      templates.Rendered
	Lapsed                 []workflows.LogEntry
	Pending, CanApprove    bool
	// WhyNot says why the signed-in person may not approve (the playbook's approver rules).
	WhyNot string
	Err    string
	Done   string
	CSRF   string
}

// notice returns an obligation's preview and the content it shows: the exact content awaiting
// approval or sent, else rendered now from the incident's current facts.
func (s *Server) notice(ctx context.Context, id, obligation string) (previewView, error) {
	p, err := s.preview(ctx, id, obligation)
	if err != nil {
		return previewView{}, err
	}
	v := previewView{ID: id, Obligation: obligation, P: p, Source: "the exact content awaiting approval"}
	switch {
	case p.Rendered != nil:
		v.R = *p.Rendered
		if p.State == workflows.NoticeSent {
			v.Source = "the content sent"
		}
	case p.Data != nil && s.cfg.Templates != nil:
		if v.R, err = s.cfg.Templates.Render(p.Template, *p.Data); err != nil {
			return v, err
		}
		v.Source = "rendered now from the incident's current facts; not yet requested"
	default:
		return v, errors.New("this obligation has no notice to preview")
	}
	v.Pending = p.Rendered != nil && p.ApprovalsNeeded > len(p.Approvals) && p.State != workflows.NoticeSent && p.State != workflows.NoticeCancelled
	return v, nil
}

func (s *Server) previewPage(w http.ResponseWriter, r *http.Request) {
	s.showPreview(w, r, http.StatusOK, "")
}

func (s *Server) showPreview(w http.ResponseWriter, r *http.Request, code int, refused string) {
	id, ob := r.PathValue("id"), r.PathValue("obligation")
	v, err := s.notice(r.Context(), id, ob)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	// Approvals given for an earlier text: the record keeps them; the notice no longer counts them.
	if d, err := s.incident(r.Context(), id); err == nil {
		for _, l := range d.Log {
			if l.Action == workflows.ActionApproved && l.Obligation == ob && v.R.ContentHash != "" && !strings.Contains(l.Detail, v.R.ContentHash) {
				v.Lapsed = append(v.Lapsed, l)
			}
		}
		v.CanApprove = v.Pending && !sessionOf(r).Auditor && d.Status.Status != workflows.IncidentClosed
		if v.CanApprove {
			// The playbook's approver rules, as the validator applies them: say why not up front.
			if err := workflows.MayAct(d.Status, sessionOf(r).Who(), workflows.UpdateApprove, ob); err != nil {
				v.CanApprove, v.WhyNot = false, err.Error()
			}
		}
	}
	v.Err, v.Done, v.CSRF = refused, r.URL.Query().Get("done"), sessionOf(r).CSRF
	s.render(w, r, code, "preview", page{Title: "Notice of " + ob, Data: v})
}

// previewHTML serves the notice's HTML for the sandboxed frame: a CSP of its own blocks every
// script, form, plugin and remote load, whatever the template put in it.
func (s *Server) previewHTML(w http.ResponseWriter, r *http.Request) {
	v, err := s.notice(r.Context(), r.PathValue("id"), r.PathValue("obligation"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, v.R.HTML)
}

type timelineView struct {
	ID      string
	Report  *audit.IncidentReport
	Loc     *time.Location
	Problem string
}

func (s *Server) timelinePage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	rep, err := audit.Audit(ctx, audit.Source{IncidentID: id, Client: s.cfg.Client}, audit.Options{DataConverter: s.cfg.DataConverter})
	if rep == nil || len(rep.Incidents) == 0 {
		if err == nil {
			err = errors.New("no history found")
		}
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	v := timelineView{ID: id, Report: rep.Incidents[0], Loc: time.UTC}
	if st, err := s.status(ctx, id); err == nil {
		v.Loc = st.Location()
	}
	if err != nil {
		v.Problem = err.Error()
	}
	s.render(w, r, http.StatusOK, "timeline", page{Title: "Timeline of " + id, Data: v})
}

func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", st.IncidentID+".ics"))
	_, _ = io.WriteString(w, icalexport.Build(st, s.cfg.Now()))
}

// export writes the incident's export (every run's history and its manifest, as `starter
// export` does) into a temporary folder and sends it as a zip.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	tmp, err := os.MkdirTemp("", "breachflow-export-")
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	if _, err := audit.Export(ctx, s.cfg.Client, id, tmp); err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+"-export.zip"))
	zw := zip.NewWriter(w)
	err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		f, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(f, src)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		s.cfg.Logger.Warn("console export failed mid-stream", "error_type", fmt.Sprintf("%T", err))
	}
}
