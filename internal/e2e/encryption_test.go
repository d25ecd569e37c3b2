package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/internal/smtptest"
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
	return storeBytes(t, dir)
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

// smtpRefusal is the text of the SMTP server's reply when smtptest rejects a message.
const smtpRefusal = "Rejected by smtptest"

// runRefusedIncident runs an incident whose notices a real SMTP server refuses (550), with or
// without encryption, until a refusal is in the history as a failed send; it stops the server and
// returns the bytes of its database files.
func runRefusedIncident(t *testing.T, keys *codec.Keyring) []byte {
	t.Helper()
	smtpd := smtptest.Start(t, smtptest.Options{})
	smtpd.RejectNext(1000, 550)
	transport, err := activities.NewSMTP(activities.SMTPConfig{Host: "127.0.0.1", Port: smtpd.Port(), Security: activities.SecurityPlain, Timeout: 10 * time.Second})
	require.NoError(t, err)
	dir := t.TempDir()
	s := startStackWith(t, dir, transport, keys)
	id, _ := startCBP(t, s.client)
	require.Eventually(t, func() bool {
		for _, n := range status(t, s.client, id).Notices {
			if n.State == workflows.NoticeFailing && strings.Contains(n.LastError, smtpRefusal) {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "a notice is failing with the server's reply (the client with the key reads it)")
	s.stop()
	return storeBytes(t, dir)
}

// storeBytes concatenates the embedded server's files (database, WAL, log) under dir.
func storeBytes(t *testing.T, dir string) []byte {
	t.Helper()
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

// TestFailureMessagesEncryptedAtRest: a send the SMTP server refused is in the history as an
// activity failure carrying the server's reply. With a key the store never holds that reply in
// plaintext (the failure converter encrypts failure messages, not only payloads); without one it
// does, which shows the check can see it.
func TestFailureMessagesEncryptedAtRest(t *testing.T) {
	keys, err := codec.ParseKeys("k-test:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(t, err)
	require.False(t, bytes.Contains(runRefusedIncident(t, keys), []byte(smtpRefusal)), "SMTP reply found in the encrypted store")
	require.True(t, bytes.Contains(runRefusedIncident(t, nil), []byte(smtpRefusal)), "control: an unencrypted store holds it")
}
