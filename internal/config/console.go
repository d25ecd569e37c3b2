package config

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/workflows"
)

// Environment variables of action signing: the console signs each action of an authenticated
// person, and the worker's Update validators verify it (see README, "Identity and signed actions").
const (
	// EnvConsoleSigningKey is the console's Ed25519 signing key: the base64 of its 32-byte seed,
	// as `worker keygen --console-signing` prints it. Prefer EnvConsoleSigningKeyFile.
	EnvConsoleSigningKey = "BREACHFLOW_CONSOLE_SIGNING_KEY"
	// EnvConsoleSigningKeyFile is a file holding the console signing key.
	EnvConsoleSigningKeyFile = "BREACHFLOW_CONSOLE_SIGNING_KEY_FILE"
	// EnvConsoleVerifyKeys lists the public keys of trusted consoles, comma-separated (base64):
	// the worker accepts signed actions only from these.
	EnvConsoleVerifyKeys = "BREACHFLOW_CONSOLE_VERIFY_KEYS"
)

// ConsoleSigningKey reads the console signing key from EnvConsoleSigningKeyFile or
// EnvConsoleSigningKey; nil when neither is set.
func ConsoleSigningKey() (ed25519.PrivateKey, error) {
	return signingKeyFromEnv(EnvConsoleSigningKeyFile, EnvConsoleSigningKey)
}

// ConsoleVerifyKeys reads the trusted consoles' public keys from EnvConsoleVerifyKeys, by key
// ID (workflows.SignerKeyID); empty when unset.
func ConsoleVerifyKeys() (map[string]ed25519.PublicKey, error) {
	keys, err := audit.ParseVerifyKeys(os.Getenv(EnvConsoleVerifyKeys))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvConsoleVerifyKeys, err)
	}
	out := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		out[workflows.SignerKeyID(k)] = k
	}
	return out, nil
}

// DevConsoleKeyFile is where the embedded default keeps its console signing key.
func DevConsoleKeyFile(dataDir string) string {
	return filepath.Join(dataDir, "console", "signing.key")
}

// DevConsoleKey loads the embedded default's console signing key from the data folder, creating
// it (mode 0600) on first use. `worker --dev` trusts it and the console run against that worker
// signs with it, so the two README commands need no key set-up. Production sets the environment
// variables above instead.
func DevConsoleKey(dataDir string) (ed25519.PrivateKey, error) {
	path := DevConsoleKeyFile(dataDir)
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := audit.ParseSigningKey(string(data))
		if err != nil {
			return nil, fmt.Errorf("console signing key %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading console signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	priv, _, err := audit.GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return DevConsoleKey(dataDir) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("creating console signing key: %w", err)
	}
	if _, err := f.WriteString(priv + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return audit.ParseSigningKey(priv)
}
