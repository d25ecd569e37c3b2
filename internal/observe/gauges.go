package observe

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/workflows"
)

// DefaultGaugeInterval is how often the worker refreshes the incident gauges from visibility.
const DefaultGaugeInterval = 30 * time.Second

// maxOverdueDepth bounds the count queries summing overdue obligations (see RefreshGauges): no
// playbook has this many obligations.
const maxOverdueDepth = 1000

// Counter is the part of the Temporal client the gauges need.
type Counter interface {
	CountWorkflow(ctx context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error)
}

// openIncidents selects the running incident workflows whose incident is open. A run that
// continued as new is not running, so each incident counts once.
var openIncidents = fmt.Sprintf("WorkflowType = 'IncidentWorkflow' AND ExecutionStatus = 'Running' AND %s = '%s'",
	workflows.SearchIncidentStatus.GetName(), workflows.IncidentOpen)

// closedIncidents selects incidents closed by a coordinator (the workflow completes after its
// last deliveries), over the namespace's retention.
var closedIncidents = fmt.Sprintf("WorkflowType = 'IncidentWorkflow' AND ExecutionStatus != 'ContinuedAsNew' AND %s = '%s'",
	workflows.SearchIncidentStatus.GetName(), workflows.IncidentClosed)

// RefreshGauges sets the incident gauges from visibility count queries on the search attributes
// the workflow keeps (IncidentStatus, OverdueCount). Visibility cannot sum, so the number of
// overdue obligations is counted as Σ_k #{open incidents with OverdueCount ≥ k}, which stops at
// the first k that no incident reaches: one query per overdue obligation of the worst incident.
func (m *Metrics) RefreshGauges(ctx context.Context, c Counter) error {
	err := m.refresh(ctx, c)
	if err != nil {
		m.refreshes.WithLabelValues("error").Inc()
		return err
	}
	m.refreshes.WithLabelValues("ok").Inc()
	m.updated.Set(float64(time.Now().Unix()))
	return nil
}

func (m *Metrics) refresh(ctx context.Context, c Counter) error {
	count := func(q string) (int64, error) {
		r, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
		if err != nil {
			return 0, fmt.Errorf("counting incidents: %w", err)
		}
		return r.GetCount(), nil
	}
	open, err := count(openIncidents)
	if err != nil {
		return err
	}
	closed, err := count(closedIncidents)
	if err != nil {
		return err
	}
	var withOverdue, overdue int64
	for k := 1; k <= maxOverdueDepth; k++ {
		n, err := count(fmt.Sprintf("%s AND %s >= %d", openIncidents, workflows.SearchOverdueCount.GetName(), k))
		if err != nil {
			return err
		}
		if k == 1 {
			withOverdue = n
		}
		if n == 0 {
			break
		}
		overdue += n
	}
	m.incidents.WithLabelValues(workflows.IncidentOpen).Set(float64(open))
	m.incidents.WithLabelValues(workflows.IncidentClosed).Set(float64(closed))
	m.incidentsOverdue.Set(float64(withOverdue))
	m.overdue.Set(float64(overdue))
	return nil
}

// WatchGauges refreshes the gauges every interval until ctx ends. A failed refresh is logged
// (without data: the error is the server's) and counted; the gauges keep their last values.
func (m *Metrics) WatchGauges(ctx context.Context, c Counter, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		every = DefaultGaugeInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, every)
		if err := m.RefreshGauges(rctx, c); err != nil && ctx.Err() == nil {
			logger.Warn("Refreshing incident gauges failed", "Error", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var _ Counter = client.Client(nil)
