package workflows

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/playbook"
)

// Proof says how the person behind an action is known. A signed action carries the
// authenticated Subject and Verified is set: its Attestation was verified against a trusted
// console key before the action was accepted, so the history itself proves who acted. An
// asserted action (the CLI's --by) has neither: its actor is what the caller typed.
type Proof struct {
	// Subject is the authenticated identity ("local:<user>", "oidc:<issuer>#<sub>").
	Subject string `json:"subject,omitempty"`
	// Verified is set when the action's signature was verified when it was accepted.
	Verified bool `json:"verified,omitempty"`
}

// Asserted reports whether the actor is only what the caller typed.
func (p Proof) Asserted() bool { return !p.Verified }

// Mark is how a person's action is labelled for readers: "signed: <subject>" or "asserted".
func (p Proof) Mark() string {
	if p.Verified {
		return "signed: " + p.Subject
	}
	return "asserted"
}

// AttestedActor is the name an attested action is recorded under: the attested Name, or the
// Subject when the signer gave none. The typed By field never wins over it.
func AttestedActor(a *Attestation) string {
	if n := NormalizeActor(a.Name); n != "" {
		return n
	}
	return NormalizeActor(a.Subject)
}

// Options configure the incident workflow of one worker.
type Options struct {
	// TrustedKeys are the console public keys whose signed actions the Update validators accept,
	// by key ID (SignerKeyID). Empty: every signed action is refused, asserted ones are accepted.
	TrustedKeys map[string]ed25519.PublicKey
}

// NewIncidentWorkflow returns IncidentWorkflow configured with opts, for registration under
// the name IncidentWorkflow (WorkflowType).
//
// The keys reach the workflow as a value captured here, at registration, not as a global read
// inside handlers: nothing can change them while the worker runs, and workflowcheck sees a
// plain read of a captured map (looked up by key, never ranged over). They are read only by
// Update validators, which the SDK runs only when an Update first arrives and never on replay
// (go.temporal.io/sdk internal/internal_update.go: `if !IsReplaying(ctx)`), so a worker with
// other keys (a rotation, or the audit's replayer with none) replays every history the same.
func NewIncidentWorkflow(opts Options) func(workflow.Context, StartIncidentInput) (*IncidentResult, error) {
	return func(ctx workflow.Context, in StartIncidentInput) (*IncidentResult, error) {
		w, err := newIncident(ctx, in, opts)
		if err != nil {
			return nil, err
		}
		return w.run(ctx)
	}
}

// MaxSignatureAge is how long after signing a signed action is accepted; MaxSignatureSkew how far
// the signer's clock may run ahead of the workflow's.
const (
	MaxSignatureAge  = 15 * time.Minute
	MaxSignatureSkew = 2 * time.Minute
)

// WorkflowType is the registered name of the incident workflow.
const WorkflowType = "IncidentWorkflow"

// proofKey carries the Proof of the action being handled in its workflow.Context.
type proofKey struct{}

// withProof returns ctx carrying p.
func withProof(ctx workflow.Context, p Proof) workflow.Context {
	return workflow.WithValue(ctx, proofKey{}, p)
}

// proofOf is the Proof of the action handled in ctx (zero outside an Update: the engine acting,
// or an asserted action).
func proofOf(ctx workflow.Context) Proof {
	p, _ := ctx.Value(proofKey{}).(Proof)
	return p
}

// AttestationOf returns the attestation an Update input (a pointer) carries, or nil.
func AttestationOf(in any) *Attestation { return attestationOf(in) }

// attestationOf returns the attestation an input carries, if any.
func attestationOf(in any) *Attestation {
	if s, ok := in.(Signable); ok {
		return s.signed().Attestation
	}
	return nil
}

// checkAttested is the first check of every validator (register puts it there, so no Update
// can be registered without it). An unsigned input passes unchanged. A signed one must verify
// against the trusted keys for this incident and this Update, its attested identity must be a
// plain line, and a typed By that names someone else is refused; then By is replaced by the
// attested person, so the validator behind it judges the person who signed.
func (w *incident) checkAttested(ctx workflow.Context, update string, in any) (Proof, error) {
	a := attestationOf(in)
	if a == nil {
		return Proof{}, nil
	}
	if err := VerifyAction(w.trusted, w.st.IncidentID, update, in.(Signable)); err != nil {
		return Proof{}, fmt.Errorf("signed action refused: %w; sign in to a console this worker trusts (%s) and act again", err, trustedHint(w.trusted))
	}
	// A signature is good for one act: for the one Update it names (the server takes an Update
	// ID once, so the same action sent again is answered, not applied again)...
	u := workflow.GetCurrentUpdateInfo(ctx)
	switch {
	case a.UpdateID == "":
		return Proof{}, errors.New("signed action refused: the signature names no Update ID, so it could be sent again as another action; the console that signed it is older than this worker: upgrade it and act again")
	case u.ID != a.UpdateID:
		return Proof{}, fmt.Errorf("signed action refused: it was signed for Update %s and arrived as another Update: a signed action is sent once, under the ID it was signed for; act again in the console", a.UpdateID)
	}
	// The server answers a known Update ID within one run; a run continued from this one has
	// not seen it, the state has.
	if at, seen := w.st.SignedUpdates[a.UpdateID]; seen {
		return Proof{}, fmt.Errorf("signed action refused: Update %s (signed at %s) was already applied, in an earlier run of this incident: a signed action is applied once; act again in the console", a.UpdateID, stamp(at))
	}
	// ...and now: one captured from a request and sent again later is refused (validators
	// never run on replay, so the workflow clock here is the arrival).
	now := workflow.Now(ctx)
	switch {
	case a.SignedAt.Before(now.Add(-MaxSignatureAge)):
		return Proof{}, fmt.Errorf("signed action refused: it was signed at %s, more than %s before it reached the incident (%s): act again in the console (a signature is not reusable later)", stamp(a.SignedAt), MaxSignatureAge, stamp(now))
	case a.SignedAt.After(now.Add(MaxSignatureSkew)):
		return Proof{}, fmt.Errorf("signed action refused: it was signed at %s, later than the incident's clock (%s): check the console's clock", stamp(a.SignedAt), stamp(now))
	}
	if err := playbook.CheckLine("attestation.subject", a.Subject, MaxActorLength); err != nil {
		return Proof{}, err
	}
	if NormalizeActor(a.Subject) == "" {
		return Proof{}, fmt.Errorf("signed action refused: attestation.subject is empty")
	}
	if err := playbook.CheckLine("attestation.name", a.Name, MaxActorLength); err != nil {
		return Proof{}, err
	}
	who := AttestedActor(a)
	if act, ok := in.(actorInput); ok {
		by := act.actor()
		if NormalizeActor(*by) != "" && !SameActor(*by, who) {
			return Proof{}, fmt.Errorf("by %q is not the person who signed this action (%s, %s): leave by empty or give the signed-in person", NormalizeActor(*by), who, a.Subject)
		}
		*by = who
	}
	return Proof{Subject: a.Subject, Verified: true}, nil
}

// samePerson reports whether two actors are one person for the two-person rule: the same
// authenticated subject, however the names differ (one login cannot approve twice under two
// names), or names SameActor takes for one (an asserted name cannot repeat a signed one's,
// and two logins with one e-mail address are one person).
func samePerson(nameA string, a Proof, nameB string, b Proof) bool {
	if a.Subject != "" && a.Subject == b.Subject {
		return true
	}
	return SameActor(nameA, nameB)
}

// trustedHint lists the trusted key IDs for a refusal, or says there are none.
func trustedHint(trusted map[string]ed25519.PublicKey) string {
	if len(trusted) == 0 {
		return "this worker trusts no console key: set BREACHFLOW_CONSOLE_VERIFY_KEYS"
	}
	return "trusted keys: " + names(trusted)
}

// rememberSigned records a signed action's Update ID as applied, and forgets the IDs whose
// signatures are too old to be accepted again anyway, so the set stays small.
func (w *incident) rememberSigned(a *Attestation, now time.Time) {
	if a == nil || a.UpdateID == "" {
		return
	}
	if w.st.SignedUpdates == nil {
		w.st.SignedUpdates = map[string]time.Time{}
	}
	for _, id := range slices.Sorted(maps.Keys(w.st.SignedUpdates)) {
		if w.st.SignedUpdates[id].Before(now.Add(-MaxSignatureAge - MaxSignatureSkew)) {
			delete(w.st.SignedUpdates, id)
		}
	}
	w.st.SignedUpdates[a.UpdateID] = a.SignedAt
}
