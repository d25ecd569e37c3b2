package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary play the scale workload's child processes, as the command does.
func TestMain(m *testing.M) {
	if role := os.Getenv(envChild); role != "" {
		os.Exit(child(role))
	}
	os.Exit(m.Run())
}

// smokeArgs run every workload at a tiny size: the harness cannot rot without this failing.
var smokeArgs = []string{
	"--throughput-incidents", "4", "--clients", "4",
	"--lateness-sizes", "2,4", "--lateness-window", "1s",
	"--scale-incidents", "6", "--scale-window", "1s",
	"--audit-facts", "5", "--audit-folder", "3",
	"--simulate-span", "720h",
}

// TestSmoke runs the whole harness once at tiny sizes (about a minute on 2 cores) and checks
// that every workload reported its figures, with ratios where it has a baseline, in JSON, and
// that --out writes the table between the markers of an existing file.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the harness smoke run starts embedded servers and child processes")
	}
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(out, []byte("# Benchmarks\n\nprose kept\n"+beginMarker+"\nold table\n"+endMarker+"\nafter\n"), 0o644))
	var stdout, stderr bytes.Buffer
	err := run(append(append([]string{}, smokeArgs...), "--json", "--out", out), &stdout, &stderr)
	require.NoError(t, err, "stderr:\n%s", stderr.String())

	var res Results
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res))
	require.Positive(t, res.Machine.Cores, "machine described")
	require.NotEmpty(t, res.Machine.Go)
	got := map[string]Row{}
	for _, r := range res.Rows {
		got[r.Workload+" "+r.Case+" "+r.Metric] = r
		require.False(t, r.Value < 0, "%s %s %s is negative", r.Workload, r.Case, r.Metric)
	}
	var tp Row
	for k, r := range got {
		if strings.HasPrefix(k, "throughput ") {
			tp = r
		}
	}
	require.Positive(t, tp.Value, "throughput measured")
	require.Positive(t, tp.Baseline, "throughput baseline measured")
	require.InDelta(t, tp.Value/tp.Baseline, tp.Ratio, 1e-9)
	require.NotNil(t, tp.Met)

	p99 := got["lateness open=4/window=1s p99 ms"]
	require.Positive(t, p99.Value, "lateness at 4 open incidents measured")
	require.Equal(t, got["lateness open=2/window=1s p99 ms"].Value, p99.Baseline, "its baseline is the smallest size")
	require.Positive(t, got["scale open=6 starts/s"].Value)
	require.Positive(t, got["scale open=6 SQLite KiB/incident"].Value, "the database grew")
	require.Contains(t, got, "scale open=6/sticky=on worker RSS KiB/incident")
	require.Positive(t, got["lateness open=6/window=1s/sticky=off p99 ms"].Value)
	var auditRow Row
	for k, r := range got {
		if strings.HasPrefix(k, "audit events=") {
			auditRow = r
		}
	}
	require.Positive(t, auditRow.Ratio, "audit measured against the SDK replayer")
	require.Positive(t, got["audit folder=3 total s"].Value)
	require.Positive(t, got["simulate span=30d notices"].Value, "the simulation sent notices")

	md, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(md), "prose kept")
	require.Contains(t, string(md), "after\n")
	require.NotContains(t, string(md), "old table")
	require.Contains(t, string(md), "| throughput |")
	require.Contains(t, string(md), "Command: `go run ./internal/bench")
}

// TestBenchfmt: the benchmark lines benchstat reads, one per workload and case, with ratios.
func TestBenchfmt(t *testing.T) {
	res := &Results{Rows: []Row{
		{Workload: "throughput", Case: "incidents=100", Metric: "incidents/s", Value: 12.5, Baseline: 14, Ratio: 12.5 / 14},
		{Workload: "lateness", Case: "open=10", Metric: "p99 ms", Value: 80},
		{Workload: "lateness", Case: "open=10", Metric: "p50 ms", Value: 40},
	}}
	var b bytes.Buffer
	writeBenchfmt(&b, res)
	require.Contains(t, b.String(), "BenchmarkThroughput/incidents=100\t1\t12.5 incidents-per-s\t0.8929 incidents-per-s-ratio\n")
	require.Contains(t, b.String(), "BenchmarkLateness/open=10\t1\t80 p99-ms\t40 p50-ms\n")
}

// TestPercentiles: p50, p99 and max of a known sample.
func TestPercentiles(t *testing.T) {
	var xs []time.Duration
	for i := 100; i >= 1; i-- {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	p := percentiles(xs)
	require.Equal(t, [3]time.Duration{51 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}, p)
}

// TestUnknownWorkload: --only names what it knows.
func TestUnknownWorkload(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"--only", "throughput,latency"}, &out, &errb)
	require.ErrorContains(t, err, `--only: unknown workload "latency" (known: throughput, lateness, scale, audit, simulate)`)
}
