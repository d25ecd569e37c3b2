package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/workflows"
)

const canary = "CANARY-7f3e9a-traveler-plates"

// runCanaryIncident runs an incident whose facts hold the canary on a fresh embedded server, with
// or without encryption, stops the server and returns the bytes of its database files.
func runCanaryIncident(t *testing.T, keys *codec.Keyring) []byte {
	t.Helper()
	dir := t.TempDir()
	s := startStackWith(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")}, keys)
	id := startIncident(t, s.client, cbpInput(t, func(f *incidentfile.File) {
		f.Facts["summary"] = "Images copied by " + canary
		f.Title = "Breach " + canary
	}))
	_, err := update(t, s.client, id, workflows.UpdateRecordFact, workflows.RecordFactInput{Name: "location", Value: "port " + canary, By: "analyst"})
	require.NoError(t, err)
	_, err = update(t, s.client, id, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return obligationState(status(t, s.client, id), "cisa-report") == workflows.StateDone
	}, 30*time.Second, 100*time.Millisecond)
	st := status(t, s.client, id)
	require.Contains(t, st.Title, canary, "the client with the key reads the data")
	s.stop()

	var all []byte
	files, err := filepath.Glob(filepath.Join(dir, "temporal", "*"))
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		all = append(all, b...)
	}
	require.NotEmpty(t, all)
	return all
}

// TestHistoryEncryptedAtRest: with a key, the embedded server's SQLite files (database and WAL)
// never hold the canary from the incident's facts in plaintext; without one they do, which shows
// the check can see it.
func TestHistoryEncryptedAtRest(t *testing.T) {
	keys, err := codec.ParseKeys("k-test:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(t, err)
	require.False(t, bytes.Contains(runCanaryIncident(t, keys), []byte(canary)), "canary found in the encrypted store")
	require.True(t, bytes.Contains(runCanaryIncident(t, nil), []byte(canary)), "control: an unencrypted store holds it")
}
