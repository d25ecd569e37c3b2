package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
