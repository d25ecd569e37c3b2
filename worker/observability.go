package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/observe"
)

// obsFlags are the worker's observability flags; each overrides its environment variable.
type obsFlags struct {
	metrics, logFormat, logLevel, ui string
	gaugeEvery                       time.Duration
}

func addObservabilityFlags(fs *flag.FlagSet) *obsFlags {
	f := &obsFlags{}
	fs.StringVar(&f.metrics, "metrics", "", "serve /metrics, /healthz and /readyz on host:port (default $"+config.EnvMetricsAddr+"; with --dev "+config.DefaultDevMetricsAddr+"; \"off\" for none)")
	fs.StringVar(&f.logFormat, "log-format", "", "log format: text or json (default $"+config.EnvLogFormat+" or text)")
	fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn or error (default $"+config.EnvLogLevel+" or warn)")
	fs.StringVar(&f.ui, "ui", "", "with --dev: serve the Temporal UI on this loopback host:port (default $"+config.EnvUIAddr+" or "+config.DefaultDevUIAddr+"; \"off\" for none)")
	fs.DurationVar(&f.gaugeEvery, "gauge-interval", observe.DefaultGaugeInterval, "how often the incident gauges are refreshed from visibility")
	return f
}

// observability is the worker's logger, metrics, health endpoints and tracing.
type observability struct {
	cfg     config.Observability
	logger  *slog.Logger
	metrics *observe.Metrics
	health  *observe.Health
	server  *observe.Server
	tracing interceptor.Interceptor
	closers []func()
	every   time.Duration
}

// setupObservability reads the environment and flags and builds what the worker reports with.
// verbose is the old -v flag: info level unless a level is given.
func setupObservability(ctx context.Context, f *obsFlags, dev, verbose bool) (*observability, error) {
	cfg, err := config.ObservabilityFromEnv()
	if err != nil {
		return nil, err
	}
	if verbose && os.Getenv(config.EnvLogLevel) == "" {
		cfg.LogLevel = slog.LevelInfo
	}
	if f.logFormat != "" {
		if err := cfg.SetLogFormat(f.logFormat); err != nil {
			return nil, fmt.Errorf("--log-format: %w", err)
		}
	}
	if f.logLevel != "" {
		if err := cfg.SetLogLevel(f.logLevel); err != nil {
			return nil, fmt.Errorf("--log-level: %w", err)
		}
	}
	switch {
	case f.metrics == "off":
		cfg.MetricsAddr = ""
	case f.metrics != "":
		if err := config.CheckListenAddr(f.metrics); err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
		cfg.MetricsAddr = f.metrics
	case cfg.MetricsAddr == "" && dev:
		cfg.MetricsAddr = config.DefaultDevMetricsAddr
	}
	o := &observability{cfg: cfg, every: f.gaugeEvery}
	if o.logger, err = observe.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel); err != nil {
		return nil, err
	}
	if cfg.MetricsAddr != "" {
		if o.metrics, err = observe.NewMetrics(); err != nil {
			return nil, err
		}
		o.closers = append(o.closers, func() { _ = o.metrics.Close() })
	}
	if cfg.Tracing {
		ti, shutdown, err := observe.OTLPTracing(ctx)
		if err != nil {
			o.close()
			return nil, err
		}
		o.tracing = ti
		o.closers = append(o.closers, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = shutdown(sctx)
		})
	}
	return o, nil
}

// sdkLogger is the logger for the Temporal client and worker.
func (o *observability) sdkLogger() sdklog.Logger { return sdklog.NewStructuredLogger(o.logger) }

// dialOptions adds the metrics handler and the tracing interceptor to the client; the worker
// inherits the interceptor.
func (o *observability) dialOptions() []func(*client.Options) {
	return []func(*client.Options){func(opts *client.Options) {
		if o.metrics != nil {
			opts.MetricsHandler = o.metrics.SDKHandler()
		}
		if o.tracing != nil {
			opts.Interceptors = append(opts.Interceptors, o.tracing)
		}
	}}
}

// workerInterceptors counts notice sends when metrics are on.
func (o *observability) workerInterceptors(transport string) []interceptor.WorkerInterceptor {
	if o.metrics == nil {
		return nil
	}
	return []interceptor.WorkerInterceptor{o.metrics.WorkerInterceptor(transport)}
}

// listen starts the metrics and health listener (before the worker starts: /readyz answers 503
// until markStarted) and the gauges' refresh loop.
func (o *observability) listen(ctx context.Context, c client.Client) error {
	if o.cfg.MetricsAddr == "" {
		return nil
	}
	o.health = observe.NewHealth(c)
	srv, err := observe.Listen(o.cfg.MetricsAddr, observe.Handler(o.metrics, o.health))
	if err != nil {
		return err
	}
	o.server = srv
	o.closers = append(o.closers, func() { _ = srv.Close() })
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.metrics.WatchGauges(gctx, c, o.every, o.logger)
	}()
	o.closers = append(o.closers, func() { cancel(); <-done })
	fmt.Printf("metrics on %s%s, health on %s and %s\n", srv.URL(), observe.PathMetrics, observe.PathHealthz, observe.PathReadyz)
	return nil
}

// markStarted makes /readyz answer for Temporal once the worker polls.
func (o *observability) markStarted(v bool) {
	if o.health != nil {
		o.health.SetStarted(v)
	}
}

// close stops everything, last started first.
func (o *observability) close() {
	for i := len(o.closers) - 1; i >= 0; i-- {
		o.closers[i]()
	}
	o.closers = nil
}
