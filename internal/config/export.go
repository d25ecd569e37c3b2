package config

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"

	"github.com/breachflow/breachflow/internal/audit"
)

// Environment variables of export signing (see README, "Audit: export and replay").
const (
	// EnvExportSigningKey is the Ed25519 key that signs exports: the base64 of its 32-byte seed,
	// as `worker keygen --export-signing` prints it. Prefer EnvExportSigningKeyFile.
	EnvExportSigningKey = "BREACHFLOW_EXPORT_SIGNING_KEY"
	// EnvExportSigningKeyFile is a file holding the export signing key (e.g. a Docker secret).
	EnvExportSigningKeyFile = "BREACHFLOW_EXPORT_SIGNING_KEY_FILE"
	// EnvExportVerifyKeys lists the public keys of trusted exporters, comma-separated (base64,
	// as `worker keygen --export-signing` prints them): audit accepts exports signed by these.
	EnvExportVerifyKeys = "BREACHFLOW_EXPORT_VERIFY_KEYS"
)

// ExportSigningKey reads the export signing key from EnvExportSigningKeyFile or
// EnvExportSigningKey; nil when neither is set. Setting both is an error.
func ExportSigningKey() (ed25519.PrivateKey, error) {
	return signingKeyFromEnv(EnvExportSigningKeyFile, EnvExportSigningKey)
}

// signingKeyFromEnv reads an Ed25519 private key from a file named by fileVar or inline from
// inlineVar; nil when neither is set.
func signingKeyFromEnv(fileVar, inlineVar string) (ed25519.PrivateKey, error) {
	file := strings.TrimSpace(os.Getenv(fileVar))
	inline := strings.TrimSpace(os.Getenv(inlineVar))
	switch {
	case file != "" && inline != "":
		return nil, fmt.Errorf("both %s and %s are set; set only one", fileVar, inlineVar)
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fileVar, err)
		}
		key, err := audit.ParseSigningKey(string(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", fileVar, file, err)
		}
		return key, nil
	case inline != "":
		key, err := audit.ParseSigningKey(inline)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", inlineVar, err)
		}
		return key, nil
	}
	return nil, nil
}

// ExportVerifyKeys reads the trusted exporters' public keys from EnvExportVerifyKeys.
func ExportVerifyKeys() ([]ed25519.PublicKey, error) {
	keys, err := audit.ParseVerifyKeys(os.Getenv(EnvExportVerifyKeys))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvExportVerifyKeys, err)
	}
	return keys, nil
}
