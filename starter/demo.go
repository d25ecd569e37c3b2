package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/examples"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devui"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/workflows"
)

// demoStep is one coordinator action the demo performs.
type demoStep struct {
	say string
	do  func(ctx context.Context, tc client.Client, id string) error
}

// step pairs a line of the demo with an Update and its input (typed by workflows.Updates).
func step[In any](say string, u workflows.UpdateDef[In], in In) demoStep {
	return demoStep{say: say, do: func(ctx context.Context, tc client.Client, id string) error {
		_, err := doUpdate(ctx, tc, id, u, in)
		return err
	}}
}

func cmdDemo(args []string, out io.Writer) error {
	c := newCommon("demo")
	data := c.fs.String("data", "breachflow-data", "data folder: embedded server database, outbox, send ledger")
	exit := c.fs.Bool("exit", false, "exit after the demo instead of serving the console (also with --json, or when $CI is set)")
	var cf consoleFlags
	cf.register(c)
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	say := func(format string, a ...any) {
		if !c.asJSON {
			fmt.Fprintf(out, format+"\n", a...)
		}
	}

	began := time.Now()
	srv, err := engine.StartEmbedded(*data, 0)
	if err != nil {
		return err
	}
	defer srv.Stop()
	say("Embedded Temporal server on %s (data in %s)", srv.HostPort(), filepath.Join(*data, "temporal"))

	cfg := config.Config{DataDir: *data, OutboxDir: filepath.Join(*data, "outbox"), From: "incident-desk@agency.example"}
	cfg.Temporal.Address, cfg.Temporal.Namespace = srv.HostPort(), srv.Namespace()
	// With BREACHFLOW_CODEC_KEYS set, the demo's history is encrypted at rest too.
	if cfg.Temporal.Keys, err = config.Keys(); err != nil {
		return err
	}
	tc, err := engine.Dial(cfg.Temporal, engine.Logger(slog.LevelError))
	if err != nil {
		return err
	}
	defer tc.Close()
	acts, err := engine.NewActivities(cfg)
	if err != nil {
		return err
	}
	acts.Digests = engine.DigestSink{Client: tc, TaskQueue: workflows.TaskQueue}
	// As `worker --dev`: trust the data folder's console key, which the console below signs with.
	trusted, err := engine.TrustedConsoleKeys(*data, true)
	if err != nil {
		return err
	}
	w := worker.New(tc, workflows.TaskQueue, worker.Options{})
	engine.RegisterTrusting(w, acts, trusted)
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting worker: %w", err)
	}
	defer w.Stop()

	raw, err := examples.Files.ReadFile("cbp-2019.yaml")
	if err != nil {
		return err
	}
	f, err := incidentfile.Parse("cbp-2019.yaml", raw)
	if err != nil {
		return err
	}
	id, err := startIncident(ctx, tc, f, c.by, true)
	if err != nil {
		return err
	}
	say("Started %s — %s (discovered now)", id, f.Title)

	by := c.by
	for _, s := range []demoStep{
		step("Coordinator requests the report to CISA (no approval needed: sent at once)", workflows.Updates.SendNotice, workflows.SendNoticeInput{Obligation: "cisa-report", By: by}),
		step("Triage done", workflows.Updates.Complete, workflows.CompleteInput{Obligation: "triage", By: by, Note: "scope confirmed: one port of entry, six weeks of images"}),
		step("Law enforcement coordinated", workflows.Updates.Complete, workflows.CompleteInput{Obligation: "law-enforcement", By: by, Note: "FBI liaison engaged"}),
		step("The count as the agency states it: fewer than 100,000 people (a statement, not the number 99,999)", workflows.Updates.RecordFact, workflows.RecordFactInput{Name: "affected_count_stated", Value: "fewer than 100,000", By: by, Note: "public statement of 10 June"}),
		step("Images of the data found on the dark web", workflows.Updates.RecordFact, workflows.RecordFactInput{Name: "dark_web_exposure", Value: "yes", By: by, Note: "at least 19 images (OIG-20-71)"}),
		step("CIO determines a major incident by the harm test (below 100,000 people): the CISA (1 h) and Congress (7 days) clocks start", workflows.Updates.RecordFact, workflows.RecordFactInput{Name: "major_incident", Value: "yes", Determination: true, By: by, Note: "harm to public confidence in the biometric program"}),
		step("Privacy officer decides not to notify individuals — a recorded decision with its rationale, not a waiver", workflows.Updates.Decide, workflows.DecideInput{Decision: "notify_individuals", Outcome: "no", Rationale: "low risk of harm: images of travelers in vehicles and license plates, no other identifiers", Assessment: "risk-assessment", By: by}),
		step("Coordinator requests the notice to Congress: the playbook wants two approvals of its exact text", workflows.Updates.SendNotice, workflows.SendNoticeInput{Obligation: "congress-notice", By: by}),
	} {
		if err := s.do(ctx, tc, id); err != nil {
			return err
		}
		say("  ✓ %s", s.say)
	}
	p, err := queryPreview(ctx, tc, id, "congress-notice")
	if err != nil {
		return err
	}
	hash := p.Rendered.ContentHash
	say("  ✓ Previewed %q (content %s…)", p.Rendered.Subject, hash[:12])
	for _, s := range []demoStep{
		step("The requester cannot approve their own notice", workflows.Updates.Approve, workflows.ApproveInput{Obligation: "congress-notice", By: by, ContentHash: hash}),
		step("A waiver needs a reason", workflows.Updates.Waive, workflows.WaiveInput{Obligation: "public-statement", By: by}),
	} {
		err := s.do(ctx, tc, id)
		if err == nil {
			return fmt.Errorf("%s: expected a refusal", s.say)
		}
		say("  ✗ %s — refused:\n      %v", s.say, err)
	}
	for _, who := range []string{"cio", "general-counsel"} {
		if _, err := doUpdate(ctx, tc, id, workflows.Updates.Approve, workflows.ApproveInput{Obligation: "congress-notice", By: who, ContentHash: hash}); err != nil {
			return err
		}
		say("  ✓ %s approves content %s…", who, hash[:12])
	}

	st, err := waitForDeliveries(ctx, tc, id)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, st)
	}
	fmt.Fprintln(out)
	printStatus(out, st, time.Now())
	files, _ := filepath.Glob(filepath.Join(cfg.OutboxDir, "*.eml"))
	slices.Sort(files)
	fmt.Fprintf(out, "\nNotices of this incident (outbox %s, %d .eml files in all):\n", cfg.OutboxDir, len(files))
	for _, n := range st.Notices {
		fmt.Fprintf(out, "  %-7s %-34s %s\n", n.State, n.Key, filepath.Base(n.Receipt))
	}
	fmt.Fprintf(out, "\nDone in %s. The incident stays open in %s: run `go run ./worker --dev --data %s` and\n", time.Since(began).Round(100*time.Millisecond), *data, *data)
	fmt.Fprintf(out, "`go run ./starter status %s` to continue it.\n", id)
	if *exit || os.Getenv("CI") != "" {
		return nil
	}
	// The console on the same embedded server and worker, until Ctrl-C.
	if err := addDemoUsers(out, *data); err != nil {
		return err
	}
	// The operators' view beside it, as worker --dev serves it: the Temporal UI, linked from
	// each incident page (skipped when its port is taken, e.g. by a running worker --dev).
	cf.namespace = srv.Namespace()
	if cf.temporalUI == "" {
		if ui, err := devui.Start(devui.Options{Addr: config.DefaultDevUIAddr, TemporalAddress: srv.HostPort(), Namespace: srv.Namespace(), Keys: cfg.Temporal.Keys}); err == nil {
			defer ui.Stop()
			cf.temporalUI = ui.URL()
			fmt.Fprintf(out, "Temporal UI (the raw workflows, for operators) on %s\n", ui.URL())
		}
	}
	sctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveConsole(sctx, tc, &cf, *data, out, func(url string) {
		fmt.Fprintf(out, "Open %sincidents/%s and sign in as coordinator, cio, counsel or auditor.\n", url, id)
	})
}

// waitForDeliveries polls the status until no notice is queued, so the printed table shows the
// notices delivered. A failing notice ends the wait too: it is shown with its error.
func waitForDeliveries(ctx context.Context, tc client.Client, id string) (workflows.Status, error) {
	for {
		st, err := queryStatus(ctx, tc, id)
		if err != nil {
			return st, err
		}
		pending := 0
		for _, n := range st.Notices {
			if n.State == workflows.NoticeQueued {
				pending++
			}
		}
		if pending == 0 {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("notices still queued after waiting: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
