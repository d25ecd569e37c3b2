package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestDevWorkerServesMetricsHealthAndUI runs `worker --dev` in-process with the flags an operator
// would pass: it becomes ready, serves Prometheus metrics (the SDK's included) and the Temporal
// UI wired to a codec endpoint (keys are set), and stops cleanly when its context ends.
func TestDevWorkerServesMetricsHealthAndUI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	id, key, err := codec.GenerateKey()
	require.NoError(t, err)
	for _, v := range []string{config.EnvMetricsAddr, config.EnvLogLevel, config.EnvOTel, config.EnvOTLPEndpoint, config.EnvUIAddr, config.EnvSMTPHost, codec.EnvKeyFile} {
		t.Setenv(v, "")
	}
	t.Setenv(codec.EnvKeys, id+":"+key)
	t.Setenv(config.EnvLogFormat, "json")
	metrics, ui := freeAddr(t), freeAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runContext(ctx, []string{"--dev", "--port", "0", "--data", t.TempDir(), "--metrics", metrics, "--ui", ui, "--gauge-interval", "1s"})
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "the worker stops cleanly")
		case <-time.After(30 * time.Second):
			t.Fatal("the worker did not stop")
		}
	}()

	require.Eventually(t, func() bool {
		code, _, err := httpGet("http://" + metrics + "/readyz")
		return err == nil && code == http.StatusOK
	}, 60*time.Second, 200*time.Millisecond, "the worker becomes ready")
	require.Eventually(t, func() bool {
		_, body, err := httpGet("http://" + metrics + "/metrics")
		return err == nil && strings.Contains(body, "temporal_num_pollers") &&
			strings.Contains(body, `breachflow_gauge_refreshes_total{result="ok"}`) &&
			strings.Contains(body, `breachflow_incidents{status="open"} 0`)
	}, 20*time.Second, 200*time.Millisecond, "SDK metrics and refreshed incident gauges")

	code, body, err := httpGet("http://" + ui + "/")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, strings.ToLower(body), "<html")
	code, body, err = httpGet("http://" + ui + "/api/v1/namespaces")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"name": "default"`)
	_, body, err = httpGet("http://" + ui + "/api/v1/settings")
	require.NoError(t, err)
	require.Contains(t, body, `"Endpoint":"http://127.0.0.1:`, "the UI decodes through the worker's codec endpoint")
}
