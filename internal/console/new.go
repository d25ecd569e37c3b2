package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/breachflow/breachflow/examples"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// The "Start an incident" page (/new): the form (newform.go), or a pasted or uploaded incident
// file. Both build the same incidentfile.File and start it the same way (startFile).

type newView struct {
	CSRF string
	// Form is the field-by-field form.
	Form *formView
	// File is the pasted incident file; Now its "discovered now" box; Errors the problems
	// found in it (shown in the file's section, which is open when FileOpen).
	File     string
	Now      bool
	Errors   []fieldError
	FileOpen bool
}

// fieldError is one problem: the field it names (empty when none) and what to fix.
type fieldError struct{ Field, Msg string }

// splitErrors lists the problems of a validation error: each joined error is one, and each
// starts with the field it names when it names one (see fieldOf).
func splitErrors(err error) []fieldError {
	var out []fieldError
	for _, e := range playbook.Problems(err) {
		field, msg := fieldOf(e.Error())
		out = append(out, fieldError{Field: field, Msg: msg})
	}
	return out
}

// exampleFile is the CBP-2019 example, which the file's text area starts with.
func exampleFile() string {
	raw, _ := examples.Files.ReadFile("cbp-2019.yaml")
	return string(raw)
}

// newPage shows the form for the playbooks the query names (?playbook=a&playbook=b), by default
// us-federal-breach, discovered now; nothing else is read from the query.
func (s *Server) newPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// Only the choice of playbooks comes from the URL: a link must not be able to fill in the
	// form (a contact's address, say) for someone who then presses Start.
	sf := readStartForm(url.Values{fieldPlaybook: q[fieldPlaybook]})
	if len(sf.Playbooks) == 0 {
		sf.Playbooks = []string{incidentfile.DefaultPlaybook}
	}
	if q.Get("discovered") == "" {
		sf.DiscoveredNow = true
	}
	fv, _ := s.formView(sf)
	v := newView{CSRF: sessionOf(r).CSRF, Form: fv, File: exampleFile(), Now: true, FileOpen: q.Get("via") == "file"}
	s.render(w, r, http.StatusOK, "new", page{Title: "Start an incident", Data: v})
}

// startIncident starts an incident from the form (via=form) or from the pasted or uploaded
// incident file.
func (s *Server) startIncident(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("via") == "form" {
		s.startFromForm(w, r)
		return
	}
	sess := sessionOf(r)
	text := r.PostFormValue("file")
	var uploadErr string
	if f, _, err := r.FormFile("upload"); err == nil {
		// One byte more than allowed tells a file too large from one that fits: never start an
		// incident from a silently truncated file.
		b, rerr := io.ReadAll(io.LimitReader(f, maxUpload+1))
		f.Close()
		switch {
		case rerr != nil:
			uploadErr = "upload: the file could not be read: " + rerr.Error() + "; upload it again or paste it"
		case len(b) > maxUpload:
			uploadErr = fmt.Sprintf("upload: the file is larger than %d KiB: an incident file is a few KiB; check you chose the right file", maxUpload>>10)
		case len(b) > 0:
			text = string(b)
		}
	}
	fv, _ := s.formView(startForm{Playbooks: []string{incidentfile.DefaultPlaybook}, DiscoveredNow: true})
	v := newView{File: text, CSRF: sess.CSRF, Now: r.PostFormValue("discovered_now") == "yes", Form: fv, FileOpen: true}
	if uploadErr != "" {
		v.Errors = []fieldError{{Msg: uploadErr}}
		s.render(w, r, http.StatusUnprocessableEntity, "new", page{Title: "Start an incident", Data: v})
		return
	}
	if sess.Auditor {
		v.Errors = []fieldError{{Msg: "you have read-only (auditor) access: you cannot start incidents"}}
		s.render(w, r, http.StatusForbidden, "new", page{Title: "Start an incident", Data: v})
		return
	}
	id, err := s.start(r.Context(), text, sess.Actor(), r.PostFormValue("discovered_now") == "yes")
	if err != nil {
		v.Errors = splitErrors(err)
		s.render(w, r, http.StatusUnprocessableEntity, "new", page{Title: "Start an incident", Data: v})
		return
	}
	http.Redirect(w, r, "/incidents/"+id+"?done=started", http.StatusSeeOther)
}

// startFromForm starts an incident from the form, or shows it again: for other playbooks
// (op=show, the "Show the fields" button), or with every problem next to its field and
// everything typed kept.
func (s *Server) startFromForm(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	sf := readStartForm(r.PostForm)
	fv, refs := s.formView(sf)
	v := newView{CSRF: sess.CSRF, Form: fv, File: exampleFile(), Now: true}
	show := func(code int) { s.render(w, r, code, "new", page{Title: "Start an incident", Data: v}) }
	switch {
	case r.PostFormValue("op") == "show":
		show(http.StatusOK)
		return
	case sess.Auditor:
		fv.addErrors(errors.New("you have read-only (auditor) access: you cannot start incidents"))
		show(http.StatusForbidden)
		return
	case refs == nil:
		show(http.StatusUnprocessableEntity) // formView has said why
		return
	case r.PostFormValue("shown") != strings.Join(sf.Playbooks, ","):
		// The boxes were changed and Start pressed without showing the new fields (no script):
		// the person has not seen what the new choice asks, nor that values typed for the old
		// one would be left out.
		fv.addErrors(errors.New("playbooks: the choice changed since these fields were shown: check the fields below for the new choice, then start the incident"))
		show(http.StatusUnprocessableEntity)
		return
	}
	pb, err := engine.LoadPlaybooks(refs, s.cfg.Templates)
	if err != nil {
		fv.addErrors(fmt.Errorf("playbooks: %w", err))
		show(http.StatusUnprocessableEntity)
		return
	}
	f, errs := sf.file(pb)
	fv.addErrors(errs...)
	if err := f.Check(); err != nil || len(errs) > 0 {
		fv.addErrors(err)
		// Input's checks too, so that every problem is shown at once.
		if _, err := f.Input(workflows.NewIncidentID(), pb, sess.Actor(), s.cfg.Now().UTC().Truncate(time.Second), false); err != nil {
			fv.addErrors(err)
		}
		show(http.StatusUnprocessableEntity)
		return
	}
	id, err := s.startFile(r.Context(), f, pb, sess.Actor(), false)
	if err != nil {
		fv.addErrors(err)
		show(http.StatusUnprocessableEntity)
		return
	}
	http.Redirect(w, r, "/incidents/"+id+"?done=started", http.StatusSeeOther)
}

// start starts an incident from an incident file's text.
func (s *Server) start(ctx context.Context, text, by string, discoveredNow bool) (string, error) {
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("file: empty: paste an incident file or choose one to upload")
	}
	f, err := incidentfile.Parse(fileLabel, []byte(text))
	if err != nil {
		return "", err
	}
	refs := f.PlaybookRefs()
	for i, ref := range refs {
		if playbook.IsPath(ref) {
			return "", fmt.Errorf("playbooks[%d]: %q is a file path: the console starts incidents on built-in playbooks only (use `starter start` for a playbook file)", i, ref)
		}
	}
	pb, err := engine.LoadPlaybooks(refs, s.cfg.Templates)
	if err != nil {
		return "", err
	}
	return s.startFile(ctx, f, pb, by, discoveredNow)
}

// startFile starts the incident of a checked file on its playbooks pb (engine.LoadPlaybooks of
// its refs).
func (s *Server) startFile(ctx context.Context, f *incidentfile.File, pb *playbook.Playbook, by string, discoveredNow bool) (string, error) {
	id := workflows.NewIncidentID()
	in, err := f.Input(id, pb, by, s.cfg.Now().UTC().Truncate(time.Second), discoveredNow)
	if err != nil {
		return "", err
	}
	_, err = s.cfg.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.IncidentWorkflowID(id), TaskQueue: workflows.TaskQueue, Memo: map[string]any{"title": in.Title},
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchIncidentStatus.ValueSet(workflows.IncidentOpen)),
	}, workflows.IncidentWorkflow, in)
	if err != nil {
		return "", fmt.Errorf("starting the incident's workflow: %w", err)
	}
	return id, nil
}
