package simulate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/workflows"
)

// digestSink collects, on the simulated clock, what the incident hands to the recipients'
// digests and withdraws from them; runDigests then plays it through DigestWorkflow.
type digestSink struct {
	mu     sync.Mutex
	now    func() time.Time
	events []digestEvent
}

// digestEvent is one signal to a recipient's digest.
type digestEvent struct {
	at        time.Time
	recipient string
	add       *activities.DigestItem
	retract   *activities.DigestRetraction
}

func (s *digestSink) Add(_ context.Context, recipient string, it activities.DigestItem) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, digestEvent{at: s.now(), recipient: recipient, add: &it})
	return nil
}

func (s *digestSink) Retract(_ context.Context, recipient string, r activities.DigestRetraction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, digestEvent{at: s.now(), recipient: recipient, retract: &r})
	return nil
}

// runDigests plays the collected signals through each recipient's DigestWorkflow in the
// time-skipping environment — a new run when one continued as new or ended idle, as
// SignalWithStart would start it — and returns how many digests were mailed. They go through the
// same activities as the incident's notices, so into the same outbox.
func runDigests(ctx context.Context, acts *activities.Activities, events []digestEvent, logger sdklog.Logger, idle time.Duration) (int, error) {
	byRecipient := map[string][]digestEvent{}
	for _, e := range events {
		id := workflows.DigestWorkflowID(e.recipient)
		byRecipient[id] = append(byRecipient[id], e)
	}
	mails := 0
	for _, id := range slices.Sorted(maps.Keys(byRecipient)) {
		evs := byRecipient[id]
		slices.SortStableFunc(evs, func(a, b digestEvent) int { return a.at.Compare(b.at) })
		n, err := runDigest(ctx, acts, evs, logger, idle)
		if err != nil {
			return 0, fmt.Errorf("digest %s: %w", id, err)
		}
		mails += n
	}
	return mails, nil
}

// runDigest runs one recipient's digest over its signals, in time order.
func runDigest(ctx context.Context, acts *activities.Activities, evs []digestEvent, logger sdklog.Logger, idle time.Duration) (int, error) {
	var mails atomic.Int64
	next := 0
	in := workflows.DigestInput{Recipient: evs[0].recipient}
	start := evs[0].at
	for runs := 0; next < len(evs); runs++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if runs >= maxRuns*10 {
			return 0, errors.New("the digest did not finish")
		}
		var suite testsuite.WorkflowTestSuite
		suite.SetLogger(logger)
		env := suite.NewTestWorkflowEnvironment()
		env.SetStartTime(start)
		env.SetTestTimeout(idle)
		env.RegisterWorkflow(workflows.DigestWorkflow)
		env.RegisterActivity(acts)
		// The incidents were simulated already; their delivery reports have nowhere to go.
		env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.SignalDigestDelivered, mock.Anything).Return(nil)
		env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			if info.ActivityType.Name == "SendNotice" {
				mails.Add(1) // activities run on their own goroutines
			}
		})
		// One callback at a time, each posting the next: the environment queues only so many.
		delivered := next
		var post func(j int)
		post = func(j int) {
			if j >= len(evs) {
				return
			}
			e := evs[j]
			fire := func() {
				if e.add != nil {
					env.SignalWorkflow(workflows.SignalDigestAdd, *e.add)
				} else {
					env.SignalWorkflow(workflows.SignalDigestRetract, *e.retract)
				}
				delivered = j + 1
				post(j + 1)
			}
			// Always through the environment, even when due now: signals fired one after
			// another from one callback fill its queue, which only the caller could drain.
			env.RegisterDelayedCallback(fire, max(e.at.Sub(env.Now()), 0))
		}
		// Callbacks due now run before the workflow starts: re-post to run after it.
		first := next
		env.RegisterDelayedCallback(func() { env.RegisterDelayedCallback(func() { post(first) }, 0) }, 0)
		if err := executeDigest(env, in); err != nil {
			return 0, err
		}
		werr := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		switch {
		case errors.As(werr, &can):
			in = workflows.DigestInput{}
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
				return 0, fmt.Errorf("reading the state carried to the next run: %w", err)
			}
			start = env.Now()
		case werr != nil:
			return 0, fmt.Errorf("the digest workflow failed: %w", werr)
		default:
			// It ended idle: the next signal starts a new one, as SignalWithStart would.
			in = workflows.DigestInput{Recipient: evs[0].recipient}
			if delivered < len(evs) {
				start = evs[delivered].at
			}
		}
		next = delivered
	}
	return int(mails.Load()), nil
}

func executeDigest(env *testsuite.TestWorkflowEnvironment, in workflows.DigestInput) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("digest simulation failed: %v", p)
		}
	}()
	env.ExecuteWorkflow(workflows.DigestWorkflow, in)
	if !env.IsWorkflowCompleted() {
		return errors.New("digest simulation failed: the digest workflow did not complete")
	}
	return nil
}
