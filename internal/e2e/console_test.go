package e2e

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	require.NoError(t, workflows.SignAction(s.priv, incident, update, in, subject, name, time.Now()))
	return in
}
