package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/playbook"
)

// Facts and determinations: the record-fact Update.

func (w *incident) validateRecordFact(ctx workflow.Context, in RecordFactInput) error {
	if err := w.checkOpen(in.By); err != nil {
		return err
	}
	if err := checkPast(ctx, "at", in.At); err != nil {
		return err
	}
	if err := checkNotes("note", in.Note); err != nil {
		return err
	}
	_, err := w.normalize(in)
	return err
}

// normalize checks a fact or determination against the playbook and returns its canonical value.
func (w *incident) normalize(in RecordFactInput) (string, error) {
	pb := &w.st.Playbook
	if in.Determination {
		if _, ok := pb.Determinations[in.Name]; !ok {
			return "", fmt.Errorf("unknown determination %q: the playbook declares %s", in.Name, names(pb.Determinations))
		}
		v, err := playbook.NormalizeFact(playbook.FactDef{Type: playbook.FactBool}, in.Value)
		if err != nil {
			return "", fmt.Errorf("determination %s: %w", in.Name, err)
		}
		return v, nil
	}
	def, ok := pb.Facts[in.Name]
	if !ok {
		return "", fmt.Errorf("unknown fact %q: the playbook declares %s", in.Name, names(pb.Facts))
	}
	v, err := playbook.NormalizeFact(def, in.Value)
	if err != nil {
		return "", fmt.Errorf("fact %s: %w", in.Name, err)
	}
	return v, nil
}

func (w *incident) recordFact(ctx workflow.Context, in RecordFactInput) (Status, error) {
	now := workflow.Now(ctx)
	v, err := w.normalize(in)
	if err != nil {
		// Only on replay of a history an older, more lenient build accepted: keep what was given.
		v = strings.TrimSpace(in.Value)
	}
	at := in.At
	if at.IsZero() {
		at = now
	}
	rec := FactRecord{Value: v, At: at, RecordedAt: now, By: in.By, Note: in.Note, Proof: proofOf(ctx)}
	if in.Determination {
		w.st.Determinations[in.Name] = append(w.st.Determinations[in.Name], rec)
		w.act(ctx, in.By, ActionDetermination, "", fmt.Sprintf("%s = %s as of %s", in.Name, v, stamp(at))).Fact = in.Name
	} else {
		w.st.Facts[in.Name] = append(w.st.Facts[in.Name], rec)
		w.act(ctx, in.By, ActionFact, "", fmt.Sprintf("%s = %s as of %s", in.Name, v, stamp(at))).Fact = in.Name
	}
	return w.after(ctx)
}
