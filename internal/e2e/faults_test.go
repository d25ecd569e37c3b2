package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/internal/smtptest"
	"github.com/breachflow/breachflow/workflows"
)

// workerProc is the real worker binary running as a child process, so it can be SIGKILLed.
type workerProc struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func buildWorker(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "worker")
	cmd := exec.Command("go", "build", "-o", bin, "./worker")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the worker: %s", out)
	return bin
}

func startWorker(t testing.TB, bin, address, dataDir string, smtpPort int, logs *lockedBuffer) *workerProc {
	t.Helper()
	cmd := exec.Command(bin, "-v", "--address", address, "--data", dataDir)
	cmd.Env = append(os.Environ(),
		config.EnvSMTPHost+"=127.0.0.1",
		config.EnvSMTPPort+"="+strconv.Itoa(smtpPort),
		config.EnvSMTPSecurity+"=plain",
		config.EnvSMTPTimeout+"=10s",
		config.EnvFrom+"=desk@agency.example",
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	w := &workerProc{cmd: cmd, out: logs}
	t.Cleanup(func() { w.kill() })
	return w
}

func (w *workerProc) kill() {
	if w.cmd.ProcessState == nil {
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
		_ = w.cmd.Wait()
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// faultCanary marks incident data that must never reach a log.
const faultCanary = "FAULTCANARY-91c2"

func startCanaryIncident(t *testing.T, c client.Client) string {
	t.Helper()
	id := startIncident(t, c, cbpInput(t, func(f *incidentfile.File) { f.Facts["summary"] = "Images copied by " + faultCanary }))
	_, err := update(t, c, id, workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: "coordinator"})
	require.NoError(t, err)
	return id
}

// incidentNotices is how many notices a canary incident sends on its own: five when the clocks
// start, and the CISA report requested.
const incidentNotices = 6

// waitNotices waits until every incident has its notices and every one is in state; it returns
// their Message-IDs, each with its incident.
func waitNotices(t *testing.T, c client.Client, ids []string, state string, timeout time.Duration) map[string]string {
	t.Helper()
	got := map[string]string{}
	require.Eventually(t, func() bool {
		clear(got)
		for _, id := range ids {
			// A query fails while the server or the worker is coming back: try again.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
			cancel()
			var st workflows.Status
			if err == nil {
				err = v.Get(&st)
			}
			if err != nil {
				t.Logf("status of %s: %v", id, err)
				return false
			}
			if len(st.Notices) < incidentNotices {
				return false
			}
			for _, n := range st.Notices {
				if n.State != state {
					return false
				}
				got[n.MessageID] = id
			}
		}
		return true
	}, timeout, 250*time.Millisecond, "every notice %s: %v", state, got)
	return got
}

// waitDelivered waits until every notice of the incidents is sent and returns their Message-IDs.
func waitDelivered(t *testing.T, c client.Client, ids []string, timeout time.Duration) map[string]string {
	t.Helper()
	return waitNotices(t, c, ids, workflows.NoticeSent, timeout)
}

// TestFaultsDeliverEveryNoticeOnce runs the real worker binary against the embedded server and a
// real SMTP server through three faults — the worker SIGKILLed while sends wait for the SMTP
// server's reply, the SMTP server down and then the Temporal server down while a retry is due,
// the Temporal server restarted while notices go out — and then counts, at the SMTP server,
// every notice by Message-ID. It also checks the worker's logs never carry incident data.
func TestFaultsDeliverEveryNoticeOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about three minutes")
	}
	bin := buildWorker(t)
	smtpd := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	port := freePort(t)
	srv, err := engine.StartEmbedded(dir, port)
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	c, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, engine.Logger(slog.LevelError))
	require.NoError(t, err)
	defer c.Close()
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			out := logs.String()
			t.Logf("the worker's log, last 8 KB:\n%s", out[max(0, len(out)-8192):])
		}
	})
	workerData := filepath.Join(dir, "worker")

	// 1. SIGKILL with sends in flight. The first incident's notices are delivered and
	// acknowledged. Then the SMTP server keeps every message it receives but holds its reply,
	// and the worker is killed as soon as one of the second incident's messages is held: that
	// send is in flight — committed at the server, its reply unread — by construction.
	w := startWorker(t, bin, srv.HostPort(), workerData, smtpd.Port(), logs)
	before := startCanaryIncident(t, c)
	sentBefore := waitDelivered(t, c, []string{before}, time.Minute)
	held := smtpd.HoldReplies()
	inflight := startCanaryIncident(t, c)
	var heldAtKill []string
	select {
	case m := <-held:
		heldAtKill = append(heldAtKill, m.MessageID)
	case <-time.After(time.Minute):
		t.Fatal("no send of the second incident reached the end of DATA")
	}
	w.kill()
	for more := true; more; {
		select {
		case m := <-held:
			heldAtKill = append(heldAtKill, m.MessageID)
		default:
			more = false
		}
	}
	atKill := smtpd.CountByMessageID()
	smtpd.ReleaseReplies() // into closed connections: the dead worker never reads them
	for mid := range sentBefore {
		require.Equal(t, 1, atKill[mid], "notice %s delivered before the kill", mid)
	}
	// The restarted worker is stopped by the test's cleanup.
	startWorker(t, bin, srv.HostPort(), workerData, smtpd.Port(), logs)
	// Sends the dead worker had started are retried once their 10 s heartbeat timeout lapses and
	// then, in the ledger, their dead claim's lease; the rest go out at once.
	sentInflight := waitDelivered(t, c, []string{inflight}, 3*time.Minute)

	// 2. The SMTP server down: every notice of a new incident fails its first round, and none is
	// taken for sent. Then the SMTP server is back and accepts everything, but the Temporal
	// server is down until the next round is due: nothing may be delivered until it is back.
	smtpd.Stop()
	down := startCanaryIncident(t, c)
	failing := waitNotices(t, c, []string{down}, workflows.NoticeFailing, 2*time.Minute)
	nextRound := time.Now().Add(time.Minute) // every round failed before now; the next is 1 min later
	for _, n := range status(t, c, down).Notices {
		require.NotEmpty(t, n.LastError, "notice %s failing without an error", n.Key)
		require.True(t, n.SentAt.IsZero(), "notice %s has a send time though the SMTP server was down", n.Key)
	}
	smtpd.Restart(t)
	require.NoError(t, srv.Stop())
	atStop := smtpd.CountByMessageID()
	time.Sleep(time.Until(nextRound) + 2*time.Second) // down while the retries fall due
	atRestart := smtpd.CountByMessageID()
	require.Equal(t, atStop, atRestart, "nothing is delivered while the Temporal server is down, though the SMTP server accepts")
	srv, err = engine.StartEmbedded(dir, port)
	require.NoError(t, err)
	sentDown := waitDelivered(t, c, []string{down}, 2*time.Minute)
	require.Len(t, sentDown, len(failing))

	// 3. The Temporal server restarted on the same data folder and port while notices go out.
	restarted := startCanaryIncident(t, c)
	require.NoError(t, srv.Stop())
	srv, err = engine.StartEmbedded(dir, port)
	require.NoError(t, err)
	sentRestarted := waitDelivered(t, c, []string{restarted}, 2*time.Minute)

	// Every message the SMTP server kept carries the Message-ID of a notice the engine sent: a
	// copy is a copy of the same notice, never a notice under another ID.
	counts := smtpd.CountByMessageID()
	all := map[string]string{}
	for _, sent := range []map[string]string{sentBefore, sentInflight, sentDown, sentRestarted} {
		for mid, incident := range sent {
			require.GreaterOrEqual(t, counts[mid], 1, "notice %s of %s lost", mid, incident)
			all[mid] = incident
		}
	}
	for mid := range counts {
		require.Contains(t, all, mid, "the SMTP server received %s, which is no notice's Message-ID", mid)
	}
	// Acknowledged before the kill: the ledger knows, so never sent again.
	for mid := range sentBefore {
		require.Equal(t, 1, counts[mid], "notice %s was delivered before the kill and sent again", mid)
	}
	// In flight at the kill: the one window the engine cannot close — the SMTP server committed
	// the message and the worker died before reading the reply — sends it again, with the same
	// Message-ID, so the receiving system can drop the copy. Never a third time.
	dups := 0
	for mid := range sentInflight {
		require.LessOrEqual(t, counts[mid], 2, "notice %s in flight at the kill delivered %d times", mid, counts[mid])
		dups += counts[mid] - 1
	}
	for _, mid := range heldAtKill {
		require.Contains(t, sentInflight, mid, "held message %s is one of the second incident's notices", mid)
	}
	t.Logf("SIGKILL mid-send: %d notices acknowledged before the kill (each once); %d in flight, of which %d held at the server at the kill; %d sent twice (same Message-ID)",
		len(sentBefore), len(sentInflight), len(heldAtKill), dups)
	// After the outages and the restart: every notice exactly once.
	for _, sent := range []map[string]string{sentDown, sentRestarted} {
		for mid, incident := range sent {
			require.Equal(t, 1, counts[mid], "notice %s of %s delivered %d times", mid, incident, counts[mid])
		}
	}

	out := logs.String()
	require.NotContains(t, out, faultCanary, "fact values never reach the worker's logs")
	require.NotContains(t, out, "@agency.example", "no addresses in the logs")
	require.NotContains(t, out, "Federal incident report", "no notice subjects or bodies in the logs")
	require.Contains(t, out, "Notice delivered", "the logs do record deliveries, by key and Message-ID")
}
