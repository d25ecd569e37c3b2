// Package engine wires the pieces together for the worker and starter binaries: connecting to
// Temporal, building the activities from configuration, registering the workflow, starting the
// embedded server, and loading playbooks.
package engine

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/activities"
	"github.com/breachflow/breachflow/activities/pgledger"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/devserver"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// SearchAttributes are the custom search attributes the workflow maintains.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	workflows.SearchIncidentStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	workflows.SearchNextDeadline.GetName():   enumspb.INDEXED_VALUE_TYPE_DATETIME,
	workflows.SearchOverdueCount.GetName():   enumspb.INDEXED_VALUE_TYPE_INT,
}

// Logger returns the SDK logger used by both binaries: warnings and errors to stderr. Workflow and
// activity log lines carry IDs, never fact values, addresses or notice bodies.
func Logger(level slog.Level) sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// Dial connects to the configured Temporal cluster. Each option, when given, adjusts the client
// options last (metrics handler, interceptors: see internal/observe).
func Dial(cfg config.Temporal, logger sdklog.Logger, options ...func(*client.Options)) (client.Client, error) {
	opts := client.Options{HostPort: cfg.Address, Namespace: cfg.Namespace, Logger: logger}
	if cfg.Keys != nil {
		// Payloads and failure messages are encrypted before they leave the process.
		dc := codec.DataConverter(cfg.Keys)
		opts.DataConverter = dc
		opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter: dc, EncodeCommonAttributes: true,
		})
	}
	if cfg.TLS {
		tc := &tls.Config{ServerName: cfg.ServerName, MinVersion: tls.VersionTLS12}
		if cfg.ClientCert != "" {
			cert, err := tls.LoadX509KeyPair(cfg.ClientCert, cfg.ClientKey)
			if err != nil {
				return nil, fmt.Errorf("loading Temporal client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if cfg.ServerCA != "" {
			pem, err := os.ReadFile(cfg.ServerCA)
			if err != nil {
				return nil, fmt.Errorf("reading Temporal server CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s holds no PEM certificate", cfg.ServerCA)
			}
			tc.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	for _, o := range options {
		o(&opts)
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s: %w", cfg.Address, err)
	}
	return c, nil
}

// EnsureSearchAttributes registers the engine's search attributes on a cluster where they are
// missing. It needs operator rights; without them it returns an error saying what to run.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes {
		if _, ok := list.CustomAttributes[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	if err != nil {
		return fmt.Errorf("registering search attributes %v (run `temporal operator search-attribute create` for each): %w", keys(missing), err)
	}
	return nil
}

// Templates loads the notice templates: the embedded ones, or those in dir/notices when set.
func Templates(dir string) (*templates.Set, error) {
	var fsys fs.FS = templates.Embedded()
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	set, err := templates.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("loading templates: %w", err)
	}
	return set, nil
}

// NewActivities builds the activities from configuration: SMTP when a host is configured,
// otherwise the outbox folder; the PostgreSQL send ledger when configured (migrated on the way),
// otherwise a ledger folder in the data folder.
func NewActivities(cfg config.Config) (*activities.Activities, error) {
	set, err := Templates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	ledger, err := OpenLedger(cfg)
	if err != nil {
		return nil, err
	}
	var transport activities.Transport = &activities.Outbox{Dir: cfg.OutboxDir}
	if cfg.SMTP != nil {
		if transport, err = activities.NewSMTP(*cfg.SMTP); err != nil {
			return nil, err
		}
	}
	return &activities.Activities{Templates: set, Transport: transport, Ledger: ledger, From: cfg.From}, nil
}

// OpenLedger opens the send ledger the configuration names.
func OpenLedger(cfg config.Config) (activities.Ledger, error) {
	if cfg.LedgerDSN == "" {
		return activities.OpenLedger(filepath.Join(cfg.DataDir, "ledger"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return pgledger.Open(ctx, cfg.LedgerDSN)
}

// Register registers the workflow and activities on a worker that trusts no console key: signed
// actions are refused, asserted ones accepted.
func Register(w worker.Registry, a *activities.Activities) {
	RegisterTrusting(w, a, nil)
}

// RegisterTrusting registers the workflow and activities on a worker whose Update validators
// accept actions signed by the given console keys (by key ID, config.ConsoleVerifyKeys). The
// keys are captured in the registered workflow function (workflows.NewIncidentWorkflow), so
// they are fixed for the worker's life and never read from a global inside workflow code.
func RegisterTrusting(w worker.Registry, a *activities.Activities, trusted map[string]ed25519.PublicKey) {
	w.RegisterWorkflowWithOptions(workflows.NewIncidentWorkflow(workflows.Options{TrustedKeys: trusted}),
		workflow.RegisterOptions{Name: workflows.WorkflowType})
	w.RegisterWorkflow(workflows.DigestWorkflow)
	w.RegisterActivity(a)
}

// TrustedConsoleKeys are the console keys a worker trusts: those of
// BREACHFLOW_CONSOLE_VERIFY_KEYS and, for the embedded default (dev), the public half of the
// data folder's console key, created if missing, so `worker --dev` and the console started on
// the same data folder work together without key set-up.
func TrustedConsoleKeys(dataDir string, dev bool) (map[string]ed25519.PublicKey, error) {
	keys, err := config.ConsoleVerifyKeys()
	if err != nil {
		return nil, err
	}
	if dev {
		priv, err := config.DevConsoleKey(dataDir)
		if err != nil {
			return nil, err
		}
		pub := priv.Public().(ed25519.PublicKey)
		keys[workflows.SignerKeyID(pub)] = pub
	}
	return keys, nil
}

// StartEmbedded starts the embedded Temporal server with the engine's search attributes.
func StartEmbedded(dataDir string, port int) (*devserver.Server, error) {
	return devserver.Start(devserver.Options{
		DataDir:          filepath.Join(dataDir, "temporal"),
		Port:             port,
		SearchAttributes: SearchAttributes,
	})
}

// LoadPlaybook loads a playbook by name (an embedded default such as us-federal-breach) or by
// file path, validated against the templates.
func LoadPlaybook(ref string, set *templates.Set) (*playbook.Playbook, error) {
	return playbook.Resolve(ref, templates.Embedded(), set)
}

// LoadPlaybooks loads the playbooks of every regime an incident applies (LoadPlaybook each) and
// combines them into one snapshot (playbook.Combine); one playbook is returned as it is.
func LoadPlaybooks(refs []string, set *templates.Set) (*playbook.Playbook, error) {
	pbs := make([]*playbook.Playbook, 0, len(refs))
	for _, ref := range refs {
		pb, err := LoadPlaybook(ref, set)
		if err != nil {
			return nil, err
		}
		pbs = append(pbs, pb)
	}
	return playbook.Combine(pbs...)
}

func keys(m map[string]enumspb.IndexedValueType) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// WorkflowUIURL is the Temporal Web UI's page for a workflow (its latest run), e.g. an incident:
// base is the UI's address (http://127.0.0.1:8233 under worker --dev).
func WorkflowUIURL(base, namespace, workflowID string) string {
	return strings.TrimSuffix(base, "/") + "/namespaces/" + url.PathEscape(namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// DigestSink hands escalations to the recipients' digest workflows through the Temporal client:
// SignalWithStart adds an item (starting the digest when none runs), a signal withdraws one.
type DigestSink struct {
	Client client.Client
	// TaskQueue is where digests run (workflows.TaskQueue unless the worker uses another).
	TaskQueue string
}

// Add hands an item to the recipient's digest.
func (s DigestSink) Add(ctx context.Context, recipient string, item activities.DigestItem) error {
	id := workflows.DigestWorkflowID(recipient)
	_, err := s.Client.SignalWithStartWorkflow(ctx, id, workflows.SignalDigestAdd, item, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.DigestWorkflow, workflows.DigestInput{Recipient: recipient})
	return err
}

// Retract withdraws an item from the recipient's digest; a digest that is not running has sent
// it already (or never had it), which is no error.
func (s DigestSink) Retract(ctx context.Context, recipient string, r activities.DigestRetraction) error {
	err := s.Client.SignalWorkflow(ctx, workflows.DigestWorkflowID(recipient), "", workflows.SignalDigestRetract, r)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}
