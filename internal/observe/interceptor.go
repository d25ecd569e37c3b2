package observe

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"

	"github.com/breachflow/breachflow/activities"
)

// sendNoticeActivity is the activity type name of activities.Activities.SendNotice.
const sendNoticeActivity = "SendNotice"

// WorkerInterceptor returns a worker interceptor that counts notice sends and their lateness.
// transport names the configured transport ("smtp" or "outbox"), which labels failed attempts
// (a successful one reports its own). It wraps the send activity rather than living inside it,
// so the activity's body stays about delivery.
func (m *Metrics) WorkerInterceptor(transport string) interceptor.WorkerInterceptor {
	return &workerInterceptor{m: m, transport: transport}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	m         *Metrics
	transport string
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, w: w}
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	w *workerInterceptor
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	if activity.GetInfo(ctx).ActivityType.Name != sendNoticeActivity || len(in.Args) != 1 {
		return res, err
	}
	send, ok := in.Args[0].(activities.SendNoticeInput)
	if !ok {
		return res, err
	}
	a.w.m.observeSend(send, res, err, a.w.transport, time.Now())
	return res, err
}

// observeSend records one send attempt's outcome.
func (m *Metrics) observeSend(in activities.SendNoticeInput, res any, err error, transport string, now time.Time) {
	tmpl, kind := labelOr(in.Template), labelOr(in.Kind)
	if err != nil {
		m.failures.WithLabelValues(tmpl, kind, labelOr(transport)).Inc()
		return
	}
	r, _ := res.(activities.SendNoticeResult)
	if r.Transport != "" {
		transport = r.Transport
	}
	if r.AlreadySent {
		m.alreadySent.WithLabelValues(tmpl, kind, labelOr(transport)).Inc()
		return
	}
	m.sent.WithLabelValues(tmpl, kind, labelOr(transport)).Inc()
	if !r.SentAt.IsZero() {
		now = r.SentAt
	}
	if !in.Due.IsZero() {
		m.lateness.WithLabelValues(kind).Observe(now.Sub(in.Due).Seconds())
	}
}
