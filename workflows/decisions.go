package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/playbook"
)

// DecideInput records a decision (the playbook's decisions): an outcome, the rationale and the
// assessment it rests on. A later decision supersedes an earlier one; both stay on the record.
type DecideInput struct {
	Signed
	// Decision is the decision's ID from the playbook, e.g. notify_individuals.
	Decision string `json:"decision"`
	// Outcome is one of the decision's outcomes (default yes or no).
	Outcome string `json:"outcome"`
	// Rationale says why; required (at most playbook.MaxNoteLen characters).
	Rationale string `json:"rationale"`
	// Assessment names what the decision rests on: a document ID, or an obligation such as
	// risk-assessment.
	Assessment string `json:"assessment,omitempty"`
	By         string `json:"by"`
	// At is when the decision was made; zero means now. Not in the future.
	At time.Time `json:"at,omitzero"`
}

// DecisionRecord is one recorded decision.
type DecisionRecord struct {
	Outcome    string    `json:"outcome"`
	Rationale  string    `json:"rationale"`
	Assessment string    `json:"assessment,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	// Proof says whether By signed the decision.
	Proof
}

// DecisionStatus is one decision in a Status: the latest outcome and every decision before it.
type DecisionStatus struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Latest is the decision in force.
	Latest DecisionRecord `json:"latest"`
	// History holds every decision, oldest first (the last is Latest).
	History []DecisionRecord `json:"history"`
}

// ImpliedDetermination is a determination the facts make by definition (the playbook's
// implied_by), e.g. major_incident implied by affected_count = 184000.
type ImpliedDetermination struct {
	Determination string `json:"determination"`
	// Fact and Value are the deciding fact and the value that made the conditions hold.
	Fact  string `json:"fact"`
	Value string `json:"value"`
	// At is when that value became known: the determination counts as made then.
	At time.Time `json:"at"`
}

// String says it as the status and the record do.
func (d ImpliedDetermination) String() string {
	return fmt.Sprintf("%s = true, implied by %s = %s as of %s", d.Determination, d.Fact, d.Value, stamp(d.At))
}

func (in *DecideInput) actor() *string { return &in.By }

func (w *incident) validateDecide(ctx workflow.Context, in DecideInput) error {
	if err := w.checkOpen(in.By); err != nil {
		return err
	}
	def, ok := w.st.Playbook.Decisions[in.Decision]
	if !ok {
		return fmt.Errorf("decision: unknown decision %q: the playbook declares %s", in.Decision, names(w.st.Playbook.Decisions))
	}
	if !slices.Contains(def.AllowedOutcomes(), in.Outcome) {
		return fmt.Errorf("outcome: %q is not an outcome of %s: use one of %s", in.Outcome, in.Decision, strings.Join(def.AllowedOutcomes(), ", "))
	}
	if strings.TrimSpace(in.Rationale) == "" {
		return errors.New("rationale is required: say why, and on what assessment (an auditor will read it)")
	}
	if err := checkNotes("rationale", in.Rationale); err != nil {
		return err
	}
	if err := playbook.CheckLine("assessment", in.Assessment, playbook.MaxTitleLen); err != nil {
		return fmt.Errorf("%w (name the document or obligation the decision rests on)", err)
	}
	return checkPast(ctx, "at", in.At)
}

func (w *incident) decide(ctx workflow.Context, in DecideInput) (Status, error) {
	now := workflow.Now(ctx)
	at := in.At
	if at.IsZero() {
		at = now
	}
	if w.st.Decisions == nil {
		w.st.Decisions = map[string][]DecisionRecord{}
	}
	w.st.Decisions[in.Decision] = append(w.st.Decisions[in.Decision], DecisionRecord{
		Outcome: in.Outcome, Rationale: in.Rationale, Assessment: in.Assessment, By: in.By, At: at, RecordedAt: now, Proof: proofOf(ctx),
	})
	detail := fmt.Sprintf("%s = %s as of %s: %s", in.Decision, in.Outcome, stamp(at), in.Rationale)
	if in.Assessment != "" {
		detail += " (assessment: " + in.Assessment + ")"
	}
	w.act(ctx, in.By, ActionDecided, "", detail).Fact = in.Decision
	return w.after(ctx)
}

// latestDecision returns the decision in force.
func (w *incident) latestDecision(id string) (DecisionRecord, bool) {
	h := w.st.Decisions[id]
	if len(h) == 0 {
		return DecisionRecord{}, false
	}
	return h[len(h)-1], true
}

// currentDecisions holds each decision's latest outcome, by ID.
func (w *incident) currentDecisions() map[string]string {
	ds := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(w.st.Decisions)) {
		if d, ok := w.latestDecision(id); ok {
			ds[id] = d.Outcome
		}
	}
	return ds
}

// decisionsStatus lists the recorded decisions, by ID.
func (w *incident) decisionsStatus() []DecisionStatus {
	var out []DecisionStatus
	for _, id := range slices.Sorted(maps.Keys(w.st.Decisions)) {
		h := w.st.Decisions[id]
		out = append(out, DecisionStatus{ID: id, Title: w.st.Playbook.Decisions[id].Title, Latest: h[len(h)-1], History: slices.Clone(h)})
	}
	return out
}

// applies evaluates an obligation's conditions on the current facts and decisions; when one
// does not hold it says why (a decision's rationale, for a condition on a decision).
func (w *incident) applies(def *playbook.Obligation) (bool, string) {
	for _, c := range def.When {
		if c.Decision != "" {
			d, decided := w.latestDecision(c.Decision)
			if c.HoldsDecision(d.Outcome, decided) {
				continue
			}
			if !decided {
				return false, fmt.Sprintf("decision %s not yet made", c.Decision)
			}
			return false, fmt.Sprintf("decision %s = %s by %s: %s", c.Decision, d.Outcome, d.By, d.Rationale)
		}
		v, set := w.currentFact(c.Fact)
		if !c.Holds(w.st.Playbook.Facts[c.Fact], v, set) {
			return false, notApplicableFacts
		}
	}
	return true, ""
}

// notApplicableFacts is the record's reason when a condition on facts does not hold.
const notApplicableFacts = "its condition on facts does not hold"

// implied returns the determination's implication by facts, if its implied_by conditions all
// hold now. For each condition, the value that decides is the first of the latest run of
// recorded values for which it holds (a count corrected below the line and raised again counts
// from the raise), and it counts from the earliest time any value of that run was known; the
// determination is implied from the latest of those times across the conditions.
func (w *incident) implied(id string) (ImpliedDetermination, bool) {
	pb := &w.st.Playbook
	conds := pb.Determinations[id].ImpliedBy
	if len(conds) == 0 {
		return ImpliedDetermination{}, false
	}
	d := ImpliedDetermination{Determination: id}
	for _, c := range conds {
		fdef, h := pb.Facts[c.Fact], w.st.Facts[c.Fact]
		if len(h) == 0 {
			if !c.Holds(fdef, "", false) {
				return ImpliedDetermination{}, false
			}
			continue
		}
		if !c.Holds(fdef, h[len(h)-1].Value, true) {
			return ImpliedDetermination{}, false
		}
		first := h[len(h)-1]
		for i := len(h) - 1; i >= 0 && c.Holds(fdef, h[i].Value, true); i-- {
			if !h[i].At.After(first.At) {
				first = h[i]
			}
		}
		if d.Fact == "" || first.At.After(d.At) {
			d.Fact, d.Value, d.At = c.Fact, first.Value, first.At
		}
	}
	if d.Fact == "" {
		d.At = w.st.DiscoveredAt
	}
	return d, true
}

// impliedAll lists the implied determinations in force, by ID.
func (w *incident) impliedAll() []ImpliedDetermination {
	var out []ImpliedDetermination
	for _, id := range slices.Sorted(maps.Keys(w.st.Playbook.Determinations)) {
		if d, ok := w.implied(id); ok {
			out = append(out, d)
		}
	}
	return out
}

// recordImplied writes a record line whenever a determination becomes implied by the facts,
// its implied time moves, or it stops being implied.
func (w *incident) recordImplied(now time.Time) {
	pb := &w.st.Playbook
	for _, id := range slices.Sorted(maps.Keys(pb.Determinations)) {
		if len(pb.Determinations[id].ImpliedBy) == 0 {
			continue
		}
		d, ok := w.implied(id)
		prev, had := w.st.Implied[id]
		switch {
		case ok && (!had || !prev.Equal(d.At)):
			if w.st.Implied == nil {
				w.st.Implied = map[string]time.Time{}
			}
			w.st.Implied[id] = d.At
			w.log(now, ActorEngine, ActionDeterminationImplied, "", d.String()).Fact = d.Fact
		case !ok && had:
			delete(w.st.Implied, id)
			w.log(now, ActorEngine, ActionDeterminationImplied, "", id+" is no longer implied: its conditions on facts stopped holding")
		}
	}
}

// anchorTime returns when the obligation's clock started, if it has: for an earliest-of
// anchor, the earliest of those that happened.
func (w *incident) anchorTime(def *playbook.Obligation) (time.Time, bool) {
	var first time.Time
	var started bool
	for _, a := range def.Anchor {
		if t, ok := w.anchorRefTime(a); ok && (!started || t.Before(first)) {
			first, started = t, true
		}
	}
	return first, started
}

// anchorRefTime returns when a single anchor happened, if it has.
func (w *incident) anchorRefTime(anchor string) (time.Time, bool) {
	kind, ref, _ := playbook.ParseAnchor(anchor)
	switch kind {
	case playbook.AnchorDiscovery:
		return w.st.DiscoveredAt, true
	case playbook.AnchorDetermination:
		// The latest determination counts: a correction of when it was made moves the clock.
		// The facts may make it earlier (implied_by): the earlier of the two counts.
		var at time.Time
		var ok bool
		if h := w.st.Determinations[ref]; len(h) > 0 && h[len(h)-1].Value == "true" {
			at, ok = h[len(h)-1].At, true
		}
		if d, implied := w.implied(ref); implied && (!ok || d.At.Before(at)) {
			at, ok = d.At, true
		}
		return at, ok
	case playbook.AnchorFact:
		def := w.st.Playbook.Facts[ref]
		// A date fact is itself the anchor: the clock runs from the date it gives (the
		// contractor's own discovery time), and a corrected date moves the clock.
		if def.Type == playbook.FactDate && w.dateAnchors {
			if h := w.st.Facts[ref]; len(h) > 0 {
				if t, err := time.Parse(time.RFC3339, h[len(h)-1].Value); err == nil {
					return t, true
				}
			}
			return time.Time{}, false
		}
		// Otherwise the clock starts when the fact first became true or non-empty; later changes
		// of its value do not restart it.
		for _, r := range w.st.Facts[ref] {
			if playbook.Truthy(def, r.Value) {
				return r.At, true
			}
		}
	case playbook.AnchorObligation:
		o, _ := w.obligation(ref)
		switch {
		case o == nil:
		case o.State == StateDone:
			return o.CompletedAt, true
		case o.State == StateWaived:
			return o.WaivedAt, true
		}
	case playbook.AnchorNotice:
		if n := w.notice(OwnNoticeKey(ref)); n != nil && n.State == NoticeSent {
			return n.SentAt, true
		}
	case playbook.AnchorDecision:
		if d, ok := w.latestDecision(ref); ok {
			return d.At, true
		}
	}
	return time.Time{}, false
}
