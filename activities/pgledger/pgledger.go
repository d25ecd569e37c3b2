// Package pgledger is the send ledger in PostgreSQL, for a cluster of workers: every worker
// configured with the same database shares one set of claims and receipts, so no two of them
// deliver the same Message-ID while the first attempt is alive (see activities.Ledger).
//
// The schema is versioned in migrations/ and applied by Open, in one transaction under an
// advisory lock, so workers starting together apply each migration once.
package pgledger

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/breachflow/breachflow/activities"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key held while migrating ("bflowsl" in ASCII).
const migrationLock = 0x62666c6f77736c

// Ledger is the PostgreSQL send ledger. It implements activities.Ledger.
type Ledger struct {
	pool *pgxpool.Pool
}

var _ activities.Ledger = (*Ledger)(nil)

// Open connects to the database named by dsn (a PostgreSQL URL or key=value string), applies
// the migrations it lacks, and returns the ledger.
func Open(ctx context.Context, dsn string) (*Ledger, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("send ledger: bad database address (BREACHFLOW_LEDGER_DSN): %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("send ledger: connecting to PostgreSQL at %s: %w", redact(dsn), err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Ledger{pool: pool}, nil
}

// Close closes the connections.
func (l *Ledger) Close() { l.pool.Close() }

// Migrate applies, in order, every migration in migrations/ not yet recorded in
// breachflow_schema_version. Applying twice is a no-op.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("send ledger: migrating: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("send ledger: migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS breachflow_schema_version (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("send ledger: schema_version table: %w", err)
	}
	var applied []int
	rows, err := tx.Query(ctx, `SELECT version FROM breachflow_schema_version`)
	if err != nil {
		return fmt.Errorf("send ledger: reading schema version: %w", err)
	}
	if applied, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
		return fmt.Errorf("send ledger: reading schema version: %w", err)
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("send ledger: migration %s: name must start with its number (0002_what.sql)", name)
		}
		if slices.Contains(applied, v) {
			continue
		}
		sql, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("send ledger: applying migration %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO breachflow_schema_version (version, name) VALUES ($1, $2)`, v, name); err != nil {
			return fmt.Errorf("send ledger: recording migration %s: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("send ledger: committing migrations: %w", err)
	}
	return nil
}

// Claim implements activities.Ledger.
func (l *Ledger) Claim(ctx context.Context, messageID, holder string, lease time.Duration) (activities.Claim, error) {
	// A claim released between the insert and the select is simply claimed again.
	for range 3 {
		c, ok, err := l.claim(ctx, messageID, holder, lease)
		if err != nil || ok {
			return c, err
		}
	}
	return activities.Claim{}, fmt.Errorf("send ledger: claim on %s changed hands repeatedly; retrying later", messageID)
}

func (l *Ledger) claim(ctx context.Context, messageID, holder string, lease time.Duration) (activities.Claim, bool, error) {
	var c activities.Claim
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return c, false, fmt.Errorf("send ledger: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, `INSERT INTO breachflow_send_ledger (message_id, state, holder, lease_until)
		VALUES ($1, 'claimed', $2, now() + make_interval(secs => $3))
		ON CONFLICT (message_id) DO NOTHING`, messageID, holder, lease.Seconds())
	if err != nil {
		return c, false, fmt.Errorf("send ledger: claiming %s: %w", messageID, err)
	}
	if tag.RowsAffected() == 1 {
		c.State = activities.ClaimGranted
		return c, true, commit(ctx, tx)
	}
	var (
		state, current string
		until          *time.Time
		live           bool
		receipt        []byte
	)
	err = tx.QueryRow(ctx, `SELECT state, holder, lease_until, coalesce(lease_until > now(), false), receipt
		FROM breachflow_send_ledger WHERE message_id = $1 FOR UPDATE`, messageID).Scan(&state, &current, &until, &live, &receipt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("send ledger: reading %s: %w", messageID, err)
	}
	switch {
	case state == "delivered":
		c.State = activities.ClaimDelivered
		if err := json.Unmarshal(receipt, &c.Receipt); err != nil {
			return c, false, fmt.Errorf("send ledger: receipt of %s: %w", messageID, err)
		}
		c.Receipt.MessageID = messageID
		return c, true, nil
	case live && current != holder:
		c.State, c.Holder = activities.ClaimBusy, current
		if until != nil {
			c.Until = *until
		}
		return c, true, nil
	}
	// The holder's own claim again, or an expired one: take it, recording a recovery.
	if current != holder {
		c.RecoveredFrom = current
	}
	_, err = tx.Exec(ctx, `UPDATE breachflow_send_ledger SET holder = $2, lease_until = now() + make_interval(secs => $3),
		claimed_at = now(),
		recovered_from = CASE WHEN $4 <> '' THEN $4 ELSE recovered_from END,
		recoveries = recoveries + CASE WHEN $4 <> '' THEN 1 ELSE 0 END
		WHERE message_id = $1`, messageID, holder, lease.Seconds(), c.RecoveredFrom)
	if err != nil {
		return c, false, fmt.Errorf("send ledger: claiming %s: %w", messageID, err)
	}
	c.State = activities.ClaimGranted
	return c, true, commit(ctx, tx)
}

// Renew implements activities.Ledger.
func (l *Ledger) Renew(ctx context.Context, messageID, holder string, lease time.Duration) error {
	tag, err := l.pool.Exec(ctx, `UPDATE breachflow_send_ledger SET lease_until = now() + make_interval(secs => $3)
		WHERE message_id = $1 AND holder = $2 AND state = 'claimed'`, messageID, holder, lease.Seconds())
	if err != nil {
		return fmt.Errorf("send ledger: renewing claim on %s: %w", messageID, err)
	}
	if tag.RowsAffected() == 0 {
		return activities.ErrClaimLost
	}
	return nil
}

// Release implements activities.Ledger.
func (l *Ledger) Release(ctx context.Context, messageID, holder string) error {
	_, err := l.pool.Exec(ctx, `DELETE FROM breachflow_send_ledger WHERE message_id = $1 AND holder = $2 AND state = 'claimed'`, messageID, holder)
	if err != nil {
		return fmt.Errorf("send ledger: releasing claim on %s: %w", messageID, err)
	}
	return nil
}

// Delivered implements activities.Ledger. The first receipt is kept; later ones only count.
func (l *Ledger) Delivered(ctx context.Context, holder string, r activities.SendNoticeResult) (int, error) {
	receipt, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	var n int
	err = l.pool.QueryRow(ctx, `INSERT INTO breachflow_send_ledger AS t (message_id, state, holder, deliveries, receipt, delivered_at)
		VALUES ($1, 'delivered', $2, 1, $3, now())
		ON CONFLICT (message_id) DO UPDATE SET
			state = 'delivered',
			holder = CASE WHEN t.state = 'delivered' THEN t.holder ELSE EXCLUDED.holder END,
			lease_until = NULL,
			deliveries = t.deliveries + 1,
			receipt = coalesce(t.receipt, EXCLUDED.receipt),
			delivered_at = coalesce(t.delivered_at, EXCLUDED.delivered_at)
		RETURNING deliveries`, r.MessageID, holder, receipt).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("send ledger: recording delivery of %s: %w", r.MessageID, err)
	}
	return n, nil
}

// Entry is one ledger row, for tests and operators.
type Entry struct {
	State         string
	Holder        string
	Deliveries    int
	Recoveries    int
	RecoveredFrom string
}

// Lookup returns the ledger row of a Message-ID.
func (l *Ledger) Lookup(ctx context.Context, messageID string) (Entry, bool, error) {
	var e Entry
	var from *string
	err := l.pool.QueryRow(ctx, `SELECT state, holder, deliveries, recoveries, recovered_from
		FROM breachflow_send_ledger WHERE message_id = $1`, messageID).Scan(&e.State, &e.Holder, &e.Deliveries, &e.Recoveries, &from)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	if from != nil {
		e.RecoveredFrom = *from
	}
	return e, err == nil, err
}

func commit(ctx context.Context, tx pgx.Tx) error {
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("send ledger: commit: %w", err)
	}
	return nil
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	if cfg, err := pgx.ParseConfig(dsn); err == nil {
		return fmt.Sprintf("%s:%d/%s (user %s)", cfg.Host, cfg.Port, cfg.Database, cfg.User)
	}
	return "the configured address"
}
