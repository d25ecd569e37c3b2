package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devserver"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// stack is an embedded server, a client and a worker in this process, sharing one data folder:
// the shape of `worker --dev`, and what the integration tests run against.
type stack struct {
	srv       *devserver.Server
	client    client.Client
	worker    worker.Worker
	templates *templates.Set
	rec       *recorder
	dir       string
}

// startStack starts a stack in dir whose notices go to a recorder. Extra workflows are
// registered next to the incident workflow; interceptors are added to the worker.
func startStack(dir string, opts worker.Options, extra ...any) (*stack, error) {
	srv, err := engine.StartEmbedded(dir, 0)
	if err != nil {
		return nil, err
	}
	c, err := engine.Dial(config.Temporal{Address: srv.HostPort(), Namespace: srv.Namespace()}, engine.Logger(slog.LevelError))
	if err != nil {
		_ = srv.Stop()
		return nil, err
	}
	set, err := engine.Templates("")
	if err != nil {
		return nil, err
	}
	ledger, err := activities.OpenLedger(filepath.Join(dir, "ledger"))
	if err != nil {
		return nil, err
	}
	rec := newRecorder()
	w := worker.New(c, workflows.TaskQueue, opts)
	engine.Register(w, &activities.Activities{Templates: set, Transport: rec, Ledger: ledger, From: "incident-desk@agency.example"})
	for _, wf := range extra {
		w.RegisterWorkflow(wf)
	}
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("starting worker: %w", err)
	}
	return &stack{srv: srv, client: c, worker: w, templates: set, rec: rec, dir: dir}, nil
}

// stop shuts the worker, client and server down.
func (s *stack) stop() {
	s.worker.Stop()
	s.client.Close()
	_ = s.srv.Stop()
}

// recorder is a Transport that notes when each notice reached it, per incident (or bare
// workflow), and sends nothing: the benchmarks measure the engine, not a mail server.
type recorder struct {
	mu   sync.Mutex
	cond *sync.Cond
	at   map[string][]time.Time // owner -> delivery times, in order
}

func newRecorder() *recorder {
	r := &recorder{at: map[string][]time.Time{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// Name implements activities.Transport.
func (r *recorder) Name() string { return "recorder" }

// Deliver implements activities.Transport: it records the delivery under the Message-ID's domain.
func (r *recorder) Deliver(_ context.Context, messageID, _ string, _ []string, _ []byte) (string, error) {
	r.note(ownerOf(messageID), time.Now())
	return "recorded", nil
}

func (r *recorder) note(owner string, at time.Time) {
	r.mu.Lock()
	r.at[owner] = append(r.at[owner], at)
	r.mu.Unlock()
	r.cond.Broadcast()
}

// ownerOf returns the lower-case incident (or workflow) ID of a Message-ID
// "<local@inc-<uuid>.breachflow>".
func ownerOf(messageID string) string {
	domain := messageID[strings.LastIndex(messageID, "@")+1:]
	return strings.TrimSuffix(domain, ".breachflow>")
}

// waitFor blocks until owner has had n deliveries, or the timeout passes.
func (r *recorder) waitFor(owner string, n int, timeout time.Duration) error {
	owner = strings.ToLower(owner)
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, r.cond.Broadcast)
	defer stop.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.at[owner]) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d notices delivered after %s", owner, len(r.at[owner]), n, timeout)
		}
		r.cond.Wait()
	}
	return nil
}

// firstDelivery returns when owner's first notice was delivered.
func (r *recorder) firstDelivery(owner string) (time.Time, bool) { return r.nth(owner, 0) }

// nth returns when owner's i-th notice (from 0) was delivered.
func (r *recorder) nth(owner string, i int) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := r.at[strings.ToLower(owner)]
	if i >= len(at) {
		return time.Time{}, false
	}
	return at[i], true
}

// activityCapture records the arguments of the activities a workflow schedules (local or not),
// so that a bare baseline workflow can issue exactly the same ones.
type activityCapture struct {
	interceptor.WorkerInterceptorBase
	mu    sync.Mutex
	calls map[string][]capturedCall // workflow ID -> calls in order
}

type capturedCall struct {
	activity string
	local    bool
	arg      any
}

func (ac *activityCapture) InterceptWorkflow(ctx workflowContext, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &captureIn{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, ac: ac}
}

type captureIn struct {
	interceptor.WorkflowInboundInterceptorBase
	ac *activityCapture
}

func (i *captureIn) Init(out interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&captureOut{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: out}, ac: i.ac})
}

type captureOut struct {
	interceptor.WorkflowOutboundInterceptorBase
	ac *activityCapture
}

func (o *captureOut) record(ctx workflowContext, name string, local bool, args []any) {
	if len(args) != 1 || o.Next.IsReplaying(ctx) {
		return
	}
	id := o.Next.GetInfo(ctx).WorkflowExecution.ID
	o.ac.mu.Lock()
	o.ac.calls[id] = append(o.ac.calls[id], capturedCall{activity: name, local: local, arg: args[0]})
	o.ac.mu.Unlock()
}

func (o *captureOut) ExecuteActivity(ctx workflowContext, activityType string, args ...any) workflowFuture {
	o.record(ctx, activityType, false, args)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *captureOut) ExecuteLocalActivity(ctx workflowContext, activityType string, args ...any) workflowFuture {
	o.record(ctx, activityType, true, args)
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}
