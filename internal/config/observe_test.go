package config_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/config"
)

var observabilityVars = []string{config.EnvMetricsAddr, config.EnvLogFormat, config.EnvLogLevel, config.EnvOTel, config.EnvOTLPEndpoint, config.EnvUIAddr}

func setObservability(t *testing.T, env map[string]string) {
	t.Helper()
	for _, v := range observabilityVars {
		t.Setenv(v, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestObservabilityDefaultsAreQuiet(t *testing.T) {
	setObservability(t, nil)
	o, err := config.ObservabilityFromEnv()
	require.NoError(t, err)
	require.Equal(t, config.Observability{LogFormat: "text", LogLevel: slog.LevelWarn}, o, "no listener, no tracing, text warnings")
}

func TestObservabilityFromEnv(t *testing.T) {
	setObservability(t, map[string]string{config.EnvMetricsAddr: ":9090", config.EnvLogFormat: "JSON", config.EnvLogLevel: "debug", config.EnvOTel: "true", config.EnvUIAddr: "off"})
	o, err := config.ObservabilityFromEnv()
	require.NoError(t, err)
	require.Equal(t, config.Observability{MetricsAddr: ":9090", LogFormat: "json", LogLevel: slog.LevelDebug, Tracing: true, UIAddr: "off"}, o)

	setObservability(t, map[string]string{config.EnvOTLPEndpoint: "http://collector:4317"})
	o, err = config.ObservabilityFromEnv()
	require.NoError(t, err)
	require.True(t, o.Tracing, "a collector endpoint turns tracing on")
}

func TestObservabilityBadValuesNameTheVariable(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{config.EnvMetricsAddr, "9090", "host:port"},
		{config.EnvLogFormat, "yaml", "text or json"},
		{config.EnvLogLevel, "loud", "debug, info, warn or error"},
		{config.EnvOTel, "maybe", "true or false"},
		{config.EnvUIAddr, "localhost", "host:port"},
	} {
		setObservability(t, map[string]string{c.name: c.value})
		_, err := config.ObservabilityFromEnv()
		require.ErrorContains(t, err, c.name, c.name)
		require.ErrorContains(t, err, c.want, c.name)
	}
}
