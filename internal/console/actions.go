package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

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
	t, ok, err := parseWallClock(v, loc)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("%s %q: %w", field, v, err)
	case ok:
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: give a date and time, e.g. 2019-06-10T18:00 (in the incident's zone, %s)", field, v, loc)
}

// parseWallClock reads a datetime-local value (a wall-clock time, no zone) in loc. ok is false
// when v is not one. A time the clocks skipped in loc (the hour lost when daylight saving time
// starts) is an error, never moved silently to another hour; a time they passed twice (the hour
// repeated when it ends) is the first of the two.
func parseWallClock(v string, loc *time.Location) (t time.Time, ok bool, err error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		t, err := time.ParseInLocation(layout, v, loc)
		if err != nil {
			continue
		}
		if t.Format(layout) != v {
			return time.Time{}, false, fmt.Errorf("there is no such time in %s (the clocks skipped it, e.g. when daylight saving time began): check the hour", loc)
		}
		// Go picks either instant of a repeated hour; take the earlier one, always.
		for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
			if e := t.Add(-back); e.In(loc).Format(layout) == v {
				return e, true, nil
			}
		}
		return t, true, nil
	}
	return time.Time{}, false, nil
}
