package workflows_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// console is a signer as the web console is one: an Ed25519 key that signs people's actions.
type console struct {
	t    *testing.T
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newConsole(t *testing.T) *console {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return &console{t: t, pub: pub, priv: priv}
}

func (c *console) keys() map[string]ed25519.PublicKey {
	return map[string]ed25519.PublicKey{workflows.SignerKeyID(c.pub): c.pub}
}

// sign signs in for subject/name at now and returns the input, signed.
func sign[In any, P interface {
	*In
	workflows.Signable
}](c *console, incident, update string, in In, subject, name string) *In {
	require.NoError(c.t, workflows.SignAction(c.priv, incident, update, P(&in), subject, name, time.Now()))
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
	h.do(hour, workflows.UpdateSendNotice, sign(good, id, workflows.UpdateSendNotice,
		workflows.SendNoticeInput{Obligation: ob}, "local:alice", "alice@agency.example"), "")
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
	h.do(5*hour, workflows.UpdateClose, sign(good, id, workflows.UpdateClose, workflows.CloseInput{}, "oidc:https://idp.example#42", ""), "")
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
