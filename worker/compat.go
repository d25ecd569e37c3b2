package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
)

// envSkipCompatCheck set to true is --skip-compat-check.
const envSkipCompatCheck = "BREACHFLOW_SKIP_COMPAT_CHECK"

// compatFlags are the flags of the start-up compatibility check (engine.CheckCompatible).
type compatFlags struct {
	skip  bool
	limit int
}

func addCompatFlags(fs *flag.FlagSet) *compatFlags {
	f := &compatFlags{}
	fs.BoolVar(&f.skip, "skip-compat-check", false, "start even when open incidents went through workflow changes this build does not know (they will be stuck on it; default $"+envSkipCompatCheck+")")
	fs.IntVar(&f.limit, "compat-check-limit", engine.DefaultCompatLimit, "how many of the most recently started open incidents (and as many digests) the start-up compatibility check reads (0: the default)")
	return f
}

// check refuses to start a worker whose build is older than one that ran open incidents: it
// would take their workflow tasks and leave them stuck on nondeterminism errors. Skipping it
// (flag or environment) only warns, loudly.
func (f *compatFlags) check(ctx context.Context, c client.Client, cfg config.Config, stderr io.Writer) error {
	skip := f.skip
	if v := os.Getenv(envSkipCompatCheck); v != "" && !skip {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: give true or false", envSkipCompatCheck, v)
		}
		skip = b
	}
	if f.limit < 0 {
		return fmt.Errorf("--compat-check-limit %d: give how many open incidents to read, at least 1 (0 for %d)", f.limit, engine.DefaultCompatLimit)
	}
	if skip {
		fmt.Fprintln(stderr, "WARNING: the compatibility check is skipped (--skip-compat-check or "+envSkipCompatCheck+"): if open incidents went through "+
			"workflow changes this build does not know, this worker will fail their workflow tasks and they will be stuck until a newer build runs them")
		return nil
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	n, err := engine.CheckCompatible(cctx, c, engine.CompatOptions{
		Namespace: cfg.Temporal.Namespace, DataConverter: codec.DataConverter(cfg.Temporal.Keys), Limit: f.limit,
	})
	if err != nil {
		return fmt.Errorf("refusing to start: %w\n(to start anyway, at the risk of stuck incidents: --skip-compat-check or %s=true)", err, envSkipCompatCheck)
	}
	fmt.Fprintf(stderr, "compatibility check: %d open workflow(s) read in %s, none went through a change this build does not know\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}
