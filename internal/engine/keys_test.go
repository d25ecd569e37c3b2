package engine

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/workflows"
)

// TestTrustedConsoleKeys: a worker trusts the keys of BREACHFLOW_CONSOLE_VERIFY_KEYS and, with
// --dev, the data folder's console key, created on first use and the same on the next start.
func TestTrustedConsoleKeys(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	t.Setenv(config.EnvConsoleVerifyKeys, base64.StdEncoding.EncodeToString(pub))
	dir := t.TempDir()

	prod, err := TrustedConsoleKeys(dir, false)
	require.NoError(t, err)
	require.Equal(t, map[string]ed25519.PublicKey{workflows.SignerKeyID(pub): pub}, prod)
	require.NoFileExists(t, config.DevConsoleKeyFile(dir), "only --dev creates a console key")

	dev, err := TrustedConsoleKeys(dir, true)
	require.NoError(t, err)
	require.Len(t, dev, 2)
	priv, err := config.DevConsoleKey(dir)
	require.NoError(t, err)
	devPub := priv.Public().(ed25519.PublicKey)
	require.Equal(t, devPub, dev[workflows.SignerKeyID(devPub)], "the console on the same data folder signs with a key the worker trusts")
	again, err := TrustedConsoleKeys(dir, true)
	require.NoError(t, err)
	require.Equal(t, dev, again)

	t.Setenv(config.EnvConsoleVerifyKeys, "not base64!")
	_, err = TrustedConsoleKeys(dir, false)
	require.ErrorContains(t, err, config.EnvConsoleVerifyKeys)
}
