package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
)

// prepareCluster readies a Temporal cluster (not the embedded server) for this worker: it waits
// for the frontend, creates the namespace if missing, registers the search attributes and waits
// until they are mapped, and warns when the send ledger is not shared.
func prepareCluster(ctx context.Context, c client.Client, cfg config.Config, logger sdklog.Logger, stderr io.Writer) error {
	warnUnsharedLedger(cfg, stderr)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := engine.PrepareCluster(pctx, c, cfg.Temporal.Namespace); err != nil {
		// Not fatal when only the search attributes are the problem: an operator may manage
		// them under another policy (no operator rights here). Starts will say if they are missing.
		if !errors.Is(err, engine.ErrSearchAttributes) {
			return fmt.Errorf("preparing Temporal at %s: %w", cfg.Temporal.Address, err)
		}
		logger.Warn("Temporal cluster not fully prepared", "Error", err)
	}
	return nil
}

// warnUnsharedLedger warns, loudly, a worker of a cluster that keeps its send ledger in its own
// data folder: workers that do not share a ledger can each deliver the same notice when a
// completion does not reach Temporal.
func warnUnsharedLedger(cfg config.Config, stderr io.Writer) {
	if cfg.LedgerDSN != "" {
		return
	}
	fmt.Fprintf(stderr, `
*** WARNING: send ledger not shared ***
This worker keeps its send ledger in %s (%s is not set).
Workers that do not share one ledger can deliver the same notice twice when a completion does not
reach Temporal (a worker frozen past a timeout, a network partition), and nothing shows it.
Set %s to one PostgreSQL database for every worker (README "Production"), or run one worker.

`, filepath.Join(cfg.DataDir, "ledger"), config.EnvLedgerDSN, config.EnvLedgerDSN)
}

// runPrepare is `worker prepare`: PrepareCluster against the configured cluster, then exit. It
// is what deploy/local-cluster.sh waits on before it starts workers and reports the cluster up.
func runPrepare(args []string) error {
	fs := flag.NewFlagSet("worker prepare", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	logger := engine.Logger(slog.LevelError)
	// Dialling fails fast while the frontend's port is closed: retry it within the timeout.
	var c client.Client
	for {
		if c, err = engine.Dial(cfg.Temporal, logger); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for Temporal at %s: %w", cfg.Temporal.Address, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	defer c.Close()
	if err := engine.PrepareCluster(ctx, c, cfg.Temporal.Namespace); err != nil {
		return fmt.Errorf("preparing Temporal at %s: %w", cfg.Temporal.Address, err)
	}
	fmt.Printf("Temporal at %s ready: namespace %s, search attributes mapped\n", cfg.Temporal.Address, cfg.Temporal.Namespace)
	return nil
}
