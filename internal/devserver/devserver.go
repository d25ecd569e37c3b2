// Package devserver runs a complete Temporal server inside the current process, persisted to a
// SQLite file, so that the engine works on a fresh machine with nothing else installed.
//
// It is the embedded default of `worker --dev` and `starter demo`, and the real server the
// integration tests talk to. Production deployments use a Temporal cluster instead.
package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/primitives/timestamp"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// DefaultNamespace is the namespace the embedded server creates when none is given.
const DefaultNamespace = "default"

// DatabaseFile is the name of the SQLite file inside the data folder.
const DatabaseFile = "temporal.db"

// DefaultRetention keeps closed incidents in the embedded server's store for ten years, so an
// auditor can still export them; Temporal's own default (one day) would silently drop them.
const DefaultRetention = 10 * 365 * 24 * time.Hour

// Options configures an embedded server.
type Options struct {
	// DataDir holds the SQLite database. Required unless Ephemeral is set. Created if missing.
	DataDir string
	// Ephemeral keeps everything in memory; nothing survives Stop.
	Ephemeral bool
	// Port is the frontend's gRPC port on 127.0.0.1; 0 picks a free one.
	Port int
	// Namespace is created on start if it does not exist (default "default").
	Namespace string
	// SearchAttributes are registered on the namespace when it is first created.
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogFile receives the server's own log (warnings and errors). Empty means DataDir/temporal.log,
	// or no log at all when Ephemeral.
	LogFile string
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	ns       string
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.ns }

// Stop shuts the server down; the SQLite file stays for the next Start.
func (s *Server) Stop() error { return s.srv.Stop() }

// Start starts an embedded server and returns once its frontend accepts connections.
func Start(opts Options) (*Server, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if !opts.Ephemeral && opts.DataDir == "" {
		return nil, errors.New("devserver: DataDir is required unless Ephemeral is set")
	}
	const host = "127.0.0.1"
	ports, err := freePorts(opts.Port, 4)
	if err != nil {
		return nil, err
	}

	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
	}
	if opts.Ephemeral {
		sqlCfg.DatabaseName = "mem-" + strconv.Itoa(ports[0])
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
	} else {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("devserver: creating data folder: %w", err)
		}
		sqlCfg.DatabaseName = filepath.Join(opts.DataDir, DatabaseFile)
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// WAL nearly doubles throughput on SQLite, and synchronous=normal is durable across
		// process crashes (only an OS crash can lose the last transactions). Temporal's sqlite
		// plugin passes every attribute that is not a URI parameter to modernc.org/sqlite as
		// `_pragma=NAME=VALUE`, so the keys are bare pragma names: "_journal_mode" would run
		// `PRAGMA _journal_mode`, which SQLite silently ignores.
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "normal"
		if _, err := os.Stat(sqlCfg.DatabaseName); errors.Is(err, os.ErrNotExist) {
			if err := sqlite.SetupSchema(sqlCfg); err != nil {
				return nil, fmt.Errorf("devserver: creating schema: %w", err)
			}
		}
	}

	nsCfg, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace config: %w", err)
	}
	nsCfg.Detail.Config.Retention = timestamp.DurationPtr(DefaultRetention)
	if err := sqlite.CreateNamespaces(sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("devserver: creating namespace: %w", err)
	}

	var logger log.Logger = log.NewNoopLogger()
	logFile := opts.LogFile
	if logFile == "" && !opts.Ephemeral {
		logFile = filepath.Join(opts.DataDir, "temporal.log")
	}
	if logFile != "" {
		logger = log.NewZapLogger(log.BuildZapLogger(log.Config{Level: "warn", OutputFile: logFile}))
	}

	frontend := net.JoinHostPort(host, strconv.Itoa(ports[0]))
	services := map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for i, name := range []primitives.ServiceName{primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: ports[i], BindOnIP: host}}
		hosts[name] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(ports[i])))
	}

	cfg := &config.Config{
		Global: config.Global{},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontend},
	}

	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: creating server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: starting server: %w", err)
	}
	return &Server{srv: srv, hostPort: frontend, ns: opts.Namespace}, nil
}

// freePorts returns n ports on loopback: first (if non-zero) followed by free ones.
func freePorts(first, n int) ([]int, error) {
	ports := make([]int, 0, n)
	if first != 0 {
		ports = append(ports, first)
	}
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("devserver: finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
