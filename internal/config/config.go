// Package config reads the engine's configuration from the environment, in one place. Every
// variable is a documented constant; README.md lists them all.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
)

// Environment variables.
const (
	// EnvTemporalAddress is the Temporal frontend host:port (default localhost:7233).
	EnvTemporalAddress = "TEMPORAL_ADDRESS"
	// EnvTemporalNamespace is the Temporal namespace (default "default").
	EnvTemporalNamespace = "TEMPORAL_NAMESPACE"
	// EnvTemporalAPIKey is an API key for Temporal Cloud; implies TLS.
	EnvTemporalAPIKey = "TEMPORAL_API_KEY"
	// EnvTemporalTLS enables TLS to the frontend ("true"); implied by a client certificate.
	EnvTemporalTLS = "TEMPORAL_TLS"
	// EnvTemporalTLSCert is the path of the client certificate (mTLS).
	EnvTemporalTLSCert = "TEMPORAL_TLS_CLIENT_CERT_PATH"
	// EnvTemporalTLSKey is the path of the client key (mTLS).
	EnvTemporalTLSKey = "TEMPORAL_TLS_CLIENT_KEY_PATH"
	// EnvTemporalTLSCA is the path of a CA bundle to verify the server with.
	EnvTemporalTLSCA = "TEMPORAL_TLS_SERVER_CA_CERT_PATH"
	// EnvTemporalTLSServerName overrides the server name verified in its certificate.
	EnvTemporalTLSServerName = "TEMPORAL_TLS_SERVER_NAME"

	// EnvDataDir is where the worker keeps its send ledger, outbox and (with --dev) the embedded
	// server's database (default ./breachflow-data).
	EnvDataDir = "BREACHFLOW_DATA_DIR"
	// EnvLedgerDSN is the PostgreSQL database of the shared send ledger (a postgres:// URL or
	// key=value string). Every worker of a cluster must name the same one; without it each worker
	// keeps its ledger in its data folder, which is only safe for workers on one machine.
	EnvLedgerDSN = "BREACHFLOW_LEDGER_DSN"
	// EnvLedgerDSNFile is a file holding EnvLedgerDSN (e.g. a Docker secret, as it holds a password).
	EnvLedgerDSNFile = "BREACHFLOW_LEDGER_DSN_FILE"
	// EnvOutbox is the folder of .eml files used when no SMTP host is set (default DATA_DIR/outbox).
	EnvOutbox = "BREACHFLOW_OUTBOX"
	// EnvTemplatesDir replaces the embedded templates with a folder holding notices/ (optional).
	EnvTemplatesDir = "BREACHFLOW_TEMPLATES_DIR"
	// EnvFrom is the sender address of notices (default incident-desk@localhost.localdomain).
	EnvFrom = "BREACHFLOW_SMTP_FROM"
	// EnvSMTPHost enables SMTP delivery to this host; without it notices go to the outbox.
	EnvSMTPHost = "BREACHFLOW_SMTP_HOST"
	// EnvSMTPPort is the SMTP port (default 587 for starttls, 465 for tls, 25 for plain).
	EnvSMTPPort = "BREACHFLOW_SMTP_PORT"
	// EnvSMTPUsername is the SMTP user name (optional).
	EnvSMTPUsername = "BREACHFLOW_SMTP_USERNAME"
	// EnvSMTPPassword is the SMTP password; prefer EnvSMTPPasswordFile.
	EnvSMTPPassword = "BREACHFLOW_SMTP_PASSWORD"
	// EnvSMTPPasswordFile is a file holding the SMTP password (e.g. a Docker secret).
	EnvSMTPPasswordFile = "BREACHFLOW_SMTP_PASSWORD_FILE"
	// EnvSMTPSecurity is starttls (default), tls or plain.
	EnvSMTPSecurity = "BREACHFLOW_SMTP_SECURITY"
	// EnvSMTPTimeout bounds one SMTP conversation (default 30s).
	EnvSMTPTimeout = "BREACHFLOW_SMTP_TIMEOUT"
	// EnvSMTPCAFile is a PEM file of extra CAs to trust for SMTP TLS.
	EnvSMTPCAFile = "BREACHFLOW_SMTP_CA_FILE"
	// EnvSMTPAllowPlainHosts is a comma-separated list of non-loopback hosts allowed plain SMTP.
	EnvSMTPAllowPlainHosts = "BREACHFLOW_SMTP_ALLOW_PLAIN_HOSTS"
)

// Temporal is how to reach a Temporal cluster.
type Temporal struct {
	// Keys, when set, encrypt every payload before it reaches Temporal (see internal/codec).
	Keys       *codec.Keyring
	Address    string
	Namespace  string
	APIKey     string
	TLS        bool
	ClientCert string
	ClientKey  string
	ServerCA   string
	ServerName string
}

// Config is the engine's whole configuration.
type Config struct {
	Temporal     Temporal
	DataDir      string
	OutboxDir    string
	TemplatesDir string
	From         string
	// LedgerDSN names the shared PostgreSQL send ledger; empty: a ledger folder in DataDir.
	LedgerDSN string
	// SMTP is nil when notices go to the outbox.
	SMTP *activities.SMTPConfig
}

// TemplatesDir is the folder whose notices/ replace the embedded templates; empty: use those.
func TemplatesDir() string { return os.Getenv(EnvTemplatesDir) }

// From is the sender address of notices.
func From() string { return getenv(EnvFrom, "incident-desk@localhost.localdomain") }

// Keys loads the payload keyring from codec.EnvKeyFile or codec.EnvKeys; setting both is an
// error. It returns (nil, nil) if neither is set (or both are empty): encryption is off.
func Keys() (*codec.Keyring, error) {
	file := strings.TrimSpace(os.Getenv(codec.EnvKeyFile))
	spec := strings.TrimSpace(os.Getenv(codec.EnvKeys))
	switch {
	case file != "" && spec != "":
		return nil, fmt.Errorf("codec: both %s and %s are set; set only one", codec.EnvKeyFile, codec.EnvKeys)
	case file != "":
		k, err := codec.LoadKeyFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", codec.EnvKeyFile, err)
		}
		return k, nil
	case spec != "":
		k, err := codec.ParseKeys(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", codec.EnvKeys, err)
		}
		return k, nil
	}
	return nil, nil
}

// FromEnv reads the configuration; bad values are errors naming the variable and the fix.
func FromEnv() (Config, error) {
	c := Config{
		Temporal: Temporal{
			Address:    getenv(EnvTemporalAddress, "localhost:7233"),
			Namespace:  getenv(EnvTemporalNamespace, "default"),
			APIKey:     os.Getenv(EnvTemporalAPIKey),
			ClientCert: os.Getenv(EnvTemporalTLSCert),
			ClientKey:  os.Getenv(EnvTemporalTLSKey),
			ServerCA:   os.Getenv(EnvTemporalTLSCA),
			ServerName: os.Getenv(EnvTemporalTLSServerName),
		},
		DataDir:      getenv(EnvDataDir, "breachflow-data"),
		TemplatesDir: TemplatesDir(),
		From:         From(),
	}
	var err error
	if c.Temporal.TLS, err = boolEnv(EnvTemporalTLS); err != nil {
		return c, err
	}
	if (c.Temporal.ClientCert == "") != (c.Temporal.ClientKey == "") {
		return c, fmt.Errorf("%s and %s must be set together (client certificate and its key)", EnvTemporalTLSCert, EnvTemporalTLSKey)
	}
	c.Temporal.TLS = c.Temporal.TLS || c.Temporal.ClientCert != "" || c.Temporal.APIKey != "" || c.Temporal.ServerCA != ""
	if c.Temporal.Keys, err = Keys(); err != nil {
		return c, err
	}
	c.OutboxDir = getenv(EnvOutbox, filepath.Join(c.DataDir, "outbox"))
	if c.LedgerDSN, err = ledgerDSN(); err != nil {
		return c, err
	}

	host := os.Getenv(EnvSMTPHost)
	if host == "" {
		return c, nil
	}
	s := &activities.SMTPConfig{
		Host:     host,
		Username: os.Getenv(EnvSMTPUsername),
		Password: os.Getenv(EnvSMTPPassword),
		Security: strings.ToLower(getenv(EnvSMTPSecurity, activities.SecurityStartTLS)),
		CAFile:   os.Getenv(EnvSMTPCAFile),
	}
	switch s.Security {
	case activities.SecurityStartTLS, activities.SecurityTLS, activities.SecurityPlain:
	default:
		return c, fmt.Errorf("%s=%q: use starttls, tls or plain", EnvSMTPSecurity, s.Security)
	}
	if p := os.Getenv(EnvSMTPPort); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port <= 0 || s.Port > 65535 {
			return c, fmt.Errorf("%s=%q is not a port: use a number such as 587", EnvSMTPPort, p)
		}
	}
	if t := os.Getenv(EnvSMTPTimeout); t != "" {
		if s.Timeout, err = time.ParseDuration(t); err != nil || s.Timeout <= 0 {
			return c, fmt.Errorf("%s=%q is not a duration: use e.g. 30s", EnvSMTPTimeout, t)
		}
	}
	if f := os.Getenv(EnvSMTPPasswordFile); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("%s: %w", EnvSMTPPasswordFile, err)
		}
		s.Password = strings.TrimRight(string(b), "\r\n")
	}
	for _, h := range strings.Split(os.Getenv(EnvSMTPAllowPlainHosts), ",") {
		if h = strings.TrimSpace(h); h != "" {
			s.AllowPlainHosts = append(s.AllowPlainHosts, h)
		}
	}
	c.SMTP = s
	return c, nil
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func boolEnv(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: use true or false", name, v)
	}
	return b, nil
}

// ledgerDSN reads EnvLedgerDSN or the file named by EnvLedgerDSNFile; setting both is an error.
func ledgerDSN() (string, error) {
	dsn, file := strings.TrimSpace(os.Getenv(EnvLedgerDSN)), strings.TrimSpace(os.Getenv(EnvLedgerDSNFile))
	switch {
	case dsn != "" && file != "":
		return "", fmt.Errorf("both %s and %s are set; set only one", EnvLedgerDSN, EnvLedgerDSNFile)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", EnvLedgerDSNFile, err)
		}
		if dsn = strings.TrimSpace(string(b)); dsn == "" {
			return "", fmt.Errorf("%s: %s is empty; put the PostgreSQL address of the send ledger in it", EnvLedgerDSNFile, file)
		}
	}
	if dsn != "" && !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") && !strings.Contains(dsn, "=") {
		return "", fmt.Errorf("%s is not a PostgreSQL address: use postgres://user:password@host:5432/db or \"host=db dbname=breachflow user=breachflow\"", EnvLedgerDSN)
	}
	return dsn, nil
}
