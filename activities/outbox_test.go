package activities_test

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/activities"
)

func TestOutboxDeliver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox") // created on first delivery
	o := &activities.Outbox{Dir: dir}
	require.Equal(t, "outbox", o.Name())

	id := activities.MessageID(testIncident, "cisa-report/notice", "h")
	raw, rcpts := testMessage(t, id)
	path, err := o.Deliver(context.Background(), id, testFrom, rcpts, raw)
	require.NoError(t, err)
	require.Equal(t, dir, filepath.Dir(path))
	require.Equal(t, "cisa-report.notice."+id[len("<cisa-report.notice."):len(id)-1]+".eml", filepath.Base(path))

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	require.NoError(t, err)
	require.Equal(t, id, msg.Header.Get("Message-Id"))
	require.Equal(t, testIncident, msg.Header.Get("X-Breachflow-Incident"))

	// Delivering the same Message-ID again keeps the one file.
	again, err := o.Deliver(context.Background(), id, testFrom, rcpts, raw)
	require.NoError(t, err)
	require.Equal(t, path, again)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "one file, no temporary files left")

	// Another Message-ID is another file.
	other := activities.MessageID(testIncident, "cisa-report/notice", "h2")
	raw2, _ := testMessage(t, other)
	path2, err := o.Deliver(context.Background(), other, testFrom, rcpts, raw2)
	require.NoError(t, err)
	require.NotEqual(t, path, path2)
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2)
}

func TestSendNoticeToOutboxOnce(t *testing.T) {
	dir := t.TempDir()
	a := newActivities(t, &activities.Outbox{Dir: dir}, t.TempDir())
	in := sendInput(renderNotice(t))

	first, err := sendNotice(t, a, in)
	require.NoError(t, err)
	require.Equal(t, "outbox", first.Transport)
	require.FileExists(t, first.Receipt)

	second, err := sendNotice(t, a, in)
	require.NoError(t, err)
	require.True(t, second.AlreadySent)
	require.Equal(t, first.Receipt, second.Receipt)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}
