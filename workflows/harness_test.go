package workflows_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// ny is the zone of the seed case; deadlines in these tests are written in it.
var ny = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// sendObs is one SendNotice activity start, seen on the workflow clock.
type sendObs struct {
	at  time.Time
	key string
	// kind, template and due are the send input's metric labels and due time.
	kind, template string
	due            time.Time
	heartbeat      time.Duration // the attempt's heartbeat timeout
}

// harness runs IncidentWorkflow in the SDK's time-skipping test environment with the real
// activities (templates rendered, .eml files written to a temporary outbox).
type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	start  time.Time
	mu     sync.Mutex
	sends  []sendObs
	steps  []*stepResult
	snaps  map[time.Duration]workflows.Status
	outbox string
	// trusted are the console keys the workflow trusts (workflows.Options.TrustedKeys).
	trusted map[string]ed25519.PublicKey
	// sink is what digest rungs were handed to, when the harness made it.
	sink *collectSink
}

type stepResult struct {
	name    string
	at      time.Duration
	wantErr string
	done    bool
	err     error
	status  workflows.Status
}

func newHarness(t *testing.T, start time.Time, transport activities.Transport) *harness {
	t.Helper()
	return newHarnessWith(t, start, transport, &collectSink{})
}

// newHarnessWith is newHarness with activities that hand digest rungs to sink (newHarness: a
// collectSink).
func newHarnessWith(t *testing.T, start time.Time, transport activities.Transport, sink activities.DigestSink) *harness {
	t.Helper()
	return newHarnessFull(t, start, transport, sink, nil)
}

// newHarnessWithLedger is newHarness with the send ledger given (nil: a ledger folder).
func newHarnessWithLedger(t *testing.T, start time.Time, transport activities.Transport, ledger activities.Ledger) *harness {
	t.Helper()
	return newHarnessFull(t, start, transport, &collectSink{}, ledger)
}

// newHarnessFull is newHarness with the digest sink and the send ledger given.
func newHarnessFull(t *testing.T, start time.Time, transport activities.Transport, sink activities.DigestSink, ledger activities.Ledger) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	if ledger == nil {
		ledger, err = activities.OpenLedger(t.TempDir())
		require.NoError(t, err)
	}
	h := &harness{t: t, env: env, start: start, snaps: map[time.Duration]workflows.Status{}, outbox: t.TempDir()}
	if transport == nil {
		transport = &activities.Outbox{Dir: h.outbox}
	}
	if c, ok := sink.(*collectSink); ok {
		if c.now == nil {
			c.now = env.Now
		}
		h.sink = c
	}
	// The workflow as a worker registers it, trusting the console keys a test sets in h.trusted.
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.StartIncidentInput) (*workflows.IncidentResult, error) {
		return workflows.NewIncidentWorkflow(workflows.Options{TrustedKeys: h.trusted})(ctx, in)
	}, workflow.RegisterOptions{Name: workflows.WorkflowType})
	env.RegisterActivity(&activities.Activities{Templates: set, Transport: transport, Ledger: ledger, From: "desk@agency.example", Digests: sink})
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name != "SendNotice" {
			return
		}
		var in activities.SendNoticeInput
		require.NoError(t, args.Get(&in))
		h.mu.Lock()
		h.sends = append(h.sends, sendObs{at: env.Now().UTC(), key: in.NoticeKey, kind: in.Kind, template: in.Template, due: in.Due, heartbeat: info.HeartbeatTimeout})
		h.mu.Unlock()
	})
	return h
}

// do schedules a coordinator update at an offset from the start; wantErr "" expects success,
// otherwise a rejection containing wantErr.
func (h *harness) do(at time.Duration, name string, arg any, wantErr string) {
	r := &stepResult{name: name, at: at, wantErr: wantErr}
	h.steps = append(h.steps, r)
	id := fmt.Sprintf("step-%d", len(h.steps))
	h.env.RegisterDelayedCallback(func() {
		if signed := workflows.UpdateIDOf(arg); signed != "" {
			id = signed // a signed action goes under the Update ID it was signed for
		}
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.done, r.err = true, err },
			OnComplete: func(v any, err error) {
				r.done, r.err = true, err
				if st, ok := v.(workflows.Status); ok {
					r.status = st
				}
			},
		}, arg)
	}, at)
}

// doLate is do with an argument computed when the step runs (e.g. from a query).
func (h *harness) doLate(at time.Duration, name string, arg func() any, wantErr string) {
	h.doUnder(at, "", name, arg, wantErr)
}

// doUnder is doLate under a given Update ID; "" picks the one a signed input was signed for,
// or a step number.
func (h *harness) doUnder(at time.Duration, updateID, name string, arg func() any, wantErr string) {
	r := &stepResult{name: name, at: at, wantErr: wantErr}
	h.steps = append(h.steps, r)
	id := fmt.Sprintf("step-%d", len(h.steps))
	h.env.RegisterDelayedCallback(func() {
		in := arg()
		switch signed := workflows.UpdateIDOf(in); {
		case updateID != "":
			id = updateID
		case signed != "":
			id = signed // a signed action goes under the Update ID it was signed for
		}
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.done, r.err = true, err },
			OnComplete: func(v any, err error) {
				r.done, r.err = true, err
				if st, ok := v.(workflows.Status); ok {
					r.status = st
				}
			},
		}, in)
	}, at)
}

// preview queries an obligation's notice preview now.
func (h *harness) preview(obligation string) workflows.Preview {
	v, err := h.env.QueryWorkflow(workflows.QueryPreview, obligation)
	require.NoError(h.t, err)
	var p workflows.Preview
	require.NoError(h.t, v.Get(&p))
	return p
}

// snapshot queries the status at an offset from the start.
func (h *harness) snapshot(at time.Duration) {
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(h.t, err)
		var st workflows.Status
		require.NoError(h.t, v.Get(&st))
		h.snaps[at] = st
	}, at)
}

// run executes the workflow and checks every scheduled step's outcome.
func (h *harness) run(in workflows.StartIncidentInput) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.WorkflowType, in)
	require.True(h.t, h.env.IsWorkflowCompleted(), "the incident workflow did not complete")
	for _, s := range h.steps {
		require.True(h.t, s.done, "step %s at %s never finished", s.name, s.at)
		if s.wantErr == "" {
			require.NoError(h.t, s.err, "step %s at %s", s.name, s.at)
		} else {
			require.Error(h.t, s.err, "step %s at %s should be refused", s.name, s.at)
			require.Contains(h.t, s.err.Error(), s.wantErr, "step %s at %s", s.name, s.at)
		}
	}
}

// sendTimes returns, per notice key, the workflow times at which it was sent.
func (h *harness) sendTimes() map[string][]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string][]time.Time{}
	for _, s := range h.sends {
		m[s.key] = append(m[s.key], s.at)
	}
	return m
}

// sentMatching returns the send times of notices whose key starts with prefix, in order.
func (h *harness) sentMatching(prefix string) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, s := range h.sends {
		if len(s.key) >= len(prefix) && s.key[:len(prefix)] == prefix {
			out = append(out, s.at)
		}
	}
	return out
}

// handedMatching returns the times the rungs whose key starts with prefix were handed to the
// digests (once per rung, however many recipients), in order.
func (h *harness) handedMatching(prefix string) []time.Time {
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	var out []time.Time
	seen := map[string]bool{}
	for _, c := range h.sink.added {
		if strings.HasPrefix(c.key, prefix) && !seen[c.key] {
			seen[c.key] = true
			out = append(out, c.at.UTC())
		}
	}
	return out
}

// defaultPlaybook loads the shipped us-federal-breach playbook.
func defaultPlaybook(t *testing.T) *playbook.Playbook {
	t.Helper()
	set, err := templates.Load(templates.Embedded())
	require.NoError(t, err)
	data, err := fs.ReadFile(templates.Embedded(), "playbooks/us-federal-breach.yaml")
	require.NoError(t, err)
	pb, err := playbook.Parse("us-federal-breach.yaml", data, set)
	require.NoError(t, err)
	return pb
}

// cbpInput is the example incident (examples/cbp-2019.yaml) discovered at the given time.
func cbpInput(t *testing.T, discovered time.Time) workflows.StartIncidentInput {
	t.Helper()
	raw, err := os.ReadFile("../examples/cbp-2019.yaml")
	require.NoError(t, err)
	f, err := incidentfile.Parse("cbp-2019.yaml", raw)
	require.NoError(t, err)
	f.DiscoveredAt = discovered.Format(time.RFC3339)
	in, err := f.Input(workflows.NewIncidentID(), defaultPlaybook(t), "coordinator", discovered, false)
	require.NoError(t, err)
	return in
}

func obligation(st workflows.Status, id string) workflows.ObligationStatus {
	for _, o := range st.Obligations {
		if o.ID == id {
			return o
		}
	}
	panic("no obligation " + id)
}

// flakyTransport is a real Transport that fails its first n deliveries, then writes to an outbox.
type flakyTransport struct {
	mu       sync.Mutex
	failures int
	calls    int
	next     activities.Transport
}

func (f *flakyTransport) Name() string { return "flaky" }

func (f *flakyTransport) Deliver(ctx context.Context, id, from string, rcpts []string, raw []byte) (string, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.failures
	f.mu.Unlock()
	if fail {
		return "", errors.New("connection refused")
	}
	return f.next.Deliver(ctx, id, from, rcpts, raw)
}
