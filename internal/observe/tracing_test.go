package observe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/internal/observe"
)

func traced(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var out string
	err := workflow.ExecuteActivity(ctx, tracedActivity, "x").Get(ctx, &out)
	return out, err
}

func tracedActivity(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil }

// runTraced runs a workflow with one activity, with the tracing interceptor when on, and returns
// the spans the in-memory exporter received.
func runTraced(t *testing.T, on bool) []sdktrace.ReadOnlySpan {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	if on {
		ti, err := observe.TracingInterceptor(tp)
		require.NoError(t, err)
		env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{ti}})
	}
	env.RegisterWorkflow(traced)
	env.RegisterActivity(tracedActivity)
	env.ExecuteWorkflow(traced)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out string
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, "X", out)
	require.NoError(t, tp.ForceFlush(context.Background()))
	return exp.GetSpans().Snapshots()
}

// TestTracingSpansOnlyWhenOn: with the interceptor, a workflow run produces its workflow and
// activity spans, the activity's a descendant of the workflow's trace; without it, none.
func TestTracingSpansOnlyWhenOn(t *testing.T) {
	spans := runTraced(t, true)
	names := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		names[s.Name()] = s
	}
	require.Contains(t, names, "RunWorkflow:traced", "spans: %v", names)
	require.Contains(t, names, "RunActivity:tracedActivity", "spans: %v", names)
	require.Equal(t, names["RunWorkflow:traced"].SpanContext().TraceID(), names["RunActivity:tracedActivity"].SpanContext().TraceID(),
		"the activity's span is in the workflow's trace")

	require.Empty(t, runTraced(t, false), "tracing is off by default")
}
