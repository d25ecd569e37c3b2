package config_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
)

var allVars = []string{
	config.EnvTemporalAddress, config.EnvTemporalNamespace, config.EnvTemporalAPIKey, config.EnvTemporalTLS,
	config.EnvTemporalTLSCert, config.EnvTemporalTLSKey, config.EnvTemporalTLSCA, config.EnvTemporalTLSServerName,
	config.EnvDataDir, config.EnvOutbox, config.EnvTemplatesDir, config.EnvFrom, config.EnvSMTPHost, config.EnvSMTPPort,
	config.EnvSMTPUsername, config.EnvSMTPPassword, config.EnvSMTPPasswordFile, config.EnvSMTPSecurity,
	config.EnvSMTPTimeout, config.EnvSMTPCAFile, config.EnvSMTPAllowPlainHosts, config.EnvLedgerDSN, config.EnvLedgerDSNFile,
}

// setEnv clears every variable the package reads, then sets env.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, v := range allVars {
		t.Setenv(v, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestFromEnvDefaults(t *testing.T) {
	setEnv(t, nil)
	c, err := config.FromEnv()
	require.NoError(t, err)
	require.Equal(t, "localhost:7233", c.Temporal.Address)
	require.Equal(t, "default", c.Temporal.Namespace)
	require.False(t, c.Temporal.TLS)
	require.Equal(t, "breachflow-data", c.DataDir)
	require.Equal(t, filepath.Join("breachflow-data", "outbox"), c.OutboxDir)
	require.Equal(t, "incident-desk@localhost.localdomain", c.From)
	require.Empty(t, c.TemplatesDir)
	require.Nil(t, c.SMTP, "without a host, notices go to the outbox")
}

func TestFromEnvPaths(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		outbox string
	}{
		{"outbox under the data dir", map[string]string{config.EnvDataDir: "/var/lib/bf"}, "/var/lib/bf/outbox"},
		{"explicit outbox", map[string]string{config.EnvDataDir: "/var/lib/bf", config.EnvOutbox: "/srv/outbox"}, "/srv/outbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := config.FromEnv()
			require.NoError(t, err)
			require.Equal(t, "/var/lib/bf", c.DataDir)
			require.Equal(t, tt.outbox, c.OutboxDir)
			require.Nil(t, c.SMTP)
		})
	}
}

func TestFromEnvSMTP(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(pwFile, []byte("s3cret \n"), 0o600))
	crlfFile := filepath.Join(dir, "password-crlf")
	require.NoError(t, os.WriteFile(crlfFile, []byte("s3cret\r\n"), 0o600))

	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, s *activities.SMTPConfig)
		err   []string
	}{
		{"defaults", map[string]string{config.EnvSMTPHost: "mail.agency.example"}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, "mail.agency.example", s.Host)
			require.Equal(t, activities.SecurityStartTLS, s.Security)
			require.Zero(t, s.Port, "the transport picks the port from the security mode")
			require.Zero(t, s.Timeout)
			require.Empty(t, s.Password)
			require.Empty(t, s.AllowPlainHosts)
		}, nil},
		{"security lowercased", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPSecurity: "TLS"}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, activities.SecurityTLS, s.Security)
		}, nil},
		{"unknown security", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPSecurity: "ssl"},
			nil, []string{config.EnvSMTPSecurity, `"ssl"`, "starttls, tls or plain"}},
		{"port", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPort: "2525"}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, 2525, s.Port)
		}, nil},
		{"port not a number", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPort: "smtp"},
			nil, []string{config.EnvSMTPPort, `"smtp"`, "such as 587"}},
		{"port zero", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPort: "0"},
			nil, []string{config.EnvSMTPPort, "is not a port"}},
		{"port negative", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPort: "-25"},
			nil, []string{config.EnvSMTPPort}},
		{"port too large", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPort: "65536"},
			nil, []string{config.EnvSMTPPort}},
		{"timeout", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPTimeout: "45s"}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, 45*time.Second, s.Timeout)
		}, nil},
		{"bad timeout", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPTimeout: "30"},
			nil, []string{config.EnvSMTPTimeout, "use e.g. 30s"}},
		{"negative timeout", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPTimeout: "-1s"},
			nil, []string{config.EnvSMTPTimeout}},
		{"password", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPUsername: "desk", config.EnvSMTPPassword: "pw"}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, "desk", s.Username)
			require.Equal(t, "pw", s.Password)
		}, nil},
		{"password file, trailing newline trimmed", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPasswordFile: pwFile}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, "s3cret ", s.Password)
		}, nil},
		{"password file with CRLF", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPasswordFile: crlfFile}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, "s3cret", s.Password)
		}, nil},
		{"password file wins over password", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPassword: "pw", config.EnvSMTPPasswordFile: pwFile}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, "s3cret ", s.Password)
		}, nil},
		{"password file missing", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPPasswordFile: filepath.Join(dir, "absent")},
			nil, []string{config.EnvSMTPPasswordFile, "absent"}},
		{"allow-plain hosts", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPAllowPlainHosts: " mailpit , catcher.internal,, "}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, []string{"mailpit", "catcher.internal"}, s.AllowPlainHosts)
		}, nil},
		{"CA file", map[string]string{config.EnvSMTPHost: "h.example", config.EnvSMTPCAFile: "/etc/ca.pem"}, func(t *testing.T, s *activities.SMTPConfig) {
			require.Equal(t, "/etc/ca.pem", s.CAFile)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := config.FromEnv()
			if tt.err != nil {
				require.Error(t, err)
				for _, e := range tt.err {
					require.Contains(t, err.Error(), e)
				}
				return
			}
			require.NoError(t, err)
			require.NotNil(t, c.SMTP)
			tt.check(t, c.SMTP)
		})
	}
}

func TestFromEnvTemporal(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		tls   bool
		check func(t *testing.T, c config.Temporal)
		err   []string
	}{
		{"address and namespace", map[string]string{config.EnvTemporalAddress: "temporal:7233", config.EnvTemporalNamespace: "breach"}, false, func(t *testing.T, c config.Temporal) {
			require.Equal(t, "temporal:7233", c.Address)
			require.Equal(t, "breach", c.Namespace)
		}, nil},
		{"TLS true", map[string]string{config.EnvTemporalTLS: "true"}, true, nil, nil},
		{"TLS 1", map[string]string{config.EnvTemporalTLS: "1"}, true, nil, nil},
		{"TLS false", map[string]string{config.EnvTemporalTLS: "false"}, false, nil, nil},
		{"TLS bad value", map[string]string{config.EnvTemporalTLS: "yes please"}, false, nil, []string{config.EnvTemporalTLS, `"yes please"`, "use true or false"}},
		{"cert without key", map[string]string{config.EnvTemporalTLSCert: "/c.pem"}, false, nil, []string{config.EnvTemporalTLSCert, config.EnvTemporalTLSKey, "must be set together"}},
		{"key without cert", map[string]string{config.EnvTemporalTLSKey: "/k.pem"}, false, nil, []string{config.EnvTemporalTLSCert, config.EnvTemporalTLSKey}},
		{"cert and key imply TLS", map[string]string{config.EnvTemporalTLSCert: "/c.pem", config.EnvTemporalTLSKey: "/k.pem"}, true, func(t *testing.T, c config.Temporal) {
			require.Equal(t, "/c.pem", c.ClientCert)
			require.Equal(t, "/k.pem", c.ClientKey)
		}, nil},
		{"API key implies TLS", map[string]string{config.EnvTemporalAPIKey: "key"}, true, func(t *testing.T, c config.Temporal) {
			require.Equal(t, "key", c.APIKey)
		}, nil},
		{"API key implies TLS even when TLS=false", map[string]string{config.EnvTemporalAPIKey: "key", config.EnvTemporalTLS: "false"}, true, nil, nil},
		{"server CA implies TLS", map[string]string{config.EnvTemporalTLSCA: "/ca.pem", config.EnvTemporalTLSServerName: "temporal.internal"}, true, func(t *testing.T, c config.Temporal) {
			require.Equal(t, "/ca.pem", c.ServerCA)
			require.Equal(t, "temporal.internal", c.ServerName)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := config.FromEnv()
			if tt.err != nil {
				require.Error(t, err)
				for _, e := range tt.err {
					require.Contains(t, err.Error(), e)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.tls, c.Temporal.TLS)
			if tt.check != nil {
				tt.check(t, c.Temporal)
			}
		})
	}
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, codec.KeySize) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestKeys(t *testing.T) {
	t.Run("neither", func(t *testing.T) {
		t.Setenv(codec.EnvKeys, "")
		t.Setenv(codec.EnvKeyFile, "")
		k, err := config.Keys()
		require.NoError(t, err)
		require.Nil(t, k)
	})
	t.Run("keys", func(t *testing.T) {
		t.Setenv(codec.EnvKeys, "k1:"+b64(key(1)))
		t.Setenv(codec.EnvKeyFile, "")
		k, err := config.Keys()
		require.NoError(t, err)
		require.Equal(t, "k1", k.ActiveID())
	})
	t.Run("file", func(t *testing.T) {
		t.Setenv(codec.EnvKeys, "")
		t.Setenv(codec.EnvKeyFile, writeFile(t, "kf "+b64(key(3))+"\n"))
		k, err := config.Keys()
		require.NoError(t, err)
		require.Equal(t, "kf", k.ActiveID())
	})
	t.Run("both", func(t *testing.T) {
		t.Setenv(codec.EnvKeys, "k1:"+b64(key(1)))
		t.Setenv(codec.EnvKeyFile, writeFile(t, "kf "+b64(key(3))+"\n"))
		_, err := config.Keys()
		require.ErrorContains(t, err, codec.EnvKeys)
		require.ErrorContains(t, err, codec.EnvKeyFile)
	})
	t.Run("bad keys", func(t *testing.T) {
		t.Setenv(codec.EnvKeys, "k1:"+b64(bytes.Repeat([]byte{1}, 8)))
		t.Setenv(codec.EnvKeyFile, "")
		_, err := config.Keys()
		require.ErrorContains(t, err, codec.EnvKeys)
		require.ErrorContains(t, err, `"k1"`)
		require.ErrorContains(t, err, "32 bytes")
	})
	t.Run("bad file", func(t *testing.T) {
		t.Setenv(codec.EnvKeys, "")
		t.Setenv(codec.EnvKeyFile, filepath.Join(t.TempDir(), "absent"))
		_, err := config.Keys()
		require.ErrorContains(t, err, codec.EnvKeyFile)
	})
}

func TestLedgerDSN(t *testing.T) {
	setEnv(t, nil)
	c, err := config.FromEnv()
	require.NoError(t, err)
	require.Empty(t, c.LedgerDSN, "default: the ledger folder")

	dsn := "postgres://breachflow:pw@db:5432/breachflow"
	setEnv(t, map[string]string{config.EnvLedgerDSN: dsn})
	c, err = config.FromEnv()
	require.NoError(t, err)
	require.Equal(t, dsn, c.LedgerDSN)

	file := filepath.Join(t.TempDir(), "dsn")
	require.NoError(t, os.WriteFile(file, []byte(dsn+"\n"), 0o600))
	setEnv(t, map[string]string{config.EnvLedgerDSNFile: file})
	c, err = config.FromEnv()
	require.NoError(t, err)
	require.Equal(t, dsn, c.LedgerDSN)

	setEnv(t, map[string]string{config.EnvLedgerDSNFile: file, config.EnvLedgerDSN: dsn})
	_, err = config.FromEnv()
	require.ErrorContains(t, err, "set only one")

	setEnv(t, map[string]string{config.EnvLedgerDSN: "db.internal:5432"})
	_, err = config.FromEnv()
	require.ErrorContains(t, err, config.EnvLedgerDSN+" is not a PostgreSQL address")
}
