package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/breachflow/breachflow/internal/simulate"
)

// simulateConfig sizes the simulate workload.
type simulateConfig struct {
	// Span is how long the incident stays open after discovery.
	Span time.Duration
}

// simulateScenario: the example incident (examples/cbp-2019.yaml) under today's playbook,
// discovered and then left open with nothing done: every reminder, escalation and cadence
// notice of the span goes out.
const simulateScenario = `
title: Left open
incident: cbp-2019.yaml
discovered_at: 2019-05-31T09:00:00-04:00
end: %s
`

// runSimulate runs the scenario in the SDK's time-skipping environment and reports its wall time
// and the notices it generated.
func runSimulate(ctx context.Context, cfg simulateConfig) ([]Row, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	discovered := time.Date(2019, 5, 31, 9, 0, 0, 0, time.FixedZone("EDT", -4*3600))
	s, err := simulate.Parse(filepath.Join(root, "examples", "left-open.yaml"), []byte(fmt.Sprintf(simulateScenario, discovered.Add(cfg.Span).Format(time.RFC3339))))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rep, err := simulate.Run(ctx, s, simulate.Options{})
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	c := fmt.Sprintf("span=%dd", int(cfg.Span.Hours()/24))
	return []Row{
		{Workload: "simulate", Case: c, Metric: "wall s", Value: took.Seconds()},
		{Workload: "simulate", Case: c, Metric: "notices", Value: float64(rep.NoticesSent), Note: fmt.Sprintf("%d workflow run(s)", rep.Runs)},
		{Workload: "simulate", Case: c, Metric: "notices/s", Value: float64(rep.NoticesSent) / took.Seconds()},
	}, nil
}

// repoRoot finds the module's folder (with go.mod) from the working directory up: the scenario's
// incident file is read from its examples folder.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark from inside the breachflow module (no go.mod above the working directory)")
		}
		dir = parent
	}
}
