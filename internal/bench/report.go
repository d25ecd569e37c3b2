package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one measured figure, with its baseline and their ratio when the workload has one.
type Row struct {
	Workload string `json:"workload"`
	// Case names the sizes, e.g. "incidents=1000".
	Case   string  `json:"case"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Baseline is the same figure for Temporal's own floor (0: none); Ratio is Value/Baseline,
	// or whatever ratio the goal is stated in.
	Baseline     float64 `json:"baseline,omitempty"`
	BaselineName string  `json:"baseline_name,omitempty"`
	Ratio        float64 `json:"ratio,omitempty"`
	Goal         string  `json:"goal,omitempty"`
	// Met is whether the goal was met (nil: no goal).
	Met  *bool  `json:"met,omitempty"`
	Note string `json:"note,omitempty"`
}

// Machine describes where a run happened.
type Machine struct {
	Cores     int       `json:"cores"`
	MemoryMiB int       `json:"memory_mib"`
	Go        string    `json:"go"`
	OS        string    `json:"os"`
	Commit    string    `json:"commit"`
	LoadStart string    `json:"load_start"`
	LoadEnd   string    `json:"load_end,omitempty"`
	Started   time.Time `json:"started"`
	Wall      string    `json:"wall,omitempty"`
	Command   string    `json:"command"`
}

// Results is a whole run.
type Results struct {
	Machine Machine  `json:"machine"`
	Rows    []Row    `json:"rows"`
	Errors  []string `json:"errors,omitempty"`
}

func machine(command string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Started: time.Now().UTC().Truncate(time.Second), Command: command}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.Atoi(f[1])
				m.MemoryMiB = kb / 1024
			}
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
			m.Commit += "+dirty"
		}
	}
	m.LoadStart = loadAverage()
	return m
}

// loadAverage is the 1/5/15-minute load average, as uptime prints it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func (r Row) verdict() string {
	switch {
	case r.Met == nil:
		return ""
	case *r.Met:
		return "met"
	default:
		return "MISSED"
	}
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func ratio(r Row) string {
	if r.Ratio == 0 {
		return ""
	}
	return strconv.FormatFloat(r.Ratio, 'f', 2, 64) + "×"
}

func baseline(r Row) string {
	if r.Baseline == 0 {
		return ""
	}
	return num(r.Baseline) + " (" + r.BaselineName + ")"
}

// writeTable prints the results as an aligned table.
func writeTable(w io.Writer, res *Results) {
	m := res.Machine
	fmt.Fprintf(w, "machine: %d cores, %d MiB, %s %s, commit %s, load %s → %s, wall %s\n\n", m.Cores, m.MemoryMiB, m.Go, m.OS, m.Commit, m.LoadStart, m.LoadEnd, m.Wall)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tcase\tmetric\tvalue\tbaseline\tratio\tgoal\t")
	for _, r := range res.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s %s\t\n", r.Workload, r.Case, r.Metric, num(r.Value), baseline(r), ratio(r), r.Goal, r.verdict())
	}
	tw.Flush()
	for _, e := range res.Errors {
		fmt.Fprintln(w, "error:", e)
	}
}

// writeMarkdown prints the results as the table section of BENCHMARKS.md.
func writeMarkdown(w io.Writer, res *Results) {
	m := res.Machine
	fmt.Fprintf(w, "Command: `%s`  \n", m.Command)
	fmt.Fprintf(w, "Machine: %d cores, %d MiB, %s %s; commit %s; started %s, wall %s  \n", m.Cores, m.MemoryMiB, m.Go, m.OS, m.Commit, m.Started.Format(time.RFC3339), m.Wall)
	fmt.Fprintf(w, "Load average (1/5/15 min): %s before, %s after\n\n", m.LoadStart, m.LoadEnd)
	fmt.Fprintln(w, "| workload | case | metric | value | baseline | ratio | goal |")
	fmt.Fprintln(w, "|---|---|---|---:|---|---:|---|")
	for _, r := range res.Rows {
		goal := strings.TrimSpace(r.Goal + " " + r.verdict())
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Workload, r.Case, r.Metric, num(r.Value), baseline(r), ratio(r), goal)
	}
	for _, r := range res.Rows {
		if r.Note != "" {
			fmt.Fprintf(w, "\n- %s %s %s: %s", r.Workload, r.Case, r.Metric, r.Note)
		}
	}
	for _, e := range res.Errors {
		fmt.Fprintf(w, "\n- error: %s", e)
	}
	fmt.Fprintln(w)
}

// writeBenchfmt prints the results in Go's benchmark format, one line per workload and case,
// so that benchstat can compare two runs.
func writeBenchfmt(w io.Writer, res *Results) {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/breachflow/breachflow/internal/bench\n", runtime.GOOS, runtime.GOARCH)
	type key struct{ workload, c string }
	var order []key
	metrics := map[key][]string{}
	for _, r := range res.Rows {
		k := key{r.Workload, r.Case}
		if _, ok := metrics[k]; !ok {
			order = append(order, k)
		}
		unit := strings.NewReplacer(" ", "-", "/", "-per-").Replace(r.Metric)
		metrics[k] = append(metrics[k], strconv.FormatFloat(r.Value, 'g', 6, 64)+" "+unit)
		if r.Ratio != 0 {
			metrics[k] = append(metrics[k], strconv.FormatFloat(r.Ratio, 'g', 4, 64)+" "+unit+"-ratio")
		}
	}
	for _, k := range order {
		name := "Benchmark" + strings.ToUpper(k.workload[:1]) + k.workload[1:]
		if k.c != "" {
			name += "/" + strings.ReplaceAll(k.c, " ", "_")
		}
		fmt.Fprintf(w, "%s\t1\t%s\n", name, strings.Join(metrics[k], "\t"))
	}
}

func writeJSON(w io.Writer, res *Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
