package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devserver"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/playbook"
)

// scalePlaybook: one obligation with two reminders gap apart (%s: minutes before the deadline),
// the first a minute after discovery; the deadline (an hour) stays out of the run.
const scalePlaybook = `
format: 1
name: bench
version: "1"
title: Scale
defaults:
  reminders: [{before: 59m}, {before: %s}]
roles:
  owner: {title: Owner, contacts: [{email: owner@agency.example}]}
obligations:
  - {id: report, title: Report, citation: test, owner: owner, anchor: discovery, deadline: {clock: hours, amount: 1}}
`

// scaleConfig sizes the scale workload.
type scaleConfig struct {
	Incidents int
	Window    time.Duration
	Clients   int
}

// runScale holds cfg.Incidents open incidents on one worker process and one embedded server
// process, and measures: the start rate; the resident memory each process gains per open
// incident (the worker with its sticky cache on, then a fresh worker with it off); the SQLite
// file per incident; and the lateness of the two waves of reminders (the first with the cache
// on, the second with it off).
func runScale(ctx context.Context, dir string, cfg scaleConfig, progress io.Writer) ([]Row, error) {
	rec := newRecorder()
	srv, addr, err := startChild("server", []string{envDir + "=" + dir}, nil)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	wenv := []string{envDir + "=" + dir, envAddress + "=" + addr}
	wrk, _, err := startChild("worker", wenv, rec.deliveryLine)
	if err != nil {
		return nil, err
	}
	defer func() { _ = wrk.stop() }()
	c, err := engine.Dial(config.Temporal{Address: addr, Namespace: "default"}, engine.Logger(slog.LevelError))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	set, err := engine.Templates("")
	if err != nil {
		return nil, err
	}
	// The second wave comes once the first is over, with time to swap the worker.
	gap := 2*cfg.Window + 10*time.Second
	pb, err := playbook.Parse("scale.yaml", []byte(fmt.Sprintf(scalePlaybook, (59*time.Minute-gap).String())), set)
	if err != nil {
		return nil, err
	}
	// A few incidents first, so both processes have loaded everything they load once.
	if err := warmScale(ctx, c, pb, rec); err != nil {
		return nil, err
	}
	srv0, err := srv.rss()
	if err != nil {
		return nil, err
	}
	wrk0, err := wrk.rss()
	if err != nil {
		return nil, err
	}
	db0 := dbSize(dir)

	n := cfg.Incidents
	fmt.Fprintf(progress, "bench: scale: starting %d incidents…\n", n)
	start := time.Now()
	// A tenth of the incidents first, with reminders outside the run, measures the start rate;
	// the rest are planned from it so that their reminders fall due once all are running.
	calib := max(1, min(n/10, 1000))
	held := reminderDue(start.Add(time.Hour), calib, time.Second)
	if _, err := startLatenessIncidents(ctx, c, pb, held, cfg.Clients); err != nil {
		return nil, err
	}
	perStart := time.Since(start) / time.Duration(calib)
	first := time.Now().Add(time.Duration(n-calib)*perStart*3/2 + 10*time.Second)
	due := reminderDue(first, n-calib, cfg.Window)
	ids, err := startLatenessIncidents(ctx, c, pb, due, cfg.Clients)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	rate := float64(n) / elapsed.Seconds()
	if time.Now().After(first) {
		return nil, fmt.Errorf("starting %d incidents took %s, longer than planned (%s): the first reminders fell due before all were running", n, elapsed.Round(time.Second), first.Sub(start).Round(time.Second))
	}
	// Settle: every first workflow task done (the reminder timers are armed).
	time.Sleep(3 * time.Second)
	srv1, _ := srv.rss()
	wrk1, _ := wrk.rss()
	db1 := dbSize(dir)
	perInc := func(after, before int64) float64 { return float64(after-before) / 1024 / float64(n) }
	c1 := fmt.Sprintf("open=%d", n)
	// Rows are added as they are measured: a wave that does not finish keeps what came before.
	rows := []Row{
		{Workload: "scale", Case: c1, Metric: "starts/s", Value: rate, Note: fmt.Sprintf("%d clients; %s in all", cfg.Clients, elapsed.Round(time.Second))},
		{Workload: "scale", Case: c1, Metric: "server RSS KiB/incident", Value: perInc(srv1, srv0), Note: fmt.Sprintf("server RSS %d → %d MiB once all were started", srv0>>20, srv1>>20)},
		{Workload: "scale", Case: c1 + "/sticky=on", Metric: "worker RSS KiB/incident", Value: perInc(wrk1, wrk0), Note: fmt.Sprintf("worker RSS %d → %d MiB once all were started", wrk0>>20, wrk1>>20)},
		{Workload: "scale", Case: c1, Metric: "SQLite KiB/incident", Value: perInc(db1, db0), Note: fmt.Sprintf("temporal.db with its WAL: %d → %d MiB", db0>>20, db1>>20)},
	}
	// The lateness sample is the incidents started after the calibration batch; all n are open.
	fmt.Fprintf(progress, "bench: scale: first wave of reminders (sticky cache on)…\n")
	p1, err := collectLateness(rec.firstDelivery, ids, first.Add(cfg.Window+5*time.Minute))
	if err != nil {
		return rows, fmt.Errorf("first wave (sticky cache on), by five minutes after the last was due: %w", err)
	}
	rows = append(rows, latenessRows(fmt.Sprintf("open=%d/window=%s/sticky=on", n, cfg.Window), p1)...)

	// The second wave with a fresh worker whose sticky cache is off: every workflow task
	// replays the incident's history from the start.
	if err := wrk.stop(); err != nil {
		return rows, fmt.Errorf("stopping the worker: %w", err)
	}
	second := make(map[string]time.Time, len(ids))
	for id, at := range ids {
		second[id] = at.Add(gap)
	}
	if time.Now().After(first.Add(gap)) {
		return rows, fmt.Errorf("the first wave of reminders ran into the second")
	}
	wrk, _, err = startChild("worker", append(wenv, envCache+"=0"), rec.deliveryLine)
	if err != nil {
		return rows, err
	}
	wrkOff0, _ := wrk.rss()
	fmt.Fprintf(progress, "bench: scale: second wave of reminders (sticky cache off)…\n")
	p2, err := collectLateness(func(id string) (time.Time, bool) { return rec.nth(id, 1) }, second, first.Add(gap+cfg.Window+5*time.Minute))
	if err != nil {
		return rows, fmt.Errorf("second wave (sticky cache off), by five minutes after the last was due: %w", err)
	}
	wrkOff, _ := wrk.rss()
	wrkOff = max(wrkOff, wrkOff0)
	rows = append(rows,
		Row{Workload: "scale", Case: c1 + "/sticky=off", Metric: "worker RSS KiB/incident", Value: perInc(wrkOff, wrk0), Note: fmt.Sprintf("a fresh worker: RSS %d MiB after the second wave", wrkOff>>20)})
	rows = append(rows, latenessRows(fmt.Sprintf("open=%d/window=%s/sticky=off", n, cfg.Window), p2)...)
	return rows, nil
}

// warmScale runs a handful of incidents through their first reminder.
func warmScale(ctx context.Context, c client.Client, pb *playbook.Playbook, rec *recorder) error {
	due := reminderDue(time.Now().Add(3*time.Second), 5, time.Second)
	ids, err := startLatenessIncidents(ctx, c, pb, due, 5)
	if err != nil {
		return err
	}
	_, err = collectLateness(rec.firstDelivery, ids, time.Now().Add(time.Minute))
	return err
}

// dbSize is the size of the embedded server's SQLite file with its write-ahead log.
func dbSize(dir string) int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, "temporal", devserver.DatabaseFile+suffix)); err == nil {
			n += fi.Size()
		}
	}
	return n
}
