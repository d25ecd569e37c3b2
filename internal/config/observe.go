package config

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
)

// Observability variables (see README.md, "Observability").
const (
	// EnvMetricsAddr is the host:port the worker serves /metrics, /healthz and /readyz on; unset
	// means no listener (worker --dev listens on DefaultDevMetricsAddr).
	EnvMetricsAddr = "BREACHFLOW_METRICS_ADDR"
	// EnvLogFormat is text (default) or json.
	EnvLogFormat = "BREACHFLOW_LOG_FORMAT"
	// EnvLogLevel is debug, info, warn (default) or error.
	EnvLogLevel = "BREACHFLOW_LOG_LEVEL"
	// EnvOTel turns OpenTelemetry tracing on (true/false; default off).
	EnvOTel = "BREACHFLOW_OTEL"
	// EnvOTLPEndpoint is OpenTelemetry's own variable for the collector; setting it turns tracing
	// on too. The exporter reads it and the other OTEL_EXPORTER_OTLP_* variables itself.
	EnvOTLPEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
	// EnvUIAddr is the host:port worker --dev serves the Temporal Web UI on (default
	// DefaultDevUIAddr; "off" serves none).
	EnvUIAddr = "BREACHFLOW_UI_ADDR"
)

// Defaults of worker --dev, which an operator on a laptop can open without configuring anything.
const (
	DefaultDevMetricsAddr = "127.0.0.1:9090"
	DefaultDevUIAddr      = "127.0.0.1:8233"
)

// Observability is how the worker reports on itself.
type Observability struct {
	// MetricsAddr is the metrics and health listener's host:port; empty means none.
	MetricsAddr string
	// LogFormat is "text" or "json"; LogLevel the minimum level logged.
	LogFormat string
	LogLevel  slog.Level
	// Tracing exports OpenTelemetry spans over OTLP.
	Tracing bool
	// UIAddr is where worker --dev serves the Temporal UI; empty means the default, "off" none.
	UIAddr string
}

// ObservabilityFromEnv reads the observability variables; a bad value is an error naming the
// variable and the fix.
func ObservabilityFromEnv() (Observability, error) {
	o := Observability{
		MetricsAddr: strings.TrimSpace(os.Getenv(EnvMetricsAddr)),
		LogFormat:   strings.ToLower(getenv(EnvLogFormat, "text")),
		LogLevel:    slog.LevelWarn,
		UIAddr:      strings.TrimSpace(os.Getenv(EnvUIAddr)),
	}
	if err := o.SetLogFormat(o.LogFormat); err != nil {
		return o, fmt.Errorf("%s: %w", EnvLogFormat, err)
	}
	if v := os.Getenv(EnvLogLevel); v != "" {
		if err := o.SetLogLevel(v); err != nil {
			return o, fmt.Errorf("%s: %w", EnvLogLevel, err)
		}
	}
	if o.MetricsAddr != "" {
		if err := CheckListenAddr(o.MetricsAddr); err != nil {
			return o, fmt.Errorf("%s: %w", EnvMetricsAddr, err)
		}
	}
	if o.UIAddr != "" && o.UIAddr != "off" {
		if err := CheckListenAddr(o.UIAddr); err != nil {
			return o, fmt.Errorf("%s: %w", EnvUIAddr, err)
		}
	}
	on, err := boolEnv(EnvOTel)
	if err != nil {
		return o, err
	}
	o.Tracing = on || os.Getenv(EnvOTLPEndpoint) != ""
	return o, nil
}

// SetLogFormat sets the log format: text or json.
func (o *Observability) SetLogFormat(f string) error {
	switch f = strings.ToLower(strings.TrimSpace(f)); f {
	case "text", "json":
		o.LogFormat = f
		return nil
	}
	return fmt.Errorf("log format %q: use text or json", f)
}

// SetLogLevel sets the log level: debug, info, warn or error.
func (o *Observability) SetLogLevel(l string) error {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.TrimSpace(l))); err != nil {
		return fmt.Errorf("log level %q: use debug, info, warn or error", l)
	}
	o.LogLevel = lv
	return nil
}

// CheckListenAddr checks a host:port to listen on (port 0 picks a free one).
func CheckListenAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9090, or :9090 for every interface)", addr)
	}
	return nil
}
