package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	historypb "go.temporal.io/api/history/v1"

	"github.com/breachflow/breachflow/workflows"
)

// act is what an Update's input says happened: the entry's actor, action, obligation and
// details, and which record lines report it.
type act struct {
	by, action, obligation string
	details                []string
	lines                  []workflows.Action
	// prefix starts the detail of the reporting line, for the fallback join.
	prefix string
	adopt  bool
}

// describe reads a decoded Update input (a pointer from workflows.NewUpdateInput).
func describe(in any) act {
	switch in := in.(type) {
	case *workflows.CompleteInput:
		a := act{by: in.By, obligation: in.Obligation, action: string(workflows.ActionCompleted), lines: []workflows.Action{workflows.ActionCompleted}}
		if !in.At.IsZero() {
			a.details = append(a.details, "done at "+stamp(in.At))
		}
		if in.Note != "" {
			a.details = append(a.details, "note: "+in.Note)
		}
		return a
	case *workflows.WaiveInput:
		return act{by: in.By, obligation: in.Obligation, action: string(workflows.ActionWaived), lines: []workflows.Action{workflows.ActionWaived},
			details: []string{"reason: " + in.Reason}}
	case *workflows.RecordFactInput:
		a := act{by: in.By, action: entryFactRecorded, lines: []workflows.Action{workflows.ActionFact}, prefix: in.Name + " = "}
		if in.Determination {
			a.action, a.lines = entryDeterminationMade, []workflows.Action{workflows.ActionDetermination}
		}
		s := in.Name + " = " + in.Value
		if !in.At.IsZero() {
			s += " as of " + stamp(in.At)
		}
		a.details = append(a.details, s)
		if in.Note != "" {
			a.details = append(a.details, "note: "+in.Note)
		}
		return a
	case *workflows.SendNoticeInput:
		// Without required approvals the request is the approval and the notice goes out; with
		// them, the record says "requested approval" and the entry takes that name.
		return act{by: in.By, obligation: in.Obligation, action: string(workflows.ActionNoticeRequested), adopt: true,
			lines: []workflows.Action{workflows.ActionNoticeRequested, workflows.ActionApprovalRequested}}
	case *workflows.ApproveInput:
		return act{by: in.By, obligation: in.Obligation, action: string(workflows.ActionApproved), lines: []workflows.Action{workflows.ActionApproved},
			details: []string{"content " + in.ContentHash}}
	case *workflows.CloseInput:
		a := act{by: in.By, action: string(workflows.ActionClosed), lines: []workflows.Action{workflows.ActionClosed}}
		if in.Force {
			a.details = append(a.details, "forced: "+in.Reason)
		}
		return a
	case *workflows.SetContactsInput:
		var who []string
		for _, c := range in.Contacts {
			who = append(who, joinNonEmpty(" ", c.Name, "<"+c.Email+">"))
		}
		return act{by: in.By, action: string(workflows.ActionContactsChanged), lines: []workflows.Action{workflows.ActionContactsChanged},
			details: []string{fmt.Sprintf("role %s: %s", in.Role, strings.Join(who, ", ")), "reason: " + in.Reason}}
	case *workflows.HoldInput:
		a := act{by: in.By, obligation: in.Obligation, action: string(workflows.ActionHold), adopt: true,
			lines:   []workflows.Action{workflows.ActionHold, workflows.ActionHoldReconfirmed},
			details: []string{fmt.Sprintf("until %s at the request of %s under %s", stamp(in.Until), in.RequestedBy, in.Authority)}}
		if in.Note != "" {
			a.details = append(a.details, "note: "+in.Note)
		}
		return a
	case *workflows.ReleaseInput:
		a := act{by: in.By, obligation: in.Obligation, action: entryHoldReleased, lines: []workflows.Action{workflows.ActionHoldEnded}}
		if in.Note != "" {
			a.details = append(a.details, "note: "+in.Note)
		}
		return a
	case *workflows.DecideInput:
		a := act{by: in.By, action: string(workflows.ActionDecided), lines: []workflows.Action{workflows.ActionDecided}, prefix: in.Decision + " = ",
			details: []string{in.Decision + " = " + in.Outcome}}
		if !in.At.IsZero() {
			a.details[0] += " as of " + stamp(in.At)
		}
		a.details = append(a.details, "rationale: "+in.Rationale)
		if in.Assessment != "" {
			a.details = append(a.details, "assessment: "+in.Assessment)
		}
		return a
	case *workflows.CorrectDiscoveryInput:
		return act{by: in.By, action: string(workflows.ActionDiscoveryCorrected), lines: []workflows.Action{workflows.ActionDiscoveryCorrected},
			details: []string{"discovered at " + stamp(in.DiscoveredAt), "reason: " + in.Reason}}
	}
	return act{}
}

func (b *builder) updateAccepted(base Entry, a *historypb.WorkflowExecutionUpdateAcceptedEventAttributes) {
	req := a.GetAcceptedRequest()
	name := req.GetInput().GetName()
	args := req.GetInput().GetArgs()
	e := base
	e.Update, e.Identity = name, req.GetMeta().GetIdentity()
	var details []string
	var what act
	in := workflows.NewUpdateInput(name)
	if in == nil {
		// An Update this build does not know: its input as JSON, and no record line joins it.
		in = new(any)
	}
	if err := b.decode(args, in); err != nil {
		e.Actor = orUnknown(e.Identity)
		details = append(details, "input not readable: "+err.Error())
	} else if what = describe(in); what.action != "" {
		e.Actor, e.Obligation, e.Action = what.by, what.obligation, what.action
		b.checkSigned(&e, name, req.GetMeta().GetUpdateId(), in)
		e.Input = reflect.ValueOf(in).Elem().Interface()
		details = what.details
	} else {
		raw := *in.(*any)
		data, _ := json.Marshal(raw)
		details = append(details, string(data))
		e.Actor, e.Input = orUnknown(e.Identity), raw
	}
	if e.Action == "" {
		e.Action = "update " + name
	}
	e.Details = strings.Join(details, "; ")
	ent := b.add(&e)
	id := req.GetMeta().GetUpdateId()
	if id == "" {
		id = a.GetProtocolInstanceId()
	}
	b.updates[id] = ent
	if len(what.lines) > 0 {
		b.expect(ent, join{actor: e.Actor, actions: what.lines, obligation: e.Obligation, updateID: id,
			prefix: what.prefix, record: true, adopt: what.adopt})
	}
}

func (b *builder) updateCompleted(a *historypb.WorkflowExecutionUpdateCompletedEventAttributes) {
	ent := b.updates[a.GetMeta().GetUpdateId()]
	if f := a.GetOutcome().GetFailure(); f != nil {
		if ent != nil {
			ent.Action += entryUpdateFailedSuffix
			ent.Details = joinNonEmpty("; ", ent.Details, "the handler failed: "+firstLine(b.failure(f)))
		}
		return
	}
	var st workflows.Status
	if err := b.decode(a.GetOutcome().GetSuccess(), &st); err == nil && st.IncidentID != "" {
		b.lastUpdate = &st
	}
}

// checkSigned sets how the actor of a person's action is known. A signed action's actor is the
// attested person (as the workflow recorded it); its signature is verified here, from the input
// in the history, against the console keys the audit was given, so the proof does not rest on
// the worker that accepted it. A signature that does not verify is a problem.
//
// A signature that names an Update ID must have arrived as that Update: the same signed action
// under another ID was sent again by someone other than the console (the workflow refuses it
// since signatures name their Update; one accepted by an older worker is a problem here).
func (b *builder) checkSigned(e *Entry, update, updateID string, in any) {
	s, ok := in.(workflows.Signable)
	if !ok {
		return
	}
	a := workflows.AttestationOf(in)
	if a == nil {
		e.Proof = ProofAsserted
		return
	}
	e.Actor, e.Subject = workflows.AttestedActor(a), a.Subject
	switch err := workflows.VerifyAction(b.consoleKeys, b.incidentID, update, s); {
	case len(b.consoleKeys) == 0:
		e.Proof = ProofUnchecked
		if b.unchecked++; b.unchecked == 1 {
			b.notes = append(b.notes, "signed actions were not checked: give the console public keys (BREACHFLOW_CONSOLE_VERIFY_KEYS or --console-key) to verify them")
		}
	case b.consoleKeys[a.KeyID] == nil:
		e.Proof = ProofInvalid
		b.problems = append(b.problems, fmt.Sprintf("run %d event %d: %s by %s (%s): signed with console key %s, which is not among the console keys given to the audit", e.Run, e.EventID, update, e.Actor, a.Subject, a.KeyID))
	case err != nil:
		e.Proof = ProofInvalid
		b.problems = append(b.problems, fmt.Sprintf("run %d event %d: %s by %s (%s): %v", e.Run, e.EventID, update, e.Actor, a.Subject, err))
	case a.UpdateID != "" && a.UpdateID != updateID:
		e.Proof = ProofInvalid
		b.problems = append(b.problems, fmt.Sprintf("run %d event %d: %s by %s (%s): signed for Update %s but accepted as Update %s: the signed action was sent again", e.Run, e.EventID, update, e.Actor, a.Subject, a.UpdateID, updateID))
	case a.UpdateID != "" && b.signedUpdates[a.UpdateID] != "":
		e.Proof = ProofInvalid
		b.problems = append(b.problems, fmt.Sprintf("run %d event %d: %s by %s (%s): Update %s was already accepted at %s: the signed action was applied twice", e.Run, e.EventID, update, e.Actor, a.Subject, a.UpdateID, b.signedUpdates[a.UpdateID]))
	default:
		e.Proof = ProofVerified
	}
	if a.UpdateID != "" && b.signedUpdates[a.UpdateID] == "" {
		if b.signedUpdates == nil {
			b.signedUpdates = map[string]string{}
		}
		b.signedUpdates[a.UpdateID] = fmt.Sprintf("run %d event %d", e.Run, e.EventID)
	}
}
