package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/workflows"
)

// outage models workers being down during windows of workflow time: a timer that falls due
// inside a window fires only when the window ends, as a durable timer's workflow task is only
// run once a worker is back. Nothing else reaches the workflow during a window in these tests.
type outage struct {
	interceptor.WorkerInterceptorBase
	windows [][2]time.Time
}

func (o *outage) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &outageInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, o: o}
}

type outageInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	o *outage
}

func (i *outageInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&outageOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, o: i.o})
}

type outageOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	o *outage
}

// late is how long a timer of d started now really waits.
func (o *outage) late(now time.Time, d time.Duration) time.Duration {
	fire := now.Add(d)
	for _, w := range o.windows {
		if !fire.Before(w[0]) && fire.Before(w[1]) {
			return w[1].Sub(now)
		}
	}
	return d
}

func (o *outageOutbound) AwaitWithTimeout(ctx workflow.Context, d time.Duration, cond func() bool) (bool, error) {
	return o.Next.AwaitWithTimeout(ctx, o.o.late(workflow.Now(ctx), d), cond)
}

func (o *outageOutbound) AwaitWithOptions(ctx workflow.Context, opts workflow.AwaitOptions, cond func() bool) (bool, error) {
	opts.Timeout = o.o.late(workflow.Now(ctx), opts.Timeout)
	return o.Next.AwaitWithOptions(ctx, opts, cond)
}

func (o *outageOutbound) NewTimer(ctx workflow.Context, d time.Duration) workflow.Future {
	return o.Next.NewTimer(ctx, o.o.late(workflow.Now(ctx), d))
}

// outagePlaybook: a 10-hour deadline with reminders at 5 h, 7 h, 9 h and 10 h, and hourly
// escalations from the deadline on.
const outagePlaybook = `
format: 1
name: outage
version: "1"
title: Outage test
defaults:
  reminders: [{at_fraction: 0.5}, {before: 3h}, {before: 1h}, {before: 0s}]
  escalation: {to: [boss], every: 1h}
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
  boss: {title: Boss, contacts: [{email: boss@agency.example}]}
obligations:
  - {id: report, title: Report, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 10}}
`

// TestOutageSkipsSupersededRungsOnce: workers are down while several rungs fall due. When they
// are back, only the latest rung of each kind is sent, and the superseded ones are recorded as
// exactly one "skipped" line per kind and outage — with Count when more than one — and never sent.
func TestOutageSkipsSupersededRungsOnce(t *testing.T) {
	t0 := time.Date(2024, 3, 4, 9, 0, 0, 0, ny)
	h := newHarness(t, t0, nil)
	in := testInput(t, outagePlaybook, t0)
	h.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&outage{windows: [][2]time.Time{
		{t0.Add(4 * hour), t0.Add(9*hour + 30*time.Minute)},                  // reminders at 5 h, 7 h, 9 h
		{t0.Add(10*hour + 30*time.Minute), t0.Add(14*hour + 30*time.Minute)}, // escalations 2–5 (11 h–14 h)
		{t0.Add(14*hour + 45*time.Minute), t0.Add(16*hour + 30*time.Minute)}, // escalations 6–7 (15 h, 16 h)
	}}}})
	h.do(16*hour+45*time.Minute, workflows.UpdateComplete, workflows.CompleteInput{Obligation: "report", By: "a"}, "")
	h.do(17*hour, workflows.UpdateClose, workflows.CloseInput{By: "a"}, "")
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var res workflows.IncidentResult
	require.NoError(t, h.env.GetWorkflowResult(&res))

	deadline := t0.Add(10 * hour).Unix()
	reminder := func(i int) string { return fmt.Sprintf("report/reminder/%d/%d", deadline, i) }
	escalation := func(k int) string { return fmt.Sprintf("report/escalation/%d/%d", deadline, k) }
	at := func(d time.Duration) []time.Time { return utc(t0.Add(d)) }
	require.Equal(t, map[string][]time.Time{
		reminder(2):   at(9*hour + 30*time.Minute), // the latest of 5 h, 7 h, 9 h, when the worker is back
		reminder(3):   at(10 * hour),
		escalation(1): at(10 * hour),
		escalation(5): at(14*hour + 30*time.Minute),
		escalation(7): at(16*hour + 30*time.Minute),
	}, h.sendTimes(), "only the latest rung of each outage is sent; the superseded ones never are")

	type skip struct {
		At     time.Time
		Action workflows.Action
		Detail string
		Count  int
	}
	var skips []skip
	for _, e := range res.Log {
		if e.Action == workflows.ActionSkippedReminder || e.Action == workflows.ActionSkippedEscalation {
			require.Equal(t, "report", e.Obligation)
			require.Equal(t, workflows.ActorEngine, e.Actor)
			skips = append(skips, skip{e.At.UTC(), e.Action, e.Detail, e.Count})
		}
	}
	require.Equal(t, []skip{
		{t0.Add(9*hour + 30*time.Minute).UTC(), workflows.ActionSkippedReminder, "2 reminders superseded by a later one, the first 50% of the window", 2},
		{t0.Add(14*hour + 30*time.Minute).UTC(), workflows.ActionSkippedEscalation, "3 escalations superseded by a later one, the first escalation 2", 3},
		{t0.Add(16*hour + 30*time.Minute).UTC(), workflows.ActionSkippedEscalation, "escalation 6: superseded by a later one", 0},
	}, skips, "one line per kind and outage; Count only when more than one")
}
