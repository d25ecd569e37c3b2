package devui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/devserver"
	"github.com/breachflow/breachflow/internal/devui"
	"github.com/breachflow/breachflow/internal/engine"
)

func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestUIServesTheEmbeddedServer: the UI in the worker process serves its pages and, through its
// API, the embedded server's namespaces and workflows; with keys, it is pointed at a codec
// endpoint that decodes for the UI's origin.
func TestUIServesTheEmbeddedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server")
	}
	srv, err := devserver.Start(devserver.Options{Ephemeral: true, SearchAttributes: engine.SearchAttributes})
	require.NoError(t, err)
	defer srv.Stop()
	keys, err := codec.ParseKeys(mustKey(t))
	require.NoError(t, err)

	ui, err := devui.Start(devui.Options{Addr: "127.0.0.1:0", TemporalAddress: srv.HostPort(), Namespace: srv.Namespace(), Keys: keys})
	require.NoError(t, err)
	defer ui.Stop()
	require.True(t, strings.HasPrefix(ui.URL(), "http://127.0.0.1:"), ui.URL())

	code, body := get(t, ui.URL()+"/", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, strings.ToLower(body), "<html", "the UI's index page")

	code, body = get(t, ui.URL()+"/api/v1/namespaces", nil)
	require.Equal(t, http.StatusOK, code, body)
	var ns struct {
		Namespaces []struct {
			NamespaceInfo struct{ Name string } `json:"namespaceInfo"`
		} `json:"namespaces"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &ns))
	var names []string
	for _, n := range ns.Namespaces {
		names = append(names, n.NamespaceInfo.Name)
	}
	require.Contains(t, names, srv.Namespace())

	// A workflow on the embedded server is listed through the UI's API, under the page the
	// console links to.
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace()})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "INC-ui-check", TaskQueue: "nobody-polls"}, "IncidentWorkflow")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		code, body := get(t, ui.URL()+"/api/v1/namespaces/"+srv.Namespace()+"/workflows", nil)
		return code == http.StatusOK && strings.Contains(body, "INC-ui-check")
	}, 20*time.Second, 200*time.Millisecond, "the UI lists the workflow")
	page := engine.WorkflowUIURL(ui.URL(), srv.Namespace(), "INC-ui-check")
	require.Equal(t, ui.URL()+"/namespaces/default/workflows/INC-ui-check", page)
	code, body = get(t, page, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, strings.ToLower(body), "<html")

	// The UI's settings name the codec endpoint, and it answers the UI's origin.
	code, body = get(t, ui.URL()+"/api/v1/settings", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, ui.CodecURL())
	req, err := http.NewRequest(http.MethodOptions, ui.CodecURL()+"/decode", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", ui.URL())
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, ui.URL(), resp.Header.Get("Access-Control-Allow-Origin"))
}

func TestUIRefusesANonLoopbackAddress(t *testing.T) {
	_, err := devui.Start(devui.Options{Addr: "0.0.0.0:8233", TemporalAddress: "127.0.0.1:7233", Namespace: "default"})
	require.ErrorContains(t, err, "loopback")
}

func mustKey(t *testing.T) string {
	t.Helper()
	id, key, err := codec.GenerateKey()
	require.NoError(t, err)
	return id + ":" + key
}
