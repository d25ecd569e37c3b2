// Command worker runs the incident workflows and their activities.
//
//	worker               connect to the Temporal cluster named by TEMPORAL_ADDRESS (see README.md)
//	worker --dev         start an embedded Temporal server (SQLite in the data folder) and the worker
//	worker prepare       wait for the Temporal cluster, create the namespace and search attributes, exit
//	worker codec-server  serve the payload codec to the Temporal UI and CLI (decrypts for authorized users)
//	worker keygen        print a new encryption key for BREACHFLOW_CODEC_KEYS
//	worker keygen --export-signing
//	                     print a new export-signing key pair (BREACHFLOW_EXPORT_SIGNING_KEY, and
//	                     the public key for BREACHFLOW_EXPORT_VERIFY_KEYS)
//	worker keygen --console-signing
//	                     print a new console signing key pair (BREACHFLOW_CONSOLE_SIGNING_KEY for
//	                     the console, BREACHFLOW_CONSOLE_VERIFY_KEYS for workers and auditors)
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
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

func run(args []string) error { return runContext(context.Background(), args) }

// runContext is run until parent ends (or a signal arrives): tests stop the worker through it.
func runContext(parent context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "codec-server":
			return runCodecServer(args[1:])
		case "prepare":
			return runPrepare(args[1:])
		case "keygen":
			if len(args) > 1 && (args[1] == "--export-signing" || args[1] == "-export-signing") {
				return exportKeygen()
			}
			if len(args) > 1 && (args[1] == "--console-signing" || args[1] == "-console-signing") {
				return consoleKeygen()
			}
			if len(args) > 1 {
				return fmt.Errorf("keygen: unknown argument %q: use `worker keygen` (payload encryption key), `worker keygen --export-signing` or `worker keygen --console-signing`", args[1])
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
	verbose := fs.Bool("v", false, "log at info level (same as --log-level info)")
	obsFlags := addObservabilityFlags(fs)
	compat := addCompatFlags(fs)
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
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	obs, err := setupObservability(ctx, obsFlags, *dev, *verbose)
	if err != nil {
		return err
	}
	defer obs.close()
	logger := obs.sdkLogger()

	if *dev {
		srv, err := engine.StartEmbedded(cfg.DataDir, *port)
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.Temporal.Address, cfg.Temporal.Namespace, cfg.Temporal.TLS = srv.HostPort(), srv.Namespace(), false
		fmt.Printf("embedded Temporal server on %s (namespace %s, data in %s)\n", srv.HostPort(), srv.Namespace(), cfg.DataDir)
		stopUI, err := startDevUI(obsFlags.ui, obs.cfg, srv.HostPort(), srv.Namespace(), cfg.Temporal.Keys)
		if err != nil {
			return err
		}
		defer stopUI()
	}

	c, err := engine.Dial(cfg.Temporal, logger, obs.dialOptions()...)
	if err != nil {
		return err
	}
	defer c.Close()
	if !*dev {
		if err := prepareCluster(ctx, c, cfg, logger, os.Stderr); err != nil {
			return err
		}
	}
	if err := compat.check(ctx, c, cfg, os.Stderr); err != nil {
		return err
	}
	acts, err := engine.NewActivities(cfg)
	if err != nil {
		return err
	}
	trusted, err := engine.TrustedConsoleKeys(cfg.DataDir, *dev)
	if err != nil {
		return err
	}
	acts.Digests = engine.DigestSink{Client: c, TaskQueue: workflows.TaskQueue}
	w := worker.New(c, workflows.TaskQueue, worker.Options{Interceptors: obs.workerInterceptors(acts.Transport.Name())})
	engine.RegisterTrusting(w, acts, trusted)
	if err := obs.listen(ctx, c); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting worker: %w", err)
	}
	defer w.Stop()
	obs.markStarted(true)
	defer obs.markStarted(false)
	if len(trusted) > 0 {
		fmt.Printf("signed actions accepted from console key(s) %s\n", strings.Join(slices.Sorted(maps.Keys(trusted)), ", "))
	}
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
	return keygen(config.EnvExportSigningKey, config.EnvExportVerifyKeys, config.EnvExportSigningKeyFile, audit.KeyID, "auditors")
}

// consoleKeygen prints a new Ed25519 key pair for signing actions: the private key for the
// console, the public key for every worker (which verifies each signed action) and for auditors.
func consoleKeygen() error {
	return keygen(config.EnvConsoleSigningKey, config.EnvConsoleVerifyKeys, config.EnvConsoleSigningKeyFile, workflows.SignerKeyID, "workers and auditors")
}

// keygen prints a new Ed25519 key pair as the two variables that carry it, and on stderr the
// key's ID and who gets which half.
func keygen(privVar, pubVar, fileVar string, keyID func(ed25519.PublicKey) string, verifiers string) error {
	priv, pub, err := audit.GenerateSigningKey()
	if err != nil {
		return err
	}
	key, err := audit.ParsePublicKey(pub)
	if err != nil {
		return err
	}
	fmt.Printf("%s=%s\n", privVar, priv)
	fmt.Printf("%s=%s\n", pubVar, pub)
	fmt.Fprintf(os.Stderr, "key %s: keep the signing key secret (or put it in a file named by %s); give the public key to %s\n", keyID(key), fileVar, verifiers)
	return nil
}
