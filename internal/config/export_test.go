package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/audit"
)

func TestExportKeysFromEnv(t *testing.T) {
	priv, pub, err := audit.GenerateSigningKey()
	require.NoError(t, err)
	t.Setenv(EnvExportSigningKey, "")
	t.Setenv(EnvExportSigningKeyFile, "")
	t.Setenv(EnvExportVerifyKeys, "")
	key, err := ExportSigningKey()
	require.NoError(t, err)
	require.Nil(t, key, "no key: exports are unsigned")

	t.Setenv(EnvExportSigningKey, priv)
	key, err = ExportSigningKey()
	require.NoError(t, err)
	t.Setenv(EnvExportVerifyKeys, pub)
	keys, err := ExportVerifyKeys()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.True(t, keys[0].Equal(key.Public()))

	file := filepath.Join(t.TempDir(), "export.key")
	require.NoError(t, os.WriteFile(file, []byte(priv+"\n"), 0o600))
	t.Setenv(EnvExportSigningKeyFile, file)
	_, err = ExportSigningKey()
	require.ErrorContains(t, err, "set only one")
	t.Setenv(EnvExportSigningKey, "")
	fromFile, err := ExportSigningKey()
	require.NoError(t, err)
	require.True(t, fromFile.Equal(key))

	t.Setenv(EnvExportSigningKeyFile, "")
	t.Setenv(EnvExportSigningKey, "c2hvcnQ=")
	_, err = ExportSigningKey()
	require.ErrorContains(t, err, EnvExportSigningKey)
	t.Setenv(EnvExportVerifyKeys, pub+",nope")
	_, err = ExportVerifyKeys()
	require.ErrorContains(t, err, EnvExportVerifyKeys)
}
