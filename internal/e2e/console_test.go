package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/workflows"
)

// testConsole is the console signing key of the end-to-end tests: fixed (derived from a
// constant), so that a recorded history's signatures verify in later audits with the committed
// public half (workflows/testdata/incident-signed.console-key). A test key, nothing else.
var testConsole = func() *signer {
	seed := sha256.Sum256([]byte("breachflow e2e test console key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return &signer{priv: priv, pub: priv.Public().(ed25519.PublicKey)}
}()

// signer signs actions as the web console does for a signed-in person.
type signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// keys is what a worker trusting this console is configured with.
func (s *signer) keys() map[string]ed25519.PublicKey {
	return map[string]ed25519.PublicKey{workflows.SignerKeyID(s.pub): s.pub}
}

// sign signs in as subject/name and returns the input, signed.
func (s *signer) sign(t testing.TB, incident, update string, in workflows.Signable, subject, name string) workflows.Signable {
	t.Helper()
	require.NoError(t, workflows.SignAction(s.priv, incident, update, uuid.NewString(), in, subject, name, time.Now()))
	return in
}

// TestSignedActionsOnRealServer: on a real server, a worker that trusts the console accepts its
// signed action and records the attested person as verified; a signature by another key is
// refused and leaves no trace; a live audit given the console's public key verifies the action
// from the history, and one given no key says it could not.
func TestSignedActionsOnRealServer(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")})
	id, _ := startCBP(t, s.client)
	seed := sha256.Sum256([]byte("another console"))
	rogue := &signer{priv: ed25519.NewKeyFromSeed(seed[:])}

	_, err := update(t, s.client, id, workflows.UpdateComplete, rogue.sign(t, id, workflows.UpdateComplete,
		&workflows.CompleteInput{Obligation: "triage"}, "local:mallory", "mallory@agency.example"))
	require.ErrorContains(t, err, "which this worker does not trust")
	st, err := update(t, s.client, id, workflows.UpdateComplete, testConsole.sign(t, id, workflows.UpdateComplete,
		&workflows.CompleteInput{Obligation: "triage", Note: "scoped"}, "local:coordinator", "coordinator@agency.example"))
	require.NoError(t, err)
	triage := obligationOf(st, "triage")
	require.Equal(t, workflows.StateDone, triage.State)
	require.Equal(t, "coordinator@agency.example", triage.CompletedBy)
	require.Equal(t, workflows.Proof{Subject: "local:coordinator", Verified: true}, triage.CompletedProof)

	ctx := context.Background()
	proofOf := func(keys map[string]ed25519.PublicKey) []audit.Entry {
		rep, err := audit.Audit(ctx, audit.Source{IncidentID: id, Client: s.client}, audit.Options{ConsoleKeys: keys})
		require.NoError(t, err)
		var signed []audit.Entry
		for _, e := range rep.Incidents[0].Timeline {
			if e.Subject != "" {
				signed = append(signed, e)
			}
		}
		return signed
	}
	verified := proofOf(testConsole.keys())
	require.Len(t, verified, 1, "the refused action left no trace")
	require.Equal(t, audit.ProofVerified, verified[0].Proof)
	require.Equal(t, "coordinator@agency.example", verified[0].Actor)
	require.Equal(t, audit.ProofUnchecked, proofOf(nil)[0].Proof)
}

func obligationOf(st workflows.Status, id string) workflows.ObligationStatus {
	for _, o := range st.Obligations {
		if o.ID == id {
			return o
		}
	}
	return workflows.ObligationStatus{}
}
