package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/simulate"
)

// simulateUsage is the help line of `starter simulate`, for the usage text.
const simulateUsage = `  simulate SCENARIO                what-if: replay a past incident under today's playbook (time-skipping,
                                   no server needed) and print a compliance report  [--format text|json|html] [--chart FILE.svg] [--outbox DIR]`

// cmdSimulate runs `starter simulate SCENARIO`: the scenario's recorded facts and actions, at their
// real timestamps, go through today's playbook in the SDK's time-skipping test environment with the
// real activities; the report says, per obligation, its anchor, deadline, when it was done and
// whether it was met, missed (by how much), not applicable, not started or undecided. It needs no
// Temporal server. Notices go to a temporary outbox that is deleted afterwards, unless --outbox
// names a folder to keep them in.
func cmdSimulate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("starter simulate", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON (the same as --format json)")
	format := fs.String("format", "text", "output: text, json or html (a self-contained page with the timeline chart)")
	chartFile := fs.String("chart", "", "also write the timeline chart (SVG) to this file")
	outbox := fs.String("outbox", "", "keep the simulated notices (.eml files) in this folder (default: a temporary folder, deleted afterwards)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: starter simulate SCENARIO [--format text|json|html] [--chart FILE.svg] [--outbox DIR]\n\n%s\n\nFlags:\n", simulateUsage)
		fs.PrintDefaults()
	}
	// Flags may come before or after the scenario.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != 1 {
		return fmt.Errorf("expected one scenario file, got %d argument(s) (e.g. starter simulate scenarios/cbp-2019.yaml)", len(pos))
	}
	if *asJSON {
		*format = "json"
	}
	switch *format {
	case "text", "json", "html":
	default:
		return fmt.Errorf("--format %q: use text, json or html", *format)
	}
	s, err := simulate.Load(pos[0], config.TemplatesDir())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := simulate.Run(ctx, s, simulate.Options{OutboxDir: *outbox, From: config.From()})
	if err != nil {
		return err
	}
	if *chartFile != "" {
		if err := os.WriteFile(*chartFile, []byte(rep.Chart().SVG()), 0o644); err != nil {
			return fmt.Errorf("--chart: %w", err)
		}
	}
	switch *format {
	case "json":
		return rep.WriteJSON(out)
	case "html":
		return rep.WriteHTML(out)
	}
	return rep.WriteText(out)
}
