package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/internal/chart"
	"github.com/breachflow/breachflow/workflows"
)

// Source is what to audit: a path, or an incident read live through a client.
type Source struct {
	// Path is an export folder (with manifest.json), a single history .json file, or a folder
	// holding many of either (searched recursively).
	Path string
	// IncidentID with Client reads the incident's histories from Temporal.
	IncidentID string
	Client     client.Client
}

// Options tune Audit.
type Options struct {
	// DataConverter decodes payloads, both for the timeline and in the replayer; nil means
	// converter.GetDefaultDataConverter(). Pass the one with the payload codec for encrypted
	// histories.
	DataConverter converter.DataConverter
	// FailureConverter decodes failures in the replayer; nil means the SDK's default failure
	// converter over DataConverter (which also decodes failure messages the worker encoded).
	FailureConverter converter.FailureConverter
	// RegisterWorkflows registers the workflow code the histories are replayed against; nil
	// registers workflows.IncidentWorkflow.
	RegisterWorkflows func(worker.WorkflowRegistry)
	// Logger receives the replayer's logs; nil discards them (findings come back as errors).
	Logger sdklog.Logger
	// Progress, when set, receives a progress bar ("\r[#####.....] 12/40") as histories are
	// replayed, when there are two or more.
	Progress io.Writer
	// QueryTimeout bounds the live status and log queries of an open incident (default 10s).
	QueryTimeout time.Duration
	// Now is the clock for audited_at; nil means time.Now.
	Now func() time.Time
	// VerifyKeys are the public keys of trusted exporters. An export passes only when its
	// manifest.sig is a good Ed25519 signature over its manifest by one of them.
	VerifyKeys []ed25519.PublicKey
	// AllowUnsigned lets an audit pass although its files are not authenticated: an export
	// unsigned, badly signed or signed by an unknown key, or a history file without a manifest.
	// The verdict then says so, naming the CLI's --allow-unsigned flag. Live audits need no
	// signature.
	AllowUnsigned bool
}

// Report is the result of an audit.
type Report struct {
	AuditedAt time.Time `json:"audited_at"`
	// Auditor is the build whose workflow code the histories were replayed against.
	Auditor   Build             `json:"auditor"`
	Source    string            `json:"source"`
	Incidents []*IncidentReport `json:"incidents"`
	// Skipped are JSON files found in a folder that are not workflow histories.
	Skipped []string `json:"skipped,omitempty"`
	Summary Summary  `json:"summary"`
}

// Summary counts what an audit found.
type Summary struct {
	Incidents         int `json:"incidents"`
	Histories         int `json:"histories"`
	ReplayedOK        int `json:"replayed_ok"`
	Failed            int `json:"failed"`
	HashMismatches    int `json:"hash_mismatches"`
	ReplayFailures    int `json:"replay_failures"`
	ObligationsMet    int `json:"obligations_met"`
	ObligationsMissed int `json:"obligations_missed"`
}

// IncidentReport is the audit of one incident (one export folder, one history file, or one
// incident read live).
type IncidentReport struct {
	IncidentID      string    `json:"incident_id"`
	Title           string    `json:"title,omitempty"`
	PlaybookName    string    `json:"playbook_name,omitempty"`
	PlaybookVersion string    `json:"playbook_version,omitempty"`
	DiscoveredAt    time.Time `json:"discovered_at,omitzero"`
	// Source is the folder or file audited, or "temporal" for a live audit.
	Source   string    `json:"source"`
	Manifest *Manifest `json:"manifest,omitempty"`
	// Signature is how the files were authenticated (nil for a live audit).
	Signature *SignatureCheck `json:"signature,omitempty"`
	Runs      []RunReport     `json:"runs"`
	// Status is open or closed (empty when unknown); ClosedBy and Forced come with a result.
	Status   string    `json:"status,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	ClosedBy string    `json:"closed_by,omitempty"`
	Forced   bool      `json:"forced,omitempty"`
	// StatusFrom says where the final status and the workflow's record came from.
	StatusFrom  string            `json:"status_from,omitempty"`
	Timeline    []Entry           `json:"timeline"`
	Obligations []ObligationAudit `json:"obligations"`
	// Notes are observations that do not fail the audit.
	Notes []string `json:"notes,omitempty"`
	// Problems fail the audit: a file that does not match its manifest's hash, a manifest that
	// is not signed by a trusted key, a history that does not replay, a notice whose content does
	// not match its recorded hash, a file that cannot be read.
	Problems []string `json:"problems,omitempty"`

	// chart is the incident's timeline picture, when the audit found its status.
	chart *chart.Timeline
}

// Chart is the incident's timeline, drawn from the same final status and record as the
// obligations table; nil when the audit found no status.
func (r *IncidentReport) Chart() *chart.Timeline { return r.chart }

// OK is true when every history matched its hash and replayed.
func (r *IncidentReport) OK() bool { return len(r.Problems) == 0 }

// Per-run results.
const (
	HashOK         = "ok"
	HashMismatch   = "MISMATCH"
	HashNotChecked = "not checked (no manifest)"
	ReplayOK       = "ok"
	ReplayFailed   = "FAILED"
	ReplaySkipped  = "skipped"
)

// RunReport is one run's history: its file, hash check and replay.
type RunReport struct {
	RunID          string    `json:"run_id,omitempty"`
	File           string    `json:"file,omitempty"`
	Events         int       `json:"events"`
	SHA256         string    `json:"sha256,omitempty"`
	FirstEventTime time.Time `json:"first_event_time,omitzero"`
	LastEventTime  time.Time `json:"last_event_time,omitzero"`
	LastEvent      string    `json:"last_event,omitempty"`
	Hash           string    `json:"hash"`
	Replay         string    `json:"replay"`
	// ReplayError is the replayer's error, verbatim: for a history that does not match the code,
	// the non-determinism error (TMPRL1100) naming the first event that diverges.
	ReplayError string `json:"replay_error,omitempty"`
}

// Audit checks and replays the histories of a source and builds each incident's timeline and
// obligations. The report is returned whenever the source could be read at all; the error is
// non-nil as well when any history failed its hash check, could not be read, or did not replay.
func Audit(ctx context.Context, src Source, opts Options) (*Report, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 10 * time.Second
	}
	rep := &Report{AuditedAt: now().UTC(), Auditor: CurrentBuild()}
	var units []*unit
	switch {
	case src.Path != "" && src.IncidentID != "":
		return nil, errors.New("audit a path or an incident ID, not both")
	case src.Path != "":
		rep.Source = src.Path
		var err error
		if units, err = discover(src.Path); err != nil {
			return nil, err
		}
		if len(units) == 0 {
			return nil, fmt.Errorf("%s holds no history files (an export folder has manifest.json; a history is the JSON of `temporal workflow show --output json`)", src.Path)
		}
	case src.IncidentID != "":
		if src.Client == nil {
			return nil, errors.New("a live audit needs a Temporal client")
		}
		if _, err := workflows.IncidentIDFromWorkflowID(src.IncidentID); err != nil {
			return nil, err
		}
		rep.Source = "temporal:" + src.IncidentID
		runs, notes, err := fetchRuns(ctx, src.Client, workflows.IncidentWorkflowID(src.IncidentID))
		if err != nil {
			return nil, err
		}
		units = []*unit{{source: "temporal", incidentID: src.IncidentID, live: runs, notes: notes, client: src.Client}}
	default:
		return nil, errors.New("nothing to audit: give an export folder, a history file or an incident ID")
	}

	a := &auditor{ctx: ctx, opts: &opts}
	for _, u := range units {
		a.total += u.histories()
	}
	a.progress()
	for _, u := range units {
		ir, skipped := a.auditUnit(u)
		if skipped {
			rep.Skipped = append(rep.Skipped, u.source)
			continue
		}
		rep.Incidents = append(rep.Incidents, ir)
	}
	a.progressDone()

	var problems []error
	s := &rep.Summary
	for _, ir := range rep.Incidents {
		s.Incidents++
		for _, r := range ir.Runs {
			s.Histories++
			switch {
			case r.Hash == HashMismatch:
				s.HashMismatches++
				s.Failed++
			case r.Replay == ReplayOK:
				s.ReplayedOK++
			default:
				s.Failed++
				if r.Replay == ReplayFailed {
					s.ReplayFailures++
				}
			}
		}
		if len(ir.Runs) == 0 && !ir.OK() {
			s.Failed++
		}
		for _, o := range ir.Obligations {
			switch o.Outcome {
			case OutcomeMet:
				s.ObligationsMet++
			case OutcomeMissed:
				s.ObligationsMissed++
			}
		}
		name := ir.IncidentID
		if name == "" {
			name = ir.Source
		}
		for _, p := range ir.Problems {
			problems = append(problems, fmt.Errorf("%s: %s", name, p))
		}
	}
	if len(rep.Incidents) == 0 {
		return rep, fmt.Errorf("%s holds no workflow histories", src.Path)
	}
	if len(problems) > 0 {
		failed := 0
		for _, ir := range rep.Incidents {
			if !ir.OK() {
				failed++
			}
		}
		return rep, fmt.Errorf("audit failed: %d of %d incident(s) did not pass (%d of %d histories failed their hash check or replay):\n%w",
			failed, s.Incidents, s.Failed, s.Histories, errors.Join(problems...))
	}
	return rep, nil
}
