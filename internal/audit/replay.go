package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/workflows"
)

// replayed is what replaying one run produced: an error when the history does not match the
// code, else the workflow's own record and status as of the run's last event, read from the
// replayed workflow's query handlers.
type replayed struct {
	err    error
	log    []workflows.LogEntry
	hasLog bool
	status *workflows.Status
}

// replay replays one run's history against the registered workflow code.
func replay(h *historypb.History, workflowID, runID string, opts *Options) (res replayed) {
	defer func() {
		if p := recover(); p != nil {
			res = replayed{err: fmt.Errorf("the replayer panicked: %v", p)}
		}
	}()
	capture := &capturedQueries{handlers: map[string]any{}}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter:    opts.dataConverter(),
		FailureConverter: opts.failureConverter(),
		Interceptors:     []interceptor.WorkerInterceptor{&captureInterceptor{c: capture}},
	})
	if err != nil {
		return replayed{err: err}
	}
	if opts.RegisterWorkflows != nil {
		opts.RegisterWorkflows(r)
	} else {
		r.RegisterWorkflow(workflows.IncidentWorkflow)
	}
	logger := opts.Logger
	if logger == nil {
		logger = discardLogger{}
	}
	err = r.ReplayWorkflowHistoryWithOptions(logger, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: workflowID, RunID: runID},
	})
	if err != nil {
		return replayed{err: err}
	}
	res.log, res.hasLog = callQuery[[]workflows.LogEntry](capture, workflows.QueryLog)
	if st, ok := callQuery[workflows.Status](capture, workflows.QueryStatus); ok {
		res.status = &st
	}
	return res
}

// capturedQueries keeps the query handlers the replayed workflow registered, so that the state
// the replay rebuilt can be read once it has finished — what a query at the run's last event
// would have answered.
type capturedQueries struct {
	mu       sync.Mutex
	handlers map[string]any
}

func (c *capturedQueries) set(name string, h any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[name] = h
}

// callQuery calls a captured query handler that takes no arguments and converts its first
// result to T. It never panics: a handler of another shape, or one that fails, gives ok=false.
func callQuery[T any](c *capturedQueries, name string) (v T, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	c.mu.Lock()
	h := c.handlers[name]
	c.mu.Unlock()
	fn := reflect.ValueOf(h)
	if !fn.IsValid() || fn.Kind() != reflect.Func || fn.Type().NumIn() != 0 || fn.Type().NumOut() == 0 {
		return v, false
	}
	out := fn.Call(nil)
	if n := len(out); n > 1 {
		if err, isErr := out[n-1].Interface().(error); isErr && err != nil {
			return v, false
		}
	}
	if direct, isT := out[0].Interface().(T); isT {
		return direct, true
	}
	// Another type of the same shape: go through JSON, as a real query would.
	data, err := json.Marshal(out[0].Interface())
	if err != nil || json.Unmarshal(data, &v) != nil {
		return v, false
	}
	return v, true
}

type captureInterceptor struct {
	interceptor.WorkerInterceptorBase
	c *capturedQueries
}

func (ci *captureInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &captureInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, c: ci.c}
}

type captureInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	c *capturedQueries
}

func (i *captureInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&captureOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, c: i.c})
}

type captureOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	c *capturedQueries
}

func (o *captureOutbound) SetQueryHandler(ctx workflow.Context, name string, h any) error {
	o.c.set(name, h)
	return o.Next.SetQueryHandler(ctx, name, h)
}

func (o *captureOutbound) SetQueryHandlerWithOptions(ctx workflow.Context, name string, h any, options workflow.QueryHandlerOptions) error {
	o.c.set(name, h)
	return o.Next.SetQueryHandlerWithOptions(ctx, name, h, options)
}

// discardLogger keeps the replayer quiet: its findings are returned as errors.
type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}

var _ sdklog.Logger = discardLogger{}

func (o *Options) dataConverter() converter.DataConverter {
	if o.DataConverter != nil {
		return o.DataConverter
	}
	return converter.GetDefaultDataConverter()
}

func (o *Options) failureConverter() converter.FailureConverter {
	if o.FailureConverter != nil {
		return o.FailureConverter
	}
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: o.dataConverter()})
}
