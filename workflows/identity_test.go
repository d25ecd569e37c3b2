package workflows_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// console is a signer as the web console is one: an Ed25519 key that signs people's actions.
type console struct {
	t    *testing.T
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	// now is the signer's clock: the test environment's, so signatures are fresh when they arrive.
	now func() time.Time
}

func newConsole(t *testing.T) *console {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return &console{t: t, pub: pub, priv: priv, now: time.Now}
}

func (c *console) keys() map[string]ed25519.PublicKey {
	return map[string]ed25519.PublicKey{workflows.SignerKeyID(c.pub): c.pub}
}

// sign signs in for subject/name at now and returns the input, signed.
func sign[In any, P interface {
	*In
	workflows.Signable
}](c *console, incident, update string, in In, subject, name string) *In {
	require.NoError(c.t, workflows.SignAction(c.priv, incident, update, uuid.NewString(), P(&in), subject, name, c.now()))
	return &in
}

// TestSignedActionsAreVerified: a signed action from a trusted console is accepted and recorded
// under the attested person, as verified; an altered one, one signed for another incident or
// another action, one from an untrusted key and one whose typed name is someone else's are
// refused with a message saying why; the two-person rule holds across names for one subject.
func TestSignedActionsAreVerified(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	good, rogue := newConsole(t), newConsole(t)
	good.now, rogue.now = h.env.Now, h.env.Now
	h.trusted = good.keys()
	in := approvalsInput(t, t0)
	id := in.IncidentID
	const ob = "congress-notice"
	var draft workflows.Preview
	hash := func() string { return draft.Rendered.ContentHash }
	approve := func(by string) workflows.ApproveInput {
		return workflows.ApproveInput{Obligation: ob, By: by, ContentHash: hash()}
	}

	// Alice requests the notice, signed in; By left empty is filled from the attestation.
	h.doLate(hour, workflows.UpdateSendNotice, func() any {
		return sign(good, id, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: ob}, "local:alice", "alice@agency.example")
	}, "")
	h.env.RegisterDelayedCallback(func() { draft = h.preview(ob) }, hour+time.Minute)
	// Refusals, each leaving no trace.
	h.doLate(2*hour, workflows.UpdateApprove, func() any {
		in := sign(good, id, workflows.UpdateApprove, approve(""), "local:bob", "bob@agency.example")
		in.ContentHash = "ffffffffffffffff" // altered after signing
		return in
	}, "does not match its content")
	h.doLate(2*hour+time.Minute, workflows.UpdateApprove, func() any {
		return sign(good, workflows.NewIncidentID(), workflows.UpdateApprove, approve(""), "local:bob", "bob@agency.example")
	}, "signed for another incident")
	h.doLate(2*hour+2*time.Minute, workflows.UpdateApprove, func() any {
		return sign(good, id, workflows.UpdateComplete, approve(""), "local:bob", "bob@agency.example")
	}, "does not match its content")
	h.doLate(2*hour+3*time.Minute, workflows.UpdateApprove, func() any {
		return sign(rogue, id, workflows.UpdateApprove, approve(""), "local:bob", "bob@agency.example")
	}, "which this worker does not trust")
	// A signature captured and sent again later is refused.
	var stale any
	h.env.RegisterDelayedCallback(func() {
		stale = sign(good, id, workflows.UpdateApprove, approve(""), "local:bob", "bob@agency.example")
	}, hour+2*time.Minute)
	h.doLate(hour+20*time.Minute, workflows.UpdateApprove, func() any { return stale }, "more than 15m0s before it reached the incident")
	// A signature is for the one Update it names: captured and sent at once as another Update,
	// it is refused; one that names no Update (an older console) is refused too.
	var captured any
	h.env.RegisterDelayedCallback(func() {
		captured = sign(good, id, workflows.UpdateApprove, approve(""), "local:bob", "bob@agency.example")
	}, 2*hour+3*time.Minute+30*time.Second)
	h.doUnder(2*hour+3*time.Minute+40*time.Second, "replayed-under-another-id", workflows.UpdateApprove, func() any { return captured }, "arrived as another Update")
	h.doLate(2*hour+3*time.Minute+50*time.Second, workflows.UpdateApprove, func() any {
		in := approve("")
		a := &workflows.Attestation{Subject: "local:bob", Name: "bob@agency.example", KeyID: workflows.SignerKeyID(good.pub), SignedAt: h.env.Now()}
		msg, err := workflows.ActionBytes(id, workflows.UpdateApprove, &in, a)
		require.NoError(t, err)
		a.Signature = ed25519.Sign(good.priv, msg)
		in.Attestation = a
		return &in
	}, "names no Update ID")
	h.doLate(2*hour+4*time.Minute, workflows.UpdateApprove, func() any {
		return sign(good, id, workflows.UpdateApprove, approve("carol@agency.example"), "local:bob", "bob@agency.example")
	}, "is not the person who signed")
	// The requester, signed in under another display name, is still the requester.
	h.doLate(2*hour+5*time.Minute, workflows.UpdateApprove, func() any {
		return sign(good, id, workflows.UpdateApprove, approve(""), "local:alice", "Alice Smith")
	}, "cannot approve")
	// Bob approves, signed; his typed name in another case is the same person.
	h.doLate(3*hour, workflows.UpdateApprove, func() any {
		return sign(good, id, workflows.UpdateApprove, approve("BOB@agency.example"), "local:bob", "bob@agency.example")
	}, "")
	// The same subject under another name cannot give the second approval.
	h.doLate(3*hour+time.Minute, workflows.UpdateApprove, func() any {
		return sign(good, id, workflows.UpdateApprove, approve(""), "local:bob", "robert@agency.example")
	}, "already approved")
	// An asserted approval under the signed approver's name is the same person too.
	h.doLate(3*hour+2*time.Minute, workflows.UpdateApprove, func() any { return approve("bob@agency.example") }, "already approved")
	h.snapshot(3*hour + 3*time.Minute)
	// Dave approves without signing (the CLI): accepted, recorded as asserted.
	h.doLate(4*hour, workflows.UpdateApprove, func() any { return approve("dave") }, "")
	h.doLate(5*hour, workflows.UpdateClose, func() any {
		return sign(good, id, workflows.UpdateClose, workflows.CloseInput{}, "oidc:https://idp.example#42", "")
	}, "")
	h.run(in)

	st := h.snaps[3*hour+3*time.Minute]
	n := noticeOf(st, "congress-notice/notice")
	require.Equal(t, "alice@agency.example", n.RequestedBy)
	require.Equal(t, workflows.Proof{Subject: "local:alice", Verified: true}, n.RequestedProof)
	require.Len(t, n.Approvals, 1, "only bob's signed approval stands")
	require.Equal(t, "bob@agency.example", n.Approvals[0].By, "recorded under the attested name, not the typed one")
	require.Equal(t, workflows.Proof{Subject: "local:bob", Verified: true}, n.Approvals[0].Proof)

	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	var approvals, closes []workflows.LogEntry
	for _, e := range res.Log {
		switch e.Action {
		case workflows.ActionApproved:
			approvals = append(approvals, e)
		case workflows.ActionClosed:
			closes = append(closes, e)
		case workflows.ActionApprovalRequested:
			require.Equal(t, "local:alice", e.Subject)
			require.True(t, e.Verified)
		case workflows.ActionNoticeReleased, workflows.ActionOpened:
			require.Empty(t, e.Subject, "the engine's lines carry no subject")
			require.False(t, e.Verified)
		}
	}
	require.Len(t, approvals, 2)
	require.Equal(t, "bob@agency.example", approvals[0].Actor)
	require.Equal(t, workflows.Proof{Subject: "local:bob", Verified: true}, approvals[0].Proof)
	require.Equal(t, "dave", approvals[1].Actor)
	require.Equal(t, workflows.Proof{}, approvals[1].Proof, "an unsigned approval is asserted")
	require.Len(t, closes, 1)
	require.Equal(t, "oidc:https://idp.example#42", closes[0].Actor, "without a name, the subject is the actor")
	require.True(t, closes[0].Verified)
	require.Equal(t, "oidc:https://idp.example#42", res.ClosedBy)
}

// TestSignedActionRefusedWithoutTrustedKeys: a worker that trusts no console key refuses every
// signed action, saying how to configure one, and still accepts asserted ones.
func TestSignedActionRefusedWithoutTrustedKeys(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	c := newConsole(t)
	in := approvalsInput(t, t0)
	h.do(hour, workflows.UpdateRecordFact, sign(c, in.IncidentID, workflows.UpdateRecordFact,
		workflows.RecordFactInput{Name: "affected_count", Value: "10"}, "local:alice", "alice"), "BREACHFLOW_CONSOLE_VERIFY_KEYS")
	h.do(2*hour, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "affected_count", Value: "10", By: "alice"}, "")
	h.do(3*hour, workflows.UpdateClose, workflows.CloseInput{By: "alice", Force: true, Reason: "test"}, "")
	h.run(in)
}

const policyPlaybook = `
format: 1
name: policy
version: "1"
title: Who may act
defaults:
  reminders: []
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  counsel: {title: General counsel, contacts: [{email: ogc@agency.example}]}
  cio: {title: CIO, contacts: [{email: cio@agency.example}]}
  oig: {title: Inspector general, contacts: [{email: oig@agency.example}]}
  congress: {title: Committees}
auditors: [oig]
facts:
  affected_count: {type: number, title: People affected}
obligations:
  - id: congress-notice
    title: Notify Congress
    citation: 44 U.S.C. 3554(b)(7)(C)(iii)
    owner: owner
    acted_by: [owner]
    anchor: discovery
    deadline: {clock: calendar_days, amount: 7}
    notice:
      template: congress-notice
      to: [congress]
      send: manual
      approvals: {count: 2, signed: true, roles: [counsel, cio]}
      completes_obligation: true
`

// TestPlaybookPolicyOnSignedActions: a notice that needs signed approvals from counsel and the
// CIO refuses an asserted approval and a signed one from anyone else; an obligation acted on by
// its owner refuses a signed request from anyone else; an auditor cannot act; MayAct, on the
// status, says the same as the validators.
func TestPlaybookPolicyOnSignedActions(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	c := newConsole(t)
	c.now = h.env.Now
	h.trusted = c.keys()
	in := testInput2(t, policyPlaybook, t0, map[string]string{"congress": "hsc@house.example"})
	id := in.IncidentID
	const ob = "congress-notice"
	var draft workflows.Preview
	approve := func(by string) workflows.ApproveInput {
		return workflows.ApproveInput{Obligation: ob, By: by, ContentHash: draft.Rendered.ContentHash}
	}
	send := func(subject, name string) func() any {
		return func() any {
			return sign(c, id, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: ob}, subject, name)
		}
	}
	h.doLate(hour, workflows.UpdateSendNotice, send("local:oig", "oig@agency.example"), "auditor of this incident (role oig)")
	h.doLate(hour+time.Minute, workflows.UpdateSendNotice, send("local:mallory", "mallory@agency.example"), `may not act on obligation "congress-notice": the playbook lets owner@agency.example (owner) act on it`)
	h.doLate(hour+2*time.Minute, workflows.UpdateSendNotice, send("local:owner", "Owner@Agency.example"), "")
	h.env.RegisterDelayedCallback(func() { draft = h.preview(ob) }, hour+3*time.Minute)
	h.doLate(2*hour, workflows.UpdateApprove, func() any { return approve("bob") },
		"this notice needs a signed approval: approve it in the console, signed in as ogc@agency.example (counsel) or cio@agency.example (cio)")
	h.doLate(2*hour+time.Minute, workflows.UpdateApprove, func() any {
		return sign(c, id, workflows.UpdateApprove, approve(""), "local:eve", "eve@agency.example")
	}, `eve@agency.example may not approve the notice of "congress-notice"`)
	// A local login whose subject is the address counts even with a display name.
	h.doLate(3*hour, workflows.UpdateApprove, func() any {
		return sign(c, id, workflows.UpdateApprove, approve(""), "local:ogc@agency.example", "General Counsel")
	}, "")
	h.snapshot(3*hour + time.Minute)
	h.doLate(4*hour, workflows.UpdateApprove, func() any {
		return sign(c, id, workflows.UpdateApprove, approve(""), "oidc:https://idp.example#7", "cio@agency.example")
	}, "")
	h.snapshot(5 * hour)
	// Adding oneself to an approver role by a typed (asserted) change is refused; signed, it is
	// accepted and recorded under the signer.
	contacts := workflows.SetContactsInput{Role: "counsel", Contacts: []playbook.Contact{{Email: "eve@agency.example"}}, Reason: "new counsel"}
	h.do(5*hour+time.Minute, workflows.UpdateSetContacts, func() workflows.SetContactsInput { c := contacts; c.By = "eve"; return c }(),
		"role counsel decides who may approve the notice of congress-notice: change its contacts in the console, signed in")
	h.doLate(5*hour+2*time.Minute, workflows.UpdateSetContacts, func() any {
		return sign(c, id, workflows.UpdateSetContacts, contacts, "local:owner", "owner@agency.example")
	}, "")
	h.do(6*hour, workflows.UpdateClose, workflows.CloseInput{By: "owner"}, "")
	h.run(in)

	st := h.snaps[3*hour+time.Minute]
	require.Equal(t, []string{"ogc@agency.example"}, st.Access.Members["counsel"])
	require.Equal(t, workflows.ApproverRule{Signed: true, Roles: []string{"counsel", "cio"}}, st.Access.Approvers[ob])
	may := func(subject, name, update string) error {
		return workflows.MayAct(st, workflows.Actor{Subject: subject, Name: name}, update, ob)
	}
	require.NoError(t, may("oidc:https://idp.example#7", "cio@agency.example", workflows.UpdateApprove))
	require.ErrorContains(t, may("local:ogc@agency.example", "Counsel again", workflows.UpdateApprove), "already approved")
	require.ErrorContains(t, may("local:owner", "owner@agency.example", workflows.UpdateApprove), "may not approve", "the requester is no approver")
	require.ErrorContains(t, may("", "cio@agency.example", workflows.UpdateApprove), "needs a signed approval")
	require.ErrorContains(t, may("local:oig", "oig@agency.example", workflows.UpdateComplete), "auditor")
	require.ErrorContains(t, may("local:eve", "eve@agency.example", workflows.UpdateWaive), "may not act")
	require.NoError(t, may("local:owner", "owner@agency.example", workflows.UpdateWaive))
	require.NoError(t, may("", "anyone", workflows.UpdateWaive), "asserted actions are not held to roles")
	require.Equal(t, "decides who may approve the notice of congress-notice", st.Access.Guarded["counsel"])
	require.ErrorContains(t, workflows.MayAct(st, workflows.Actor{Name: "eve"}, workflows.UpdateSetContacts, "counsel"), "change its contacts in the console, signed in")
	require.NoError(t, workflows.MayAct(st, workflows.Actor{Name: "eve"}, workflows.UpdateSetContacts, "congress"))

	n := noticeOf(h.snaps[5*hour], "congress-notice/notice")
	require.Equal(t, workflows.NoticeSent, n.State)
	require.Len(t, n.Approvals, 2)
	require.Equal(t, "General Counsel", n.Approvals[0].By)
	require.Equal(t, "local:ogc@agency.example", n.Approvals[0].Subject)
	require.Equal(t, "cio@agency.example", n.Approvals[1].By)
	require.True(t, n.Approvals[1].Verified)
}

// TestApproverRolesNeedContacts: an incident whose notice's approver roles have no contact is
// refused at the start, naming the roles and the fix.
func TestApproverRolesNeedContacts(t *testing.T) {
	in := testInput2(t, policyPlaybook, time.Date(2024, 3, 4, 9, 0, 0, 0, ny), map[string]string{"congress": "hsc@house.example"})
	for _, r := range []string{"counsel", "cio"} {
		role := in.Playbook.Roles[r]
		role.Contacts = nil
		in.Playbook.Roles[r] = role
	}
	require.ErrorContains(t, workflows.ValidateStart(in), "no address for the approver role(s) counsel, cio of congress-notice")
}

// TestSignedActionAppliedOnceAcrossRuns: the server answers a known Update ID only within one
// run, so the incident remembers the IDs of the signed actions it applied and carries them to
// the next run: the same signed input sent to the new run under its own Update ID is refused
// there, not applied again.
func TestSignedActionAppliedOnceAcrossRuns(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 9, 0, 0, 0, ny)
	c := newConsole(t)
	in := testInput(t, longPlaybook, t0)
	in.ContinueAfterEvents = 40
	h := newHarness(t, t0, nil)
	c.now = h.env.Now
	h.trusted = c.keys()
	var signed any
	h.doLate(time.Hour, workflows.UpdateComplete, func() any {
		signed = sign(c, in.IncidentID, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report"}, "local:alice", "alice@agency.example")
		return signed
	}, "")
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, h.env.GetWorkflowError(), &can, "the small event budget hands over to a new run")
	var next workflows.StartIncidentInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Contains(t, next.Carried.SignedUpdates, workflows.UpdateIDOf(signed), "the applied signed action's Update ID is carried")

	h2 := newHarness(t, h.env.Now(), nil)
	c.now = h2.env.Now
	h2.trusted = c.keys()
	h2.doLate(time.Minute, workflows.UpdateComplete, func() any { return signed }, "already applied, in an earlier run")
	h2.do(2*time.Minute, workflows.UpdateClose, workflows.CloseInput{By: "a", Force: true, Reason: "test over"}, "")
	h2.run(next)
}
