// Command worker runs the incident workflows and their activities.
//
//	worker               connect to the Temporal cluster named by TEMPORAL_ADDRESS (see README.md)
//	worker --dev         start an embedded Temporal server (SQLite in the data folder) and the worker
//	worker codec-server  serve the payload codec to the Temporal UI and CLI (decrypts for authorized users)
//	worker keygen        print a new encryption key for BREACHFLOW_CODEC_KEYS
//	worker keygen --export-signing
//	                     print a new export-signing key pair (BREACHFLOW_EXPORT_SIGNING_KEY, and
//	                     the public key for BREACHFLOW_EXPORT_VERIFY_KEYS)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/internal/audit"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/workflows"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "codec-server":
			return runCodecServer(args[1:])
		case "keygen":
			if len(args) > 1 && (args[1] == "--export-signing" || args[1] == "-export-signing") {
				return exportKeygen()
			}
			if len(args) > 1 {
				return fmt.Errorf("keygen: unknown argument %q: use `worker keygen` (payload encryption key) or `worker keygen --export-signing`", args[1])
			}
			id, key, err := codec.GenerateKey()
			if err != nil {
				return err
			}
			fmt.Printf("%s=%s:%s\n", codec.EnvKeys, id, key)
			fmt.Fprintln(os.Stderr, "keep it secret; to rotate, put the new key first and keep the old ones after it")
			return nil
		}
	}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	dev := fs.Bool("dev", false, "start an embedded Temporal server (SQLite in DATA/temporal) in this process")
	port := fs.Int("port", 7233, "with --dev: the embedded frontend's port on 127.0.0.1")
	dataDir := fs.String("data", "", "data folder (default $"+config.EnvDataDir+" or ./breachflow-data)")
	address := fs.String("address", "", "Temporal frontend host:port (default $"+config.EnvTemporalAddress+" or localhost:7233)")
	namespace := fs.String("namespace", "", "Temporal namespace (default $"+config.EnvTemporalNamespace+" or default)")
	verbose := fs.Bool("v", false, "log at info level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
		if os.Getenv(config.EnvOutbox) == "" {
			cfg.OutboxDir = *dataDir + "/outbox"
		}
	}
	if *address != "" {
		cfg.Temporal.Address = *address
	}
	if *namespace != "" {
		cfg.Temporal.Namespace = *namespace
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := engine.Logger(level)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *dev {
		srv, err := engine.StartEmbedded(cfg.DataDir, *port)
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.Temporal.Address, cfg.Temporal.Namespace, cfg.Temporal.TLS = srv.HostPort(), srv.Namespace(), false
		fmt.Printf("embedded Temporal server on %s (namespace %s, data in %s)\n", srv.HostPort(), srv.Namespace(), cfg.DataDir)
	}

	c, err := engine.Dial(cfg.Temporal, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if !*dev {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := engine.EnsureSearchAttributes(sctx, c, cfg.Temporal.Namespace); err != nil {
			// Not fatal: an operator may have registered them under another policy; lists need them.
			logger.Warn("Search attributes not registered", "Error", err)
		}
		cancel()
	}
	acts, err := engine.NewActivities(cfg)
	if err != nil {
		return err
	}
	acts.Digests = engine.DigestSink{Client: c, TaskQueue: workflows.TaskQueue}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	engine.Register(w, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting worker: %w", err)
	}
	defer w.Stop()
	if cfg.Temporal.Keys != nil {
		fmt.Printf("payloads encrypted with key %s before they reach Temporal\n", cfg.Temporal.Keys.ActiveID())
	}
	dest := "outbox " + cfg.OutboxDir
	if cfg.SMTP != nil {
		dest = fmt.Sprintf("SMTP %s (%s)", cfg.SMTP.Host, cfg.SMTP.Security)
	}
	fmt.Printf("worker on task queue %s at %s; notices go to %s\n", workflows.TaskQueue, cfg.Temporal.Address, dest)
	<-ctx.Done()
	fmt.Println("stopping")
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

// runCodecServer serves /encode and /decode for the Temporal UI ("Codec Server" setting) and the
// temporal CLI (--codec-endpoint), so authorized people can read encrypted histories.
func runCodecServer(args []string) error {
	fs := flag.NewFlagSet("worker codec-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	origin := fs.String("origin", "http://localhost:8080", "the Temporal UI's origin, allowed by CORS")
	tokenFile := fs.String("token-file", "", "file holding the bearer token clients must send (required unless --insecure-no-auth)")
	noAuth := fs.Bool("insecure-no-auth", false, "serve without authentication (only on a loopback address)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys, err := config.Keys()
	if err != nil {
		return err
	}
	if keys == nil {
		return fmt.Errorf("no keys: set %s or %s", codec.EnvKeys, codec.EnvKeyFile)
	}
	token := ""
	switch {
	case *tokenFile != "":
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	case !*noAuth:
		return errors.New("--token-file is required: anyone who can reach the codec server can read incident data")
	default:
		host, _, _ := net.SplitHostPort(*listen)
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("--insecure-no-auth is only allowed on a loopback address, not %s", *listen)
		}
	}
	srv := &http.Server{Addr: *listen, Handler: codec.Handler(keys, token, *origin), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("codec server on http://%s (keys %s; CORS origin %s)\n", *listen, strings.Join(keys.KeyIDs(), ", "), *origin)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// exportKeygen prints a new Ed25519 key pair for signing exports: the private key for whoever
// exports, the public key for whoever audits.
func exportKeygen() error {
	priv, pub, err := audit.GenerateSigningKey()
	if err != nil {
		return err
	}
	key, err := audit.ParsePublicKey(pub)
	if err != nil {
		return err
	}
	fmt.Printf("%s=%s\n", config.EnvExportSigningKey, priv)
	fmt.Printf("%s=%s\n", config.EnvExportVerifyKeys, pub)
	fmt.Fprintf(os.Stderr, "key %s: keep the signing key secret (or put it in a file named by %s); give the public key to auditors\n", audit.KeyID(key), config.EnvExportSigningKeyFile)
	return nil
}
