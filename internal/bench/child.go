package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/workflows"
)

// The scale workload runs the embedded server and the worker as child processes of this binary,
// so that each one's memory can be read on its own. The role and its settings go in the
// environment; a child runs until its standard input closes.
const (
	envChild   = "BREACHFLOW_BENCH_CHILD"   // "server" or "worker"
	envDir     = "BREACHFLOW_BENCH_DIR"     // data folder
	envAddress = "BREACHFLOW_BENCH_ADDRESS" // worker: the server's host:port
	envCache   = "BREACHFLOW_BENCH_CACHE"   // worker: sticky cache size (0 turns sticky execution off)
)

// child runs a child role and returns its exit code.
func child(role string) int {
	var err error
	switch role {
	case "server":
		err = childServer()
	case "worker":
		err = childWorker()
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", role, err)
		return 1
	}
	return 0
}

// childServer starts the embedded server, prints "ready HOST:PORT" and stops when stdin closes.
func childServer() error {
	srv, err := engine.StartEmbedded(os.Getenv(envDir), 0)
	if err != nil {
		return err
	}
	fmt.Printf("ready %s\n", srv.HostPort())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return srv.Stop()
}

// lineTransport prints "d OWNER UNIXNANO" for every delivery, for the parent's recorder.
type lineTransport struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (t *lineTransport) Name() string { return "recorder" }

func (t *lineTransport) Deliver(_ context.Context, messageID, _ string, _ []string, _ []byte) (string, error) {
	now := time.Now().UnixNano()
	t.mu.Lock()
	fmt.Fprintf(t.w, "d %s %d\n", ownerOf(messageID), now)
	err := t.w.Flush()
	t.mu.Unlock()
	return "recorded", err
}

// childWorker runs the engine's worker against the server at $BREACHFLOW_BENCH_ADDRESS.
func childWorker() error {
	if v := os.Getenv(envCache); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s: %w", envCache, err)
		}
		worker.SetStickyWorkflowCacheSize(n)
	}
	c, err := engine.Dial(config.Temporal{Address: os.Getenv(envAddress), Namespace: "default"}, engine.Logger(slog.LevelError))
	if err != nil {
		return err
	}
	defer c.Close()
	set, err := engine.Templates("")
	if err != nil {
		return err
	}
	ledger, err := activities.OpenLedger(filepath.Join(os.Getenv(envDir), "ledger"))
	if err != nil {
		return err
	}
	w := worker.New(c, workflows.TaskQueue, benchWorkerOptions())
	engine.Register(w, &activities.Activities{Templates: set, Transport: &lineTransport{w: bufio.NewWriter(os.Stdout)}, Ledger: ledger, From: "incident-desk@agency.example"})
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	w.Stop()
	return nil
}

// benchWorkerOptions are the worker options the workloads run with: the engine's defaults.
func benchWorkerOptions() worker.Options { return worker.Options{} }

// proc is a running child process.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
	done  chan struct{}
}

// startChild starts this binary in a child role and waits for its "ready" line, returning what
// follows the word. Lines after it go to onLine.
func startChild(role string, env []string, onLine func(string)) (*proc, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), envChild+"="+role), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &proc{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout), done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		sent := false
		for p.lines.Scan() {
			line := p.lines.Text()
			if !sent && (line == "ready" || strings.HasPrefix(line, "ready ")) {
				ready <- strings.TrimSpace(strings.TrimPrefix(line, "ready"))
				sent = true
				continue
			}
			if onLine != nil {
				onLine(line)
			}
		}
		if !sent {
			close(ready)
		}
	}()
	select {
	case v, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			return nil, "", fmt.Errorf("the %s child exited before it was ready", role)
		}
		return p, v, nil
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return nil, "", fmt.Errorf("the %s child was not ready after two minutes", role)
	}
}

// stop closes the child's stdin and waits for it to exit.
func (p *proc) stop() error {
	_ = p.stdin.Close()
	<-p.done
	return p.cmd.Wait()
}

// rss is the child's resident set size in bytes (VmRSS in /proc/PID/status).
func (p *proc) rss() (int64, error) { return vmRSS(p.cmd.Process.Pid) }

func vmRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// deliveryLine parses a worker child's "d OWNER UNIXNANO" line into the recorder.
func (r *recorder) deliveryLine(line string) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "d" {
		return
	}
	ns, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return
	}
	r.note(f[1], time.Unix(0, ns))
}
