package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/internal/simulate"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// exitProblems is the exit status of `starter check` when the file has problems.
const exitProblems = 2

// cmdCheck is `starter check FILE`: it parses a playbook, an incident file or a scenario the way
// the engine will, dry-renders every notice template the playbook uses, and prints
// "ok: N obligations, M templates" or every problem, one per line (exit status 2). It needs no
// Temporal server.
func cmdCheck(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("starter check", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: starter check PLAYBOOK-OR-INCIDENT-OR-SCENARIO-FILE")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("expected 1 argument: the file to check")
	}
	problems := checkFile(fs.Arg(0), out, time.Now())
	if problems > 0 {
		os.Exit(exitProblems)
	}
	return nil
}

// checkFile checks one file, prints the verdict to out and returns the number of problems.
func checkFile(path string, out io.Writer, now time.Time) int {
	set, err := engine.Templates(os.Getenv(config.EnvTemplatesDir))
	if err != nil {
		return report(out, err)
	}
	kind, err := fileKind(path)
	if err != nil {
		return report(out, err)
	}
	var pb *playbook.Playbook
	what := ""
	switch kind {
	case "playbook":
		if pb, err = playbook.LoadFile(path, set); err != nil {
			return report(out, err)
		}
		what = fmt.Sprintf("playbook %s %s", pb.Name, pb.Version)
	case "scenario":
		s, err := simulate.Load(path, config.TemplatesDir())
		if err != nil {
			return report(out, err)
		}
		pb = s.Playbook
		what = fmt.Sprintf("scenario with %d events, playbook %s %s", len(s.Events), pb.Name, pb.Version)
	default:
		f, err := incidentfile.Read(path)
		if err != nil {
			return report(out, err)
		}
		if pb, err = engine.LoadPlaybooks(f.PlaybookRefs(), set); err != nil {
			return report(out, fmt.Errorf("playbook %s: %w", strings.Join(f.PlaybookRefs(), ", "), err))
		}
		if _, err := f.Input(workflows.NewIncidentID(), pb, "starter check", now.UTC().Truncate(time.Second), false); err != nil {
			return report(out, fmt.Errorf("%s: %w", filepath.Base(path), err))
		}
		what = fmt.Sprintf("incident file, playbook %s %s", pb.Name, pb.Version)
	}
	fmt.Fprintf(out, "ok: %d obligations, %d templates (%s)\n", len(pb.Obligations), len(pb.TemplateNames()), what)
	return 0
}

// fileKind tells a playbook (format, obligations), a scenario (events, end, incident) and an
// incident file apart by their top-level fields.
func fileKind(path string) (string, error) {
	data, err := playbook.ReadFile(path)
	if err != nil {
		return "", err
	}
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil {
		return "incident", nil // the incident parser reports the problem
	}
	for _, k := range []string{"format", "obligations"} {
		if _, ok := top[k]; ok {
			return "playbook", nil
		}
	}
	for _, k := range []string{"events", "end", "incident"} {
		if _, ok := top[k]; ok {
			return "scenario", nil
		}
	}
	return "incident", nil
}

// report prints every problem in err on its own line and returns how many there were.
func report(out io.Writer, err error) int {
	var lines []string
	for _, e := range playbook.Problems(err) {
		for _, l := range strings.Split(e.Error(), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
	}
	for _, l := range lines {
		fmt.Fprintln(out, "problem:", playbook.SanitizeError(l))
	}
	fmt.Fprintf(out, "%d problem(s)\n", len(lines))
	return len(lines)
}
