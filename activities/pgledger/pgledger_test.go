package pgledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/activities/pgledger"
	"github.com/breachflow/breachflow/internal/pgtest"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/templates"
)

// The tests share one PostgreSQL server (started once: initdb takes a few seconds) and each
// uses its own database.
var (
	serverOnce sync.Once
	server     *pgtest.Server
)

func openLedger(t *testing.T) (*pgledger.Ledger, string) {
	t.Helper()
	serverOnce.Do(func() { server = pgtest.Start(&onceTB{t}, pgtest.Options{}) })
	if server == nil {
		t.Skip("SKIPPED: PostgreSQL did not start (see the first test's log)")
	}
	dsn := server.CreateDatabase(t, strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_")))
	l, err := pgledger.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l, dsn
}

func TestMigrationsAreIdempotent(t *testing.T) {
	_, dsn := openLedger(t)
	// Workers starting together: each applies what is missing, under the advisory lock.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			l, err := pgledger.Open(context.Background(), dsn)
			if err == nil {
				l.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var versions, rows int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM breachflow_schema_version`).Scan(&versions))
	require.Equal(t, 1, versions, "each migration recorded once")
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM breachflow_send_ledger`).Scan(&rows))
	require.Zero(t, rows)
}

func TestOpenBadDSNSaysWhichSetting(t *testing.T) {
	_, err := pgledger.Open(context.Background(), "postgres://nobody:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	require.Contains(t, err.Error(), "127.0.0.1:1/x")
	require.NotContains(t, err.Error(), "secret", "no password in errors")
}

func TestConcurrentClaimsGrantOne(t *testing.T) {
	l, _ := openLedger(t)
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	results := make([]activities.Claim, n)
	for i := range n {
		wg.Go(func() {
			c, err := l.Claim(ctx, "<race@inc>", fmt.Sprintf("holder-%d", i), time.Minute)
			require.NoError(t, err)
			results[i] = c
		})
	}
	wg.Wait()
	granted, busy := 0, 0
	for _, c := range results {
		switch c.State {
		case activities.ClaimGranted:
			granted++
			require.Empty(t, c.RecoveredFrom)
		case activities.ClaimBusy:
			busy++
			require.NotEmpty(t, c.Holder)
		}
	}
	require.Equal(t, 1, granted)
	require.Equal(t, n-1, busy)
}

func TestExpiredClaimIsRecoveredAndRecorded(t *testing.T) {
	l, _ := openLedger(t)
	ctx := context.Background()
	c, err := l.Claim(ctx, "<m@inc>", "worker-a", 300*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimGranted, c.State)
	c, err = l.Claim(ctx, "<m@inc>", "worker-b", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimBusy, c.State)
	require.Equal(t, "worker-a", c.Holder)

	// worker-a dies; its lease runs out and worker-b recovers the claim, knowing whose it was.
	require.Eventually(t, func() bool {
		c, err = l.Claim(ctx, "<m@inc>", "worker-b", time.Minute)
		require.NoError(t, err)
		return c.State == activities.ClaimGranted
	}, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, "worker-a", c.RecoveredFrom)
	require.ErrorIs(t, l.Renew(ctx, "<m@inc>", "worker-a", time.Minute), activities.ErrClaimLost)
	require.NoError(t, l.Renew(ctx, "<m@inc>", "worker-b", time.Minute))

	n, err := l.Delivered(ctx, "worker-b", activities.SendNoticeResult{MessageID: "<m@inc>", Receipt: "250 b"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	// worker-a was only frozen, and had delivered as well: the second delivery is counted.
	n, err = l.Delivered(ctx, "worker-a", activities.SendNoticeResult{MessageID: "<m@inc>", Receipt: "250 a"})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	e, ok, err := l.Lookup(ctx, "<m@inc>")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, pgledger.Entry{State: "delivered", Holder: "worker-b", Deliveries: 2, Recoveries: 1, RecoveredFrom: "worker-a"}, e)

	// Later attempts see it delivered, with the first receipt.
	c, err = l.Claim(ctx, "<m@inc>", "worker-c", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimDelivered, c.State)
	require.Equal(t, "250 b", c.Receipt.Receipt)
}

func TestReleasedClaimIsNotARecovery(t *testing.T) {
	l, _ := openLedger(t)
	ctx := context.Background()
	_, err := l.Claim(ctx, "<r@inc>", "a", time.Minute)
	require.NoError(t, err)
	require.NoError(t, l.Release(ctx, "<r@inc>", "b"), "another holder's release is a no-op")
	c, err := l.Claim(ctx, "<r@inc>", "b", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimBusy, c.State)
	require.NoError(t, l.Release(ctx, "<r@inc>", "a"))
	c, err = l.Claim(ctx, "<r@inc>", "b", time.Minute)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimGranted, c.State)
	require.Empty(t, c.RecoveredFrom)
}

// Many attempts of the send activity at once, as from many workers: one SMTP delivery.
func TestConcurrentSendsDeliverOnce(t *testing.T) {
	l, _ := openLedger(t)
	s := smtptest.Start(t, smtptest.Options{})
	s.SetDelay(300 * time.Millisecond) // keep the first conversation open while the others try
	a := newActivities(t, s, l)
	in := input("cisa-report/notice")

	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent, already, busy := 0, 0, 0
	for range n {
		wg.Go(func() {
			res, err := send(a, in)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				require.Contains(t, err.Error(), "is being delivered by")
				busy++
			case res.AlreadySent:
				already++
			default:
				require.Empty(t, res.PossibleDuplicate)
				sent++
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, sent)
	require.Equal(t, n-1, already+busy)
	s.WaitFor(t, 1, 5*time.Second)
	require.Equal(t, map[string]int{in.MessageID: 1}, s.CountByMessageID())
	// The busy ones, retried, find it delivered and send nothing.
	res, err := send(a, in)
	require.NoError(t, err)
	require.True(t, res.AlreadySent)
	require.Len(t, s.Messages(), 1)
}

// A worker that died holding a claim: the retry recovers it after the lease, delivers, and says
// in its result that this may be a second copy.
func TestSendAfterDeadClaimReportsPossibleDuplicate(t *testing.T) {
	l, _ := openLedger(t)
	s := smtptest.Start(t, smtptest.Options{})
	a := newActivities(t, s, l)
	in := input("congress-notice/notice")
	c, err := l.Claim(context.Background(), in.MessageID, "dead-worker", 200*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, activities.ClaimGranted, c.State)

	_, err = send(a, in)
	require.ErrorContains(t, err, "is being delivered by dead-worker")
	require.Empty(t, s.Messages())

	time.Sleep(300 * time.Millisecond)
	res, err := send(a, in)
	require.NoError(t, err)
	require.Contains(t, res.PossibleDuplicate, "dead-worker")
	require.Equal(t, map[string]int{in.MessageID: 1}, s.CountByMessageID())
	e, _, err := l.Lookup(context.Background(), in.MessageID)
	require.NoError(t, err)
	require.Equal(t, 1, e.Recoveries)
}

// An attempt whose claim another attempt took over (it was frozen past its lease) stops its SMTP
// conversation when it next renews, fails, and leaves the ledger to the new holder. (smtptest
// delays the reply after the message is complete, so here the message had already been handed
// over: the new holder's delivery is then the documented, recorded possible duplicate.)
func TestLostClaimStopsTheConversation(t *testing.T) {
	l, dsn := openLedger(t)
	s := smtptest.Start(t, smtptest.Options{})
	s.SetDelay(3 * time.Second)
	a := newActivities(t, s, l)
	a.ClaimLease, a.RenewEvery = 2*time.Second, 100*time.Millisecond
	in := input("oig-notice/notice")

	errc := make(chan error, 1)
	go func() {
		_, err := send(a, in)
		errc <- err
	}()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	require.Eventually(t, func() bool {
		tag, err := conn.Exec(context.Background(), `UPDATE breachflow_send_ledger SET holder = 'thief' WHERE message_id = $1`, in.MessageID)
		require.NoError(t, err)
		return tag.RowsAffected() == 1
	}, 5*time.Second, 20*time.Millisecond)
	select {
	case err := <-errc:
		require.Error(t, err)
		require.True(t, strings.Contains(err.Error(), "taken over"), err.Error())
	case <-time.After(10 * time.Second):
		t.Fatal("the send did not stop after losing its claim")
	}
	e, ok, err := l.Lookup(context.Background(), in.MessageID)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, pgledger.Entry{State: "claimed", Holder: "thief"}, e, "the stopped attempt neither released nor marked the thief's claim")
}

func newActivities(t *testing.T, s *smtptest.Server, l activities.Ledger) *activities.Activities {
	t.Helper()
	tr, err := activities.NewSMTP(activities.SMTPConfig{Host: s.Host(), Port: s.Port(), Security: activities.SecurityPlain, Timeout: 10 * time.Second})
	require.NoError(t, err)
	return &activities.Activities{Transport: tr, Ledger: l, From: "desk@agency.example"}
}

func input(key string) activities.SendNoticeInput {
	r := templates.Rendered{Subject: "Notice", Text: "A notice.\n"}
	r.ContentHash = templates.Hash(r.Subject, r.Text, r.HTML)
	return activities.SendNoticeInput{
		IncidentID: "INC-1", NoticeKey: key, MessageID: activities.MessageID("INC-1", key, r.ContentHash),
		To: []string{"oversight@agency.example"}, Date: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), Notice: r,
	}
}

// send runs SendNotice as one activity attempt, in its own test environment.
func send(a *activities.Activities, in activities.SendNoticeInput) (activities.SendNoticeResult, error) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.SendNotice, in)
	if err != nil {
		return activities.SendNoticeResult{}, err
	}
	var res activities.SendNoticeResult
	if err := val.Get(&res); err != nil {
		return res, errors.New("decoding result: " + err.Error())
	}
	return res, nil
}

// onceTB lets the shared server's cleanup run at the end of the whole package, not of the first
// test: it hands pgtest the first test's logging but registers cleanups on the package.
type onceTB struct{ *testing.T }

func (o *onceTB) Cleanup(f func()) { cleanups = append(cleanups, f) }

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}
