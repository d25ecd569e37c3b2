package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// latenessPlaybook: one obligation whose one reminder falls a minute after discovery; the
// deadline (an hour) stays out of the run.
const latenessPlaybook = `
format: 1
name: bench
version: "1"
title: Reminder lateness
defaults:
  reminders: [{before: 59m}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: report, title: Report, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 1}}
`

// latenessConfig sizes the lateness workload.
type latenessConfig struct {
	Sizes []int
	// Window is the time over which the reminders fall due, evenly.
	Window  time.Duration
	Clients int
}

// runLateness measures, for each size on a fresh stack, how late reminders are delivered
// (delivery time minus due time) when that many incidents are open and their reminders fall due
// evenly over the window. The baseline is the smallest size: the goal is that lateness does not
// grow with open incidents.
func runLateness(ctx context.Context, dir string, cfg latenessConfig, opts worker.Options) ([]Row, error) {
	var rows []Row
	perStart := 40 * time.Millisecond
	for _, n := range cfg.Sizes {
		s, err := startStack(filepath.Join(dir, fmt.Sprint(n)), opts)
		if err != nil {
			return rows, err
		}
		pb, err := playbook.Parse("bench.yaml", []byte(latenessPlaybook), s.templates)
		if err != nil {
			s.stop()
			return rows, err
		}
		p, rate, err := lateness(ctx, s.client, pb, s.rec, n, cfg.Window, cfg.Clients, perStart)
		s.stop()
		if err != nil {
			return rows, err
		}
		perStart = time.Duration(float64(time.Second) / rate * 2)
		c := fmt.Sprintf("open=%d/window=%s", n, cfg.Window)
		rows = append(rows, latenessRows(c, p)...)
		rows = append(rows, Row{Workload: "lateness", Case: c, Metric: "starts/s", Value: rate})
	}
	return rows, nil
}

// latenessRows are the p50/p99/max rows of one size.
func latenessRows(c string, p [3]time.Duration) []Row {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return []Row{
		{Workload: "lateness", Case: c, Metric: "p50 ms", Value: ms(p[0])},
		{Workload: "lateness", Case: c, Metric: p99Metric, Value: ms(p[1]), Goal: "< 1 s", Met: ptr(p[1] < time.Second)},
		{Workload: "lateness", Case: c, Metric: "max ms", Value: ms(p[2])},
	}
}

const p99Metric = "p99 ms"

// latenessRatios sets, on every lateness p99 after the first (the smallest size), the first as
// its baseline and the goal that lateness does not grow with open incidents: at most 2× and
// under a second.
func latenessRatios(rows []Row) {
	var base *Row
	for i := range rows {
		r := &rows[i]
		if r.Workload != "lateness" || r.Metric != p99Metric {
			continue
		}
		if base == nil {
			base = r
			continue
		}
		if base.Value <= 0 {
			continue
		}
		r.Baseline, r.BaselineName, r.Ratio = base.Value, "p99 at "+base.Case, r.Value/base.Value
		r.Goal, r.Met = "≤ 2× and < 1 s", ptr(r.Ratio <= 2 && r.Value < 1000)
	}
}

// reminderDue returns the due times of n reminders spread evenly over window from first.
func reminderDue(first time.Time, n int, window time.Duration) []time.Time {
	due := make([]time.Time, n)
	for i := range due {
		due[i] = first.Add(time.Duration(i) * window / time.Duration(n)).Truncate(time.Millisecond)
	}
	return due
}

// startLatenessIncidents starts n incidents whose reminders fall due at due[i], on clients
// goroutines, and returns their IDs with their due times.
func startLatenessIncidents(ctx context.Context, c client.Client, pb *playbook.Playbook, due []time.Time, clients int) (map[string]time.Time, error) {
	ids := map[string]time.Time{}
	var mu sync.Mutex
	next := make(chan int)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := workflows.NewIncidentID()
				in := workflows.StartIncidentInput{IncidentID: id, Title: "Bench", DiscoveredAt: due[i].Add(-time.Minute), Playbook: *pb, StartedBy: "bench"}
				if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.IncidentWorkflow, in); err != nil {
					errs <- err
					for range next {
					}
					return
				}
				mu.Lock()
				ids[id] = due[i]
				mu.Unlock()
			}
		}()
	}
	for i := range due {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return ids, nil
}

// lateness starts n incidents whose reminders fall due evenly over window once all are running,
// and returns the delivery lateness p50, p99 and max, and the start rate.
func lateness(ctx context.Context, c client.Client, pb *playbook.Playbook, rec *recorder, n int, window time.Duration, clients int, perStart time.Duration) ([3]time.Duration, float64, error) {
	start := time.Now()
	first := start.Add(time.Duration(n)*perStart + 5*time.Second)
	ids, err := startLatenessIncidents(ctx, c, pb, reminderDue(first, n, window), clients)
	if err != nil {
		return [3]time.Duration{}, 0, err
	}
	rate := float64(n) / time.Since(start).Seconds()
	if time.Now().After(first) {
		return [3]time.Duration{}, rate, fmt.Errorf("starting %d incidents took %s, longer than planned: the first reminders fell due before all were running", n, time.Since(start).Round(time.Millisecond))
	}
	p, err := collectLateness(rec.firstDelivery, ids, first.Add(window+5*time.Minute))
	return p, rate, err
}

// collectLateness waits until every incident's first notice was delivered (or until deadline)
// and returns the lateness p50, p99 and max.
func collectLateness(delivered func(string) (time.Time, bool), due map[string]time.Time, deadline time.Time) ([3]time.Duration, error) {
	var lates []time.Duration
	for {
		lates = lates[:0]
		for id, at := range due {
			if t, ok := delivered(id); ok {
				lates = append(lates, t.Sub(at))
			}
		}
		if len(lates) == len(due) {
			break
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("only %d of %d reminders delivered", len(lates), len(due))
			if len(lates) > 0 {
				p := percentiles(lates)
				msg += fmt.Sprintf(" (of those: lateness p50 %s, p99 %s, max %s)", p[0].Round(time.Millisecond), p[1].Round(time.Millisecond), p[2].Round(time.Millisecond))
			}
			return [3]time.Duration{}, errors.New(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return percentiles(lates), nil
}

// percentiles returns p50, p99 and max of a non-empty sample.
func percentiles(xs []time.Duration) [3]time.Duration {
	slices.Sort(xs)
	pct := func(p float64) time.Duration { return xs[min(len(xs)-1, int(p*float64(len(xs))))] }
	return [3]time.Duration{pct(0.50), pct(0.99), xs[len(xs)-1]}
}
