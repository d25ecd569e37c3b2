package engine

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/breachflow/breachflow/workflows"
)

// IncidentRow is one incident as a visibility query lists it (`starter list`, the console's list).
type IncidentRow struct {
	IncidentID   string    `json:"incident_id"`
	Title        string    `json:"title"`
	Status       string    `json:"status"`
	NextDeadline time.Time `json:"next_deadline,omitzero"`
	OverdueCount int64     `json:"overdue_count"`
	StartedAt    time.Time `json:"started_at"`
}

// ListIncidents runs a visibility query and returns its incidents, page after page, stopping
// after max rows when max > 0. Search attributes are never encrypted; the memo's title is
// encoded by the client's data converter (the codec's when payloads are encrypted), so memo
// decodes it (nil: the SDK's default).
func ListIncidents(ctx context.Context, c client.Client, memo converter.DataConverter, query string, max int) ([]IncidentRow, error) {
	var rows []IncidentRow
	var token []byte
	dc := converter.GetDefaultDataConverter()
	if memo == nil {
		memo = dc
	}
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing incidents: %w", err)
		}
		for _, e := range resp.Executions {
			row := IncidentRow{IncidentID: e.GetExecution().GetWorkflowId(), StartedAt: e.GetStartTime().AsTime()}
			if p, ok := e.GetMemo().GetFields()["title"]; ok {
				_ = memo.FromPayload(p, &row.Title)
			}
			fields := e.GetSearchAttributes().GetIndexedFields()
			if p, ok := fields[workflows.SearchIncidentStatus.GetName()]; ok {
				_ = dc.FromPayload(p, &row.Status)
			}
			if p, ok := fields[workflows.SearchNextDeadline.GetName()]; ok {
				_ = dc.FromPayload(p, &row.NextDeadline)
			}
			if p, ok := fields[workflows.SearchOverdueCount.GetName()]; ok {
				_ = dc.FromPayload(p, &row.OverdueCount)
			}
			rows = append(rows, row)
		}
		token = resp.NextPageToken
		if len(token) == 0 || (max > 0 && len(rows) >= max) {
			return rows, nil
		}
	}
}
