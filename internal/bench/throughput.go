package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/examples"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

type (
	workflowContext = workflow.Context
	workflowFuture  = workflow.Future
)

// BareInput is what the baseline workflow does: the incident's automatic notices, rendered by
// the same local activity and sent by the same activity, with the same inputs.
type BareInput struct {
	Renders []activities.RenderNoticeInput
	Sends   []activities.SendNoticeInput
}

// bareClose is the Update that ends a bare workflow, as close ends an incident.
const bareClose = "close"

// BareNotices is the floor an incident is measured against: a workflow that issues the
// incident's automatic notices — each a local render then a send, all in parallel, with the
// incident's activity options — and then waits for a close Update. No state, no timers, no
// search attributes, no record.
func BareNotices(ctx workflow.Context, in BareInput) error {
	closed := false
	if err := workflow.SetUpdateHandler(ctx, bareClose, func(workflow.Context, workflows.CloseInput) error { closed = true; return nil }); err != nil {
		return err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 4},
	})
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	done := 0
	for i := range in.Sends {
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { done++ }()
			var r templates.Rendered
			if err := workflow.ExecuteLocalActivity(lctx, workflows.RenderNoticeActivity, in.Renders[i]).Get(ctx, &r); err != nil {
				return
			}
			send := in.Sends[i]
			send.IncidentID, send.Notice = id, r
			send.MessageID = fmt.Sprintf("<bare.%d@%s.breachflow>", i, id)
			var res activities.SendNoticeResult
			_ = workflow.ExecuteActivity(sctx, "SendNotice", send).Get(ctx, &res)
		})
	}
	// Completing while an activity result is on its way would fail the workflow task (an
	// unhandled command) and the close Update with it: wait for the sends, as the incident does.
	return workflow.Await(ctx, func() bool { return closed && done == len(in.Sends) })
}

// throughputConfig sizes the throughput workload.
type throughputConfig struct {
	Incidents int
	Clients   int
}

// runThroughput measures incidents per second, start → automatic notices delivered → close →
// result, against the bare workflow issuing the same activities, on one embedded server.
func runThroughput(ctx context.Context, dir string, cfg throughputConfig) ([]Row, error) {
	capture := &activityCapture{calls: map[string][]capturedCall{}}
	s, err := startStack(dir, worker.Options{Interceptors: []interceptor.WorkerInterceptor{capture}}, BareNotices)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	pb, file, err := cbpExample(s)
	if err != nil {
		return nil, err
	}
	newInput := func() (workflows.StartIncidentInput, error) {
		return file.Input(workflows.NewIncidentID(), pb, "bench", time.Now().UTC().Truncate(time.Second), true)
	}

	// A warm-up incident tells how many notices an incident sends on its own and with which
	// activity inputs; the baseline issues the same.
	in, err := newInput()
	if err != nil {
		return nil, err
	}
	k, err := warmUp(ctx, s, in)
	if err != nil {
		return nil, err
	}
	var bare BareInput
	capture.mu.Lock()
	for _, c := range capture.calls[in.IncidentID] {
		switch arg := c.arg.(type) {
		case activities.RenderNoticeInput:
			bare.Renders = append(bare.Renders, arg)
		case activities.SendNoticeInput:
			bare.Sends = append(bare.Sends, arg)
		}
	}
	capture.mu.Unlock()
	if len(bare.Renders) != k || len(bare.Sends) != k {
		return nil, fmt.Errorf("throughput: the warm-up incident sent %d notices but %d renders and %d sends were captured", k, len(bare.Renders), len(bare.Sends))
	}
	// Warm the baseline's path too.
	if err := oneBare(ctx, s, "bare-warmup", bare, k); err != nil {
		return nil, fmt.Errorf("%w%s", err, taskFailures(ctx, s.client, "bare-warmup"))
	}

	bareRate, err := drive(cfg, func(i int) error { return oneBare(ctx, s, fmt.Sprintf("bare-%d", i), bare, k) })
	if err != nil {
		return nil, fmt.Errorf("throughput baseline: %w", err)
	}
	retries0 := engine.UpdatesResent.Load()
	incRate, err := drive(cfg, func(int) error {
		in, err := newInput()
		if err != nil {
			return err
		}
		return oneIncident(ctx, s, in, k)
	})
	if err != nil {
		return nil, fmt.Errorf("throughput: %w", err)
	}
	c := fmt.Sprintf("incidents=%d/clients=%d/notices=%d", cfg.Incidents, cfg.Clients, k)
	return []Row{{
		Workload: "throughput", Case: c, Metric: "incidents/s", Value: incRate,
		Baseline: bareRate, BaselineName: "bare workflow, same activities", Ratio: incRate / bareRate,
		Goal: "≥ 0.9×", Met: ptr(incRate/bareRate >= 0.9),
		Note: fmt.Sprintf("%d of %d close Updates were lost with a failed workflow task (unhandled command) and sent again", engine.UpdatesResent.Load()-retries0, cfg.Incidents),
	}}, nil
}

// drive runs cfg.Incidents calls of one on cfg.Clients goroutines and returns calls per second.
func drive(cfg throughputConfig, one func(i int) error) (float64, error) {
	start := time.Now()
	next := make(chan int)
	errs := make(chan error, cfg.Clients)
	var wg sync.WaitGroup
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := one(i); err != nil {
					errs <- err
					for range next {
					}
					return
				}
			}
		}()
	}
	for i := range cfg.Incidents {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(cfg.Incidents) / time.Since(start).Seconds(), nil
}

// warmUp runs one incident until its automatic notices are all sent, closes it, and returns how
// many there were.
func warmUp(ctx context.Context, s *stack, in workflows.StartIncidentInput) (int, error) {
	if _, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: in.IncidentID, TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow, in); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		v, err := s.client.QueryWorkflow(ctx, in.IncidentID, "", workflows.QueryStatus)
		if err != nil {
			return 0, err
		}
		var st workflows.Status
		if err := v.Get(&st); err != nil {
			return 0, err
		}
		auto, sent := 0, 0
		for _, n := range st.Notices {
			if n.RequestedBy == workflows.ActorEngine {
				auto++
				if n.State == workflows.NoticeSent {
					sent++
				}
			}
		}
		if auto > 0 && sent == auto {
			return auto, closeIncident(ctx, s.client, in.IncidentID)
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("warm-up incident: %d of %d automatic notices sent after a minute", sent, auto)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// oneIncident: start, wait for the k automatic notices, close, wait for the result.
func oneIncident(ctx context.Context, s *stack, in workflows.StartIncidentInput, k int) error {
	if _, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: in.IncidentID, TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow, in); err != nil {
		return err
	}
	if err := s.rec.waitFor(in.IncidentID, k, 2*time.Minute); err != nil {
		return err
	}
	return closeIncident(ctx, s.client, in.IncidentID)
}

// closeIncident force-closes an incident and waits for its result. A close lost with the
// workflow task that completes the workflow is sent again by engine.SendUpdate, as the starter
// and console send it.
func closeIncident(ctx context.Context, c client.Client, id string) error {
	if err := engine.SendUpdate(ctx, c, id, workflows.UpdateClose, workflows.CloseInput{By: "bench", Force: true, Reason: "benchmark over"}, nil); err != nil {
		return fmt.Errorf("closing %s: %w%s", id, err, taskFailures(ctx, c, id))
	}
	return c.GetWorkflow(ctx, id, "").Get(ctx, nil)
}

// oneBare: the baseline's start, k notices, close and result.
func oneBare(ctx context.Context, s *stack, id string, in BareInput, k int) error {
	if _, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, BareNotices, in); err != nil {
		return err
	}
	if err := s.rec.waitFor(id, k, 2*time.Minute); err != nil {
		return err
	}
	if err := engine.SendUpdate(ctx, s.client, id, bareClose, workflows.CloseInput{By: "bench", Force: true, Reason: "benchmark over"}, nil); err != nil {
		return fmt.Errorf("%w%s", err, taskFailures(ctx, s.client, id))
	}
	return s.client.GetWorkflow(ctx, id, "").Get(ctx, nil)
}

// cbpExample loads the example incident (examples/cbp-2019.yaml) and its playbook.
func cbpExample(s *stack) (*playbook.Playbook, *incidentfile.File, error) {
	raw, err := examples.Files.ReadFile("cbp-2019.yaml")
	if err != nil {
		return nil, nil, err
	}
	f, err := incidentfile.Parse("cbp-2019.yaml", raw)
	if err != nil {
		return nil, nil, err
	}
	pb, err := engine.LoadPlaybook(f.Playbook, s.templates)
	if err != nil {
		return nil, nil, err
	}
	return pb, f, nil
}

func ptr[T any](v T) *T { return &v }

// taskFailures returns the workflow task failures in a workflow's history, for an error message.
func taskFailures(ctx context.Context, c client.Client, id string) string {
	var out string
	iter := c.GetWorkflowHistory(ctx, id, "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			break
		}
		if f := e.GetWorkflowTaskFailedEventAttributes(); f != nil {
			out += "; workflow task failed: " + f.GetFailure().GetMessage()
		}
	}
	return out
}
