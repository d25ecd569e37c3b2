// Command bench measures the engine against the floor Temporal itself sets on the same machine,
// in the same run, and shows how cost grows with work (issue 11):
//
//	go run ./internal/bench                      # every workload at its default size; a table
//	go run ./internal/bench --json               # the same as JSON
//	go run ./internal/bench --out BENCHMARKS.md  # replace the table section of BENCHMARKS.md
//	go run ./internal/bench --benchfmt           # Go benchmark lines, for benchstat
//	go run ./internal/bench --only lateness --lateness-sizes 10,1000
//
// Workloads: throughput (incidents per second against a bare workflow issuing the same
// activities), lateness (reminder delivery lateness by open incidents), scale (memory per open
// incident in separate worker and server processes, start rate, SQLite size), audit (events per
// second of the auditor against the SDK's replayer on a trivial history of the same length, and a
// folder of exported incidents), simulate (a two-year scenario in the time-skipping environment).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"
)

func main() {
	if role := os.Getenv(envChild); role != "" {
		os.Exit(child(role))
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// benchConfig is every workload's sizes.
type benchConfig struct {
	only       map[string]bool
	throughput throughputConfig
	lateness   latenessConfig
	scale      scaleConfig
	audit      auditConfig
	simulate   simulateConfig
	worker     worker.Options
}

// workloads in the order they run.
var workloadNames = []string{"throughput", "lateness", "scale", "audit", "simulate"}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", strings.Join(workloadNames, ","), "workloads to run, comma-separated")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	benchfmt := fs.Bool("benchfmt", false, "print the results as Go benchmark lines (for benchstat)")
	markdown := fs.Bool("markdown", false, "print the results as the markdown table of BENCHMARKS.md")
	out := fs.String("out", "", "write the markdown table into this file between the bench markers (BENCHMARKS.md)")
	dir := fs.String("dir", "", "work folder (default: a temporary folder, removed afterwards)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (this process: clients, in-process servers and workers, audit, simulation) to this file")
	var cfg benchConfig
	fs.IntVar(&cfg.throughput.Incidents, "throughput-incidents", 100, "throughput: incidents (and bare workflows) per measurement")
	fs.IntVar(&cfg.throughput.Clients, "clients", 16, "concurrent clients starting incidents")
	sizes := fs.String("lateness-sizes", "10,100,1000", "lateness: open incidents, comma-separated (10,000 is measured by the scale workload)")
	fs.DurationVar(&cfg.lateness.Window, "lateness-window", time.Minute, "lateness: reminders fall due evenly over this window")
	fs.IntVar(&cfg.scale.Incidents, "scale-incidents", 10000, "scale: open incidents held by one worker")
	fs.DurationVar(&cfg.scale.Window, "scale-window", 30*time.Second, "scale: the reminders of the open incidents fall due over this window")
	fs.IntVar(&cfg.audit.Facts, "audit-facts", 400, "audit: facts recorded, one after another, on the long incident (its reminders go on meanwhile)")
	fs.IntVar(&cfg.audit.Folder, "audit-folder", 1000, "audit: exported incidents in the folder audited")
	fs.DurationVar(&cfg.simulate.Span, "simulate-span", 2*365*24*time.Hour, "simulate: how long the scenario's incident stays open")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.lateness.Clients = cfg.throughput.Clients
	cfg.scale.Clients = cfg.throughput.Clients
	cfg.audit.Clients = cfg.throughput.Clients
	cfg.worker = benchWorkerOptions()
	cfg.only = map[string]bool{}
	for _, w := range strings.Split(*only, ",") {
		w = strings.TrimSpace(w)
		if !slices.Contains(workloadNames, w) {
			return fmt.Errorf("--only: unknown workload %q (known: %s)", w, strings.Join(workloadNames, ", "))
		}
		cfg.only[w] = true
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--lateness-sizes: %q is not a positive number of incidents (e.g. 10,100,1000)", s)
		}
		cfg.lateness.Sizes = append(cfg.lateness.Sizes, n)
	}
	work := *dir
	if work == "" {
		tmp, err := os.MkdirTemp("", "breachflow-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	command := "go run ./internal/bench"
	if len(args) > 0 {
		command += " " + strings.Join(args, " ")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res := &Results{Machine: machine(command)}
	start := time.Now()
	runAll(ctx, work, cfg, res, stderr)
	res.Machine.LoadEnd = loadAverage()
	res.Machine.Wall = time.Since(start).Round(time.Second).String()

	switch {
	case *asJSON:
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	case *benchfmt:
		writeBenchfmt(stdout, res)
	case *markdown:
		writeMarkdown(stdout, res)
	default:
		writeTable(stdout, res)
	}
	if *out != "" {
		if err := replaceSection(*out, res); err != nil {
			return err
		}
	}
	if len(res.Errors) > 0 {
		return errors.New(strings.Join(res.Errors, "; "))
	}
	return nil
}

// runAll runs the selected workloads one after another, each in its own folder, collecting rows
// and errors: one workload failing does not lose the others' figures.
func runAll(ctx context.Context, work string, cfg benchConfig, res *Results, progress io.Writer) {
	type workload struct {
		name string
		run  func(dir string) ([]Row, error)
	}
	all := []workload{
		{"throughput", func(dir string) ([]Row, error) { return runThroughput(ctx, dir, cfg.throughput) }},
		{"lateness", func(dir string) ([]Row, error) { return runLateness(ctx, dir, cfg.lateness, cfg.worker) }},
		{"scale", func(dir string) ([]Row, error) { return runScale(ctx, dir, cfg.scale, progress) }},
		{"audit", func(dir string) ([]Row, error) { return runAudit(ctx, dir, cfg.audit, progress) }},
		{"simulate", func(dir string) ([]Row, error) { return runSimulate(ctx, cfg.simulate) }},
	}
	for _, w := range all {
		if !cfg.only[w.name] || ctx.Err() != nil {
			continue
		}
		t := time.Now()
		fmt.Fprintf(progress, "bench: %s…\n", w.name)
		rows, err := w.run(filepath.Join(work, w.name))
		res.Rows = append(res.Rows, rows...)
		if err != nil {
			res.Errors = append(res.Errors, w.name+": "+err.Error())
		}
		fmt.Fprintf(progress, "bench: %s done in %s\n", w.name, time.Since(t).Round(time.Second))
	}
	latenessRatios(res.Rows)
}

// Markers around the generated section of BENCHMARKS.md.
const (
	beginMarker = "<!-- bench:begin (generated by go run ./internal/bench --out BENCHMARKS.md) -->"
	endMarker   = "<!-- bench:end -->"
)

// replaceSection writes the markdown table between the markers of path (appending them when
// missing), keeping the rest of the file.
func replaceSection(path string, res *Results) error {
	var sb strings.Builder
	writeMarkdown(&sb, res)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	text := string(old)
	section := beginMarker + "\n" + sb.String() + endMarker
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	if i >= 0 && j > i {
		text = text[:i] + section + text[j+len(endMarker):]
	} else {
		text += "\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
