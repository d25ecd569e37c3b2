package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/workflows"
)

func cmdStart(args []string, out io.Writer) error {
	c := newCommon("start")
	now := c.fs.Bool("discovered-now", false, "set discovered_at to now, whatever the file says")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	f, err := incidentfile.Read(pos[0])
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	id, err := startIncident(context.Background(), tc, f, c.by, *now)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, map[string]string{"incident_id": id})
	}
	fmt.Fprintln(out, id)
	return nil
}

// startIncident validates an incident file against its playbook and starts the workflow.
func startIncident(ctx context.Context, tc client.Client, f *incidentfile.File, by string, discoveredNow bool) (string, error) {
	set, err := engine.Templates(config.TemplatesDir())
	if err != nil {
		return "", err
	}
	pb, err := engine.LoadPlaybooks(f.PlaybookRefs(), set)
	if err != nil {
		return "", err
	}
	id := workflows.NewIncidentID()
	in, err := f.Input(id, pb, by, time.Now().UTC().Truncate(time.Second), discoveredNow)
	if err != nil {
		return "", fmt.Errorf("incident file:\n%w", err)
	}
	// Right after a worker registered the search attributes, the frontend may not map them yet.
	err = engine.RetryUnmapped(ctx, func() error {
		_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                    workflows.IncidentWorkflowID(id),
			TaskQueue:             workflows.TaskQueue,
			Memo:                  map[string]any{"title": in.Title},
			TypedSearchAttributes: temporalSearchAttributes(),
		}, workflows.IncidentWorkflow, in)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("starting incident workflow: %w", err)
	}
	return id, nil
}
