package engine_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/engine"
)

func TestWorkflowUIURL(t *testing.T) {
	require.Equal(t, "http://127.0.0.1:8233/namespaces/default/workflows/INC-1",
		engine.WorkflowUIURL("http://127.0.0.1:8233/", "default", "INC-1"))
	// Odd characters are escaped as one path segment each, and come back unchanged.
	u := engine.WorkflowUIURL("https://ui.example", "team/a", "INC-a b?c")
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	require.Empty(t, parsed.RawQuery)
	require.Equal(t, "/namespaces/team/a/workflows/INC-a b?c", parsed.Path)
	require.Equal(t, "/namespaces/team%2Fa/workflows/INC-a%20b%3Fc", parsed.EscapedPath())
}
