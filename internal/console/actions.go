package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
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

// Coordinator actions: each form is one Update, signed for the signed-in person, whose `by`
// is that person's e-mail, never a form field. A refusal (the validator's message, as the CLI
// prints it) is shown next to the form, and nothing changes.

// act handles POST /incidents/{id}/act/{action}.
func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	sess, id, action := sessionOf(r), r.PathValue("id"), r.PathValue("action")
	form := map[string]string{"form": action}
	for k, v := range r.PostForm {
		if k != "csrf" && len(v) > 0 {
			form[k] = v[0]
		}
	}
	if sess.Auditor {
		s.refuse(w, r, action, "", "you have read-only (auditor) access: you may see everything and act on nothing", form)
		return
	}
	st, err := s.status(r.Context(), id)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	loc, by, ob := st.Location(), sess.Actor(), form["obligation"]
	at := func(field string) (time.Time, error) { return parseLocal(form[field], loc, field) }
	ctx := r.Context()
	switch action {
	case "complete":
		t, err := at("at")
		if err == nil {
			_, err = update(ctx, s, sess, id, workflows.Updates.Complete, workflows.CompleteInput{Obligation: ob, By: by, At: t, Note: form["note"]})
		}
		s.after(w, r, action, "obligation", err, form)
	case "waive":
		_, err := update(ctx, s, sess, id, workflows.Updates.Waive, workflows.WaiveInput{Obligation: ob, By: by, Reason: form["reason"]})
		s.after(w, r, action, "reason", err, form)
	case "send":
		_, err := update(ctx, s, sess, id, workflows.Updates.SendNotice, workflows.SendNoticeInput{Obligation: ob, By: by})
		s.after(w, r, action, "obligation", err, form)
	case "fact":
		t, err := at("at")
		if err == nil {
			_, err = update(ctx, s, sess, id, workflows.Updates.RecordFact, workflows.RecordFactInput{
				Name: strings.TrimSpace(form["name"]), Value: form["value"], Determination: form["determination"] == "yes", By: by, At: t, Note: form["note"]})
		}
		s.after(w, r, action, "value", err, form)
	case "decide":
		_, err := update(ctx, s, sess, id, workflows.Updates.Decide, workflows.DecideInput{
			Decision: strings.TrimSpace(form["decision"]), Outcome: strings.TrimSpace(form["outcome"]), Rationale: form["rationale"], Assessment: form["assessment"], By: by})
		s.after(w, r, action, "rationale", err, form)
	case "hold":
		t, err := at("until")
		if err == nil {
			_, err = update(ctx, s, sess, id, workflows.Updates.Hold, workflows.HoldInput{
				Obligation: ob, By: by, RequestedBy: form["requested_by"], Authority: form["authority"], Until: t, Note: form["note"]})
		}
		s.after(w, r, action, "until", err, form)
	case "release":
		_, err := update(ctx, s, sess, id, workflows.Updates.Release, workflows.ReleaseInput{Obligation: ob, By: by, Note: form["note"]})
		s.after(w, r, action, "obligation", err, form)
	case "close":
		_, err := update(ctx, s, sess, id, workflows.Updates.Close, workflows.CloseInput{By: by, Force: form["force"] == "yes", Reason: form["reason"]})
		s.after(w, r, action, "reason", err, form)
	case "approve":
		_, err := update(ctx, s, sess, id, workflows.Updates.Approve, workflows.ApproveInput{Obligation: ob, By: by, ContentHash: form["content_hash"]})
		if err != nil {
			s.showPreviewOf(w, r, ob, refusal(err))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/incidents/%s/notices/%s?done=approved", id, ob), http.StatusSeeOther)
	default:
		http.Error(w, "unknown action "+action, http.StatusNotFound)
	}
}

// after answers an action: back to the page on success, the page with the refusal otherwise.
func (s *Server) after(w http.ResponseWriter, r *http.Request, action, field string, err error, form map[string]string) {
	if err != nil {
		s.refuse(w, r, action, field, refusal(err), form)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/incidents/%s?done=%s#record", r.PathValue("id"), action), http.StatusSeeOther)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, action, field, msg string, form map[string]string) {
	if action == "approve" {
		s.showPreviewOf(w, r, form["obligation"], msg)
		return
	}
	s.showIncident(w, r, http.StatusUnprocessableEntity, &formError{Form: action, Field: field, Msg: msg}, form)
}

func (s *Server) showPreviewOf(w http.ResponseWriter, r *http.Request, obligation, msg string) {
	r.SetPathValue("obligation", obligation)
	s.showPreview(w, r, http.StatusUnprocessableEntity, msg)
}

// parseLocal reads a datetime-local field (no zone: the incident's zone) or RFC 3339; empty is
// zero (now, for the actions that take a time).
func parseLocal(v string, loc *time.Location, field string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: give a date and time, e.g. 2019-06-10T18:00 (in the incident's zone, %s)", field, v, loc)
}

type newView struct {
	File   string
	Now    bool
	Errors []fieldError
	CSRF   string
}

// fieldError is one line of a validation error: the field it names and what to fix.
type fieldError struct{ Field, Msg string }

func splitErrors(err error) []fieldError {
	var out []fieldError
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		field, msg, ok := strings.Cut(line, ": ")
		if !ok || strings.ContainsAny(field, " \"") {
			field, msg = "", line
		}
		out = append(out, fieldError{Field: field, Msg: msg})
	}
	return out
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request) {
	raw, _ := examples.Files.ReadFile("cbp-2019.yaml")
	s.render(w, r, http.StatusOK, "new", page{Title: "Start an incident", Data: newView{File: string(raw), Now: true, CSRF: sessionOf(r).CSRF}})
}

// startIncident starts an incident from the pasted or uploaded incident file.
func (s *Server) startIncident(w http.ResponseWriter, r *http.Request) {
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
	v := newView{File: text, CSRF: sess.CSRF, Now: r.PostFormValue("discovered_now") == "yes"}
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

func (s *Server) start(ctx context.Context, text, by string, discoveredNow bool) (string, error) {
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("file: empty: paste an incident file or choose one to upload")
	}
	f, err := incidentfile.Parse("incident", []byte(text))
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
