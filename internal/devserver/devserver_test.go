package devserver_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/devserver"
)

// TestStoreRunsInWALMode: the embedded server's SQLite file is in write-ahead-log mode once the
// server has started, as the README says; a connect attribute the driver ignores would leave it
// in the default rollback-journal mode with no -wal file beside it.
func TestStoreRunsInWALMode(t *testing.T) {
	dir := t.TempDir()
	srv, err := devserver.Start(devserver.Options{DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })

	path := filepath.Join(dir, devserver.DatabaseFile)
	// The Temporal sqlite plugin registers modernc.org/sqlite as "sqlite"; a plain connection
	// without pragmas reads the mode stored in the file.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mode string
	require.NoError(t, db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode, "journal mode of %s", path)

	_, err = os.Stat(path + "-wal")
	require.NoError(t, err, "a WAL-mode database has its -wal file beside it while open")
}
