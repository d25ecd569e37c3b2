package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/workflows"
)

// newerBuildIncident stands for IncidentWorkflow as a newer build wrote it: it goes through a
// change (at a version) and then waits, open, as an incident does.
func newerBuildIncident(ctx workflow.Context, changeID string, version workflow.Version) error {
	workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, version)
	workflow.GetSignalChannel(ctx, "never").Receive(ctx, nil)
	return nil
}

// incompatibilities is the IncompatibleChange errors of err.
func incompatibilities(err error) []engine.IncompatibleChange {
	var out []engine.IncompatibleChange
	var walk func(error)
	walk = func(err error) {
		if ic, ok := err.(engine.IncompatibleChange); ok {
			out = append(out, ic)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// TestCompatibilityCheck runs engine.CheckCompatible, the worker's start-up check, against open
// workflows on the embedded server, with payload encryption on (the markers' details are
// encrypted, so the check must decode them with the worker's keys).
func TestCompatibilityCheck(t *testing.T) {
	dir := t.TempDir()
	keys, err := codec.ParseKeys("k-test:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(t, err)
	s := startStackWith(t, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")}, keys)
	ctx := context.Background()
	opts := engine.CompatOptions{Namespace: s.srv.Namespace(), DataConverter: codec.DataConverter(keys)}

	// A real incident, started as the starter does, went through known changes only.
	incident := startIncident(t, s.client, cbpInput(t, nil))
	status(t, s.client, incident) // its first workflow task is done
	markers := 0
	it := s.client.GetWorkflowHistory(ctx, incident, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetMarkerRecordedEventAttributes(); a.GetMarkerName() == "Version" {
			markers++
			p := a.GetDetails()["change-id"].GetPayloads()
			require.NotEmpty(t, p)
			require.Equal(t, codec.MetadataEncodingEncrypted, string(p[0].GetMetadata()[converter.MetadataEncoding]), "the change ID is encrypted")
		}
	}
	require.Positive(t, markers, "the incident's history holds version markers for the check to read")
	require.Eventually(t, func() bool {
		n, err := engine.CheckCompatible(ctx, s.client, opts)
		require.NoError(t, err)
		return n >= 1
	}, 30*time.Second, 200*time.Millisecond, "visibility lists the incident and the check reads it")

	// Without the keys the markers cannot be read: the check says so instead of passing.
	_, err = engine.CheckCompatible(ctx, s.client, engine.CompatOptions{Namespace: s.srv.Namespace()})
	require.ErrorContains(t, err, incident)
	require.ErrorContains(t, err, "the marker is encrypted")
	require.ErrorContains(t, err, codec.EnvKeys)

	// A newer build's incident, on its own task queue so this build's worker never runs it.
	const queue = "compat-newer-build"
	w := worker.New(s.client, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(newerBuildIncident, workflow.RegisterOptions{Name: workflows.WorkflowType})
	require.NoError(t, w.Start())
	defer w.Stop()
	startNewer := func(changeID string, v workflow.Version) string {
		id := workflows.NewIncidentID()
		_, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflows.WorkflowType, changeID, v)
		require.NoError(t, err)
		return id
	}
	// waitFor runs the check until it reports the change at the version, and returns its error.
	waitFor := func(changeID string, v workflow.Version) (engine.IncompatibleChange, error) {
		var last error
		var got engine.IncompatibleChange
		require.Eventually(t, func() bool {
			_, last = engine.CheckCompatible(ctx, s.client, opts)
			for _, ic := range incompatibilities(last) {
				if ic.ChangeID == changeID && ic.Version == v {
					got = ic
					return true
				}
			}
			return false
		}, 30*time.Second, 200*time.Millisecond, "the check reports %s version %d (last: %v)", changeID, v, last)
		return got, last
	}

	// A change this build has never heard of.
	future := startNewer("from-a-future-build", 3)
	ic, err := waitFor("from-a-future-build", 3)
	require.Equal(t, future, ic.WorkflowID)
	require.Equal(t, workflow.DefaultVersion, ic.Known)
	require.ErrorContains(t, err, "this worker's build is older than the one that ran "+future)
	require.ErrorContains(t, err, "does not know change from-a-future-build")
	require.ErrorContains(t, err, "deploy the build that knows change from-a-future-build (version 3) or newer")
	require.NotContains(t, err.Error(), incident, "the real incident is not blamed")
	require.NoError(t, s.client.TerminateWorkflow(ctx, future, "", "test done"))

	// A known change at a higher version than this build knows.
	v := workflows.KnownChanges[workflows.ChangeLocalRender] + 1
	higher := startNewer(workflows.ChangeLocalRender, v)
	ic, err = waitFor(workflows.ChangeLocalRender, v)
	require.Equal(t, higher, ic.WorkflowID)
	require.Equal(t, workflows.KnownChanges[workflows.ChangeLocalRender], ic.Known)
	require.ErrorContains(t, err, "knows change local-render only up to version 1")
	require.ErrorContains(t, err, "deploy the build that knows change local-render (version 2) or newer")

	// A build that knows the higher version (another registry) accepts it.
	newer := map[string]workflow.Version{}
	for k, kv := range workflows.KnownChanges {
		newer[k] = kv
	}
	newer[workflows.ChangeLocalRender] = v
	newerOpts := opts
	newerOpts.Known = newer
	require.Eventually(t, func() bool {
		_, err := engine.CheckCompatible(ctx, s.client, newerOpts)
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "the terminated future incident leaves the open list")

	// Once the newer build's incident is gone, this build passes again.
	require.NoError(t, s.client.TerminateWorkflow(ctx, higher, "", "test done"))
	require.Eventually(t, func() bool {
		n, err := engine.CheckCompatible(ctx, s.client, opts)
		return err == nil && n >= 1
	}, 30*time.Second, 200*time.Millisecond)
}

// BenchmarkCompatibilityCheck times the worker's start-up check over DefaultCompatLimit open
// CBP incidents (their whole histories read and every version marker decrypted).
func BenchmarkCompatibilityCheck(b *testing.B) {
	dir := b.TempDir()
	keys, err := codec.ParseKeys("k-test:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(b, err)
	s := startStackWith(b, dir, &activities.Outbox{Dir: filepath.Join(dir, "outbox")}, keys)
	ctx := context.Background()
	var last string
	for range engine.DefaultCompatLimit {
		last = startIncident(b, s.client, cbpInput(b, nil))
		status(b, s.client, last)
	}
	opts := engine.CompatOptions{Namespace: s.srv.Namespace(), DataConverter: codec.DataConverter(keys)}
	require.Eventually(b, func() bool {
		n, err := engine.CheckCompatible(ctx, s.client, opts)
		require.NoError(b, err)
		return n == engine.DefaultCompatLimit
	}, time.Minute, 200*time.Millisecond)
	resp, err := s.client.DescribeWorkflowExecution(ctx, last, "")
	require.NoError(b, err)
	for b.Loop() {
		n, err := engine.CheckCompatible(ctx, s.client, opts)
		require.NoError(b, err)
		require.Equal(b, engine.DefaultCompatLimit, n)
	}
	b.ReportMetric(float64(resp.GetWorkflowExecutionInfo().GetHistoryLength()), "events/incident")
}
