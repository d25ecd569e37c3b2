package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
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
	"github.com/breachflow/breachflow/internal/pgtest"
	"github.com/breachflow/breachflow/internal/smtptest"
)

// temporalCluster is the Temporal 1.32.1 server process on PostgreSQL, set up the way
// deploy/local-cluster.sh does it: the same schema script, config file and dynamic config.
type temporalCluster struct {
	t       testing.TB
	bin     string
	env     []string
	address string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	logs    *lockedBuffer
	pg      *pgtest.Server
}

// buildTemporalTools builds the server and its SQL tool (pinned by go.mod's tool directives) once
// per go.mod, in a folder kept across runs: linking the server takes a minute.
func buildTemporalTools(t testing.TB) (server, sqlTool string) {
	t.Helper()
	mod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	sum := sha256.Sum256(mod)
	dir := filepath.Join(os.TempDir(), "breachflow-temporal-bin-"+hex.EncodeToString(sum[:6]))
	server, sqlTool = filepath.Join(dir, "temporal-server"), filepath.Join(dir, "temporal-sql-tool")
	for bin, pkg := range map[string]string{server: "go.temporal.io/server/cmd/server", sqlTool: "go.temporal.io/server/cmd/tools/sql"} {
		if _, err := os.Stat(bin); err == nil {
			continue
		}
		tmp := bin + ".tmp" + strconv.Itoa(os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, pkg)
		cmd.Dir = "../.."
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "building %s: %s", pkg, out)
		require.NoError(t, os.Rename(tmp, bin))
	}
	return server, sqlTool
}

// startTemporalCluster starts PostgreSQL, sets up Temporal's schema and the ledger database with
// deploy/temporal/setup-schema.sh, and starts the server process.
func startTemporalCluster(t testing.TB) *temporalCluster {
	t.Helper()
	pg := pgtest.Start(t, pgtest.Options{})
	server, sqlTool := buildTemporalTools(t)
	schema := exec.Command("sh", "deploy/temporal/setup-schema.sh")
	schema.Dir = "../.."
	schema.Env = append(os.Environ(), "SQL_TOOL="+sqlTool, "POSTGRES_SEEDS=127.0.0.1", "DB_PORT="+strconv.Itoa(pg.Port),
		"POSTGRES_USER=postgres", "POSTGRES_PWD=unused-trust-on-loopback", "LEDGER_DBNAME=breachflow")
	out, err := schema.CombinedOutput()
	require.NoError(t, err, "setup-schema.sh: %s", out)

	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	frontend := freePort(t)
	env := append(os.Environ(), "POSTGRES_SEEDS=127.0.0.1", "DB_PORT="+strconv.Itoa(pg.Port), "POSTGRES_USER=postgres",
		"POSTGRES_PWD=unused", "LOG_LEVEL=error", "NUM_HISTORY_SHARDS=4",
		"DYNAMIC_CONFIG_FILE_PATH="+filepath.Join(root, "deploy/temporal/dynamicconfig/docker.yaml"),
		"FRONTEND_GRPC_PORT="+strconv.Itoa(frontend))
	for _, v := range []string{"FRONTEND_HTTP_PORT", "HISTORY_GRPC_PORT", "MATCHING_GRPC_PORT", "WORKER_GRPC_PORT"} {
		env = append(env, v+"="+strconv.Itoa(freePort(t)))
	}
	// Temporal stores membership ports in a smallint column: they must be below 32768, under
	// the kernel's range of ephemeral ports.
	for _, v := range []string{"FRONTEND_MEMBERSHIP_PORT", "HISTORY_MEMBERSHIP_PORT", "MATCHING_MEMBERSHIP_PORT", "WORKER_MEMBERSHIP_PORT"} {
		env = append(env, v+"="+strconv.Itoa(freeLowPort(t)))
	}
	tc := &temporalCluster{t: t, bin: server, env: env,
		address: "127.0.0.1:" + strconv.Itoa(frontend), logs: &lockedBuffer{}, pg: pg}
	tc.start()
	t.Cleanup(tc.stop)
	return tc
}

func (tc *temporalCluster) start() {
	tc.t.Helper()
	root, _ := filepath.Abs("../..")
	tc.cmd = exec.Command(tc.bin, "--config-file", filepath.Join(root, "deploy/temporal/config/local-postgres.yaml"), "--allow-no-auth", "start")
	tc.cmd.Env = tc.env
	tc.cmd.Stdout, tc.cmd.Stderr = tc.logs, tc.logs
	require.NoError(tc.t, tc.cmd.Start())
	exited := make(chan struct{})
	tc.exited = exited
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(exited) }(tc.cmd)
}

// stop stops the server: SIGTERM, then SIGKILL after 20 s.
func (tc *temporalCluster) stop() {
	if tc.cmd == nil {
		return
	}
	_ = tc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-tc.exited:
	case <-time.After(20 * time.Second):
		_ = tc.cmd.Process.Kill()
		<-tc.exited
	}
	tc.cmd = nil
}

// dial connects once the frontend answers, and waits for the namespace and search attributes.
func (tc *temporalCluster) dial() client.Client {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var c client.Client
	var err error
	for {
		if c, err = engine.Dial(config.Temporal{Address: tc.address, Namespace: "default"}, engine.Logger(slog.LevelError)); err == nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-tc.exited:
		case <-time.After(250 * time.Millisecond):
			continue
		}
		out := tc.logs.String()
		tc.t.Fatalf("Temporal server at %s never answered: %v\n%s", tc.address, err, out[max(0, len(out)-4096):])
	}
	require.NoError(tc.t, engine.PrepareCluster(ctx, c, "default"))
	return c
}

// startClusterWorker runs the real worker binary against the cluster, on the shared PG ledger.
func startClusterWorker(t testing.TB, bin string, tc *temporalCluster, smtpPort int, logs *lockedBuffer) *workerProc {
	t.Helper()
	cmd := exec.Command(bin, "-v")
	cmd.Env = append(os.Environ(),
		config.EnvTemporalAddress+"="+tc.address,
		config.EnvTemporalNamespace+"=default",
		config.EnvLedgerDSN+"="+tc.pg.DSN("breachflow"),
		config.EnvDataDir+"="+t.TempDir(),
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

// TestClusterWorkersDeliverEveryNoticeOnce runs the real Temporal server process on PostgreSQL
// and three worker processes sharing the PostgreSQL send ledger. Fifty incidents send their
// notices; one worker is SIGKILLed while sends are in flight (messages held at the SMTP server,
// replies unread) and the Temporal server process is restarted once. Every notice is then counted
// at the SMTP server by Message-ID: none lost; more than one copy only for a notice in flight on
// the killed worker, with the same Message-ID, and then recorded as a possible duplicate.
func TestClusterWorkersDeliverEveryNoticeOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("takes two to three minutes")
	}
	workerBin := buildWorker(t)
	tc := startTemporalCluster(t)
	c := tc.dial()
	defer c.Close()
	smtpd := smtptest.Start(t, smtptest.Options{})
	logs := [3]*lockedBuffer{{}, {}, {}}
	t.Cleanup(func() {
		if t.Failed() {
			for i, l := range logs {
				out := l.String()
				t.Logf("worker %d's log, last 4 KB:\n%s", i+1, out[max(0, len(out)-4096):])
			}
			out := tc.logs.String()
			t.Logf("the server's log, last 4 KB:\n%s", out[max(0, len(out)-4096):])
		}
	})
	var workers [3]*workerProc
	for i := range workers {
		workers[i] = startClusterWorker(t, workerBin, tc, smtpd.Port(), logs[i])
	}

	// Fifty incidents, started at once; each sends at least six notices.
	const incidents = 50
	ids := make([]string, incidents)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = startCanaryIncident(t, c) })
	}
	held := smtpd.HoldReplies()

	// SIGKILL worker 1 with sends in flight: wait until several messages sit at the SMTP server
	// with their replies held (committed, unanswered), kill, then answer the rest.
	var heldAtKill []string
	for len(heldAtKill) < 6 {
		select {
		case m := <-held:
			heldAtKill = append(heldAtKill, m.MessageID)
		case <-time.After(time.Minute):
			t.Fatalf("only %d sends reached the end of DATA", len(heldAtKill))
		}
	}
	workers[0].kill()
	killedAt := time.Now()
	smtpd.ReleaseReplies()
	wg.Wait()

	// Restart the Temporal server process while the rest go out.
	require.Eventually(t, func() bool { return len(smtpd.Messages()) >= incidents*incidentNotices/2 }, 2*time.Minute, 100*time.Millisecond)
	tc.stop()
	tc.start()

	sent := waitDelivered(t, c, ids, 3*time.Minute)
	t.Logf("%d notices of %d incidents delivered %.0f s after the kill", len(sent), incidents, time.Since(killedAt).Seconds())
	require.GreaterOrEqual(t, len(sent), incidents*incidentNotices)

	flagged := map[string]string{}
	for _, id := range ids {
		for _, n := range status(t, c, id).Notices {
			if n.PossibleDuplicate != "" {
				flagged[n.MessageID] = n.PossibleDuplicate
			}
		}
	}
	counts := smtpd.CountByMessageID()
	dups := 0
	for mid, incident := range sent {
		require.GreaterOrEqual(t, counts[mid], 1, "notice %s of %s lost", mid, incident)
		if counts[mid] > 1 {
			dups++
			require.Equal(t, 2, counts[mid], "notice %s delivered %d times", mid, counts[mid])
			require.Contains(t, flagged, mid, "notice %s delivered twice without being recorded as a possible duplicate", mid)
		}
	}
	for mid := range counts {
		require.Contains(t, sent, mid, "the SMTP server received %s, which is no notice's Message-ID", mid)
	}
	t.Logf("%d messages held at the kill; %d notices recorded as possible duplicates, %d delivered twice (same Message-ID)",
		len(heldAtKill), len(flagged), dups)
	for _, l := range logs[1:] {
		require.NotContains(t, l.String(), "send ledger not shared")
		require.NotContains(t, l.String(), faultCanary)
	}
}

// freeLowPort returns a free loopback port below 32768.
func freeLowPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port below 32768")
	return 0
}
