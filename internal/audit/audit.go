package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/breachflow/breachflow/internal/codec"
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
	Source   string      `json:"source"`
	Manifest *Manifest   `json:"manifest,omitempty"`
	Runs     []RunReport `json:"runs"`
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
	// Problems fail the audit: a file that does not match its manifest's hash, a history that
	// does not replay, a file that cannot be read.
	Problems []string `json:"problems,omitempty"`
}

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
		return rep, fmt.Errorf("audit failed: %d of %d histories did not pass:\n%w", s.Failed, s.Histories, errors.Join(problems...))
	}
	return rep, nil
}

// unit is one incident to audit: an export folder, a single history file, or live runs.
type unit struct {
	source string
	// dir is an export folder (with a manifest).
	dir string
	// file is a single history file; expected its SHA-256 from a manifest next to it, if any.
	file     string
	expected string
	// live are runs read from Temporal.
	live       []fetchedRun
	incidentID string
	client     client.Client
	notes      []string
}

func (u *unit) histories() int {
	switch {
	case u.live != nil:
		return len(u.live)
	case u.dir != "":
		if m, err := ReadManifest(u.dir); err == nil {
			return len(m.Runs)
		}
	}
	return 1
}

// discover finds what a path holds: an export folder, a history file, or a folder of either.
func discover(path string) ([]*unit, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		if filepath.Base(path) == ManifestFile {
			return []*unit{{source: filepath.Dir(path), dir: filepath.Dir(path)}}, nil
		}
		return []*unit{fileUnit(path)}, nil
	}
	if isExport(path) {
		return []*unit{{source: path, dir: path}}, nil
	}
	var units []*unit
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && isExport(p) {
				units = append(units, &unit{source: p, dir: p})
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(strings.ToLower(d.Name()), ".json") && !strings.HasPrefix(d.Name(), ".") {
			units = append(units, fileUnit(p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].source < units[j].source })
	return units, nil
}

func isExport(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ManifestFile))
	return err == nil && fi.Mode().IsRegular()
}

// fileUnit is a single history file; a manifest next to it that lists it gives its hash.
func fileUnit(path string) *unit {
	u := &unit{source: path, file: path}
	if m, err := ReadManifest(filepath.Dir(path)); err == nil {
		for _, r := range m.Runs {
			if r.File == filepath.Base(path) {
				u.expected = r.SHA256
			}
		}
	}
	return u
}

type auditor struct {
	ctx         context.Context
	opts        *Options
	total, done int
}

// loadedRun is one run's history ready to replay.
type loadedRun struct {
	report  *RunReport
	history *historypb.History
	ok      bool
}

// auditUnit audits one incident. skipped is true for a JSON file that is not a history.
func (a *auditor) auditUnit(u *unit) (ir *IncidentReport, skipped bool) {
	ir = &IncidentReport{Source: u.source, IncidentID: u.incidentID, Notes: u.notes}
	var runs []*loadedRun
	switch {
	case u.live != nil:
		for _, r := range u.live {
			events := r.History.GetEvents()
			rr := &RunReport{RunID: r.RunID, Events: len(events), Hash: "not applicable (live)"}
			fillTimes(rr, r.History)
			runs = append(runs, &loadedRun{report: rr, history: r.History, ok: true})
		}
	case u.dir != "":
		m, err := ReadManifest(u.dir)
		if err != nil {
			ir.Problems = append(ir.Problems, err.Error())
			a.tick(u.histories())
			return ir, false
		}
		ir.Manifest, ir.IncidentID = m, m.IncidentID
		ir.Notes = append(ir.Notes, m.Notes...)
		listed := map[string]bool{ManifestFile: true}
		for _, mr := range m.Runs {
			listed[mr.File] = true
			rr := &RunReport{RunID: mr.RunID, File: mr.File}
			lr := &loadedRun{report: rr}
			runs = append(runs, lr)
			path := filepath.Join(u.dir, mr.File)
			data, err := os.ReadFile(path)
			if err != nil {
				rr.Hash, rr.Replay = "unreadable", ReplaySkipped
				ir.Problems = append(ir.Problems, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			rr.SHA256 = sha256Hex(data)
			if rr.SHA256 != strings.ToLower(mr.SHA256) {
				rr.Hash, rr.Replay = HashMismatch, ReplaySkipped
				ir.Problems = append(ir.Problems, hashError(path, mr.SHA256, rr.SHA256))
				continue
			}
			rr.Hash = HashOK
			h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
			if err != nil || len(h.GetEvents()) == 0 {
				rr.Replay = ReplaySkipped
				ir.Problems = append(ir.Problems, fmt.Sprintf("%s: not a readable history: %v", path, err))
				continue
			}
			rr.Events = len(h.GetEvents())
			fillTimes(rr, h)
			if rr.Events != mr.Events {
				ir.Problems = append(ir.Problems, fmt.Sprintf("%s: %d events, the manifest says %d", path, rr.Events, mr.Events))
			}
			lr.history, lr.ok = h, true
		}
		if entries, err := os.ReadDir(u.dir); err == nil {
			for _, e := range entries {
				if !e.IsDir() && !listed[e.Name()] {
					ir.Notes = append(ir.Notes, fmt.Sprintf("%s is in the export folder but not in its manifest: not audited", e.Name()))
				}
			}
		}
	default:
		data, err := os.ReadFile(u.file)
		if err != nil {
			ir.Problems = append(ir.Problems, fmt.Sprintf("%s: %v", u.file, err))
			a.tick(1)
			return ir, false
		}
		rr := &RunReport{File: u.file, SHA256: sha256Hex(data), Hash: HashNotChecked}
		if u.expected != "" {
			rr.Hash = HashOK
			if rr.SHA256 != strings.ToLower(u.expected) {
				rr.Hash, rr.Replay = HashMismatch, ReplaySkipped
				ir.Runs = []RunReport{*rr}
				ir.Problems = append(ir.Problems, hashError(u.file, u.expected, rr.SHA256))
				a.tick(1)
				return ir, false
			}
		}
		h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
		if err != nil || len(h.GetEvents()) == 0 || h.GetEvents()[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
			a.tick(1)
			if u.expected == "" {
				return nil, true // some other JSON file
			}
			rr.Replay = ReplaySkipped
			ir.Runs = []RunReport{*rr}
			ir.Problems = append(ir.Problems, fmt.Sprintf("%s: not a readable history: %v", u.file, err))
			return ir, false
		}
		rr.Events = len(h.GetEvents())
		rr.RunID = h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()
		fillTimes(rr, h)
		runs = append(runs, &loadedRun{report: rr, history: h, ok: true})
	}

	dc := a.opts.dataConverter()
	var first workflows.StartIncidentInput
	var firstErr error
	for _, r := range runs {
		if r.ok {
			first, firstErr = decodeStart(dc, r.history)
			break
		}
	}
	if firstErr != nil {
		note := fmt.Sprintf("the incident's start input could not be decoded: %v", firstErr)
		for _, r := range runs {
			if r.ok && encrypted(r.history) {
				note += fmt.Sprintf("; its payloads are encrypted (%s): audit with the keys the worker used (%s or %s)", codec.MetadataEncodingEncrypted, codec.EnvKeyFile, codec.EnvKeys)
				if ids := appendKeyIDs(nil, r.history); len(ids) > 0 {
					note += ": key ID(s) " + strings.Join(ids, ", ")
				}
				break
			}
		}
		ir.Notes = append(ir.Notes, note)
	}
	if firstErr == nil && first.IncidentID != "" {
		if ir.IncidentID != "" && first.IncidentID != ir.IncidentID {
			ir.Problems = append(ir.Problems, fmt.Sprintf("the manifest names incident %s but the history is of %s", ir.IncidentID, first.IncidentID))
		}
		if ir.IncidentID == "" {
			ir.IncidentID = first.IncidentID
		}
	}

	// Replay every run that passed its hash check.
	hashFailed := false
	var lastReplay *replayed
	for i, r := range runs {
		if !r.ok {
			hashFailed = true
			continue
		}
		res := replay(r.history, workflows.IncidentWorkflowID(ir.IncidentID), r.report.RunID, a.opts)
		a.tick(1)
		if res.err != nil {
			r.report.Replay, r.report.ReplayError = ReplayFailed, res.err.Error()
			ir.Problems = append(ir.Problems, fmt.Sprintf("%s: replay failed: the history does not match this build's IncidentWorkflow: %v", runName(i, r.report), res.err))
		} else {
			r.report.Replay = ReplayOK
		}
		if i == len(runs)-1 {
			lastReplay = &res
		}
	}
	for _, r := range runs {
		ir.Runs = append(ir.Runs, *r.report)
	}
	if hashFailed {
		ir.Notes = append(ir.Notes, "no timeline: a history file failed its check, so its content cannot be trusted")
		return ir, false
	}
	a.buildTimeline(ir, u, runs, lastReplay)
	return ir, false
}

// buildTimeline builds the timeline and the obligations from the histories, the final status
// and the workflow's record.
func (a *auditor) buildTimeline(ir *IncidentReport, u *unit, runs []*loadedRun, lastReplay *replayed) {
	b := newBuilder(a.opts.dataConverter())
	for i, r := range runs {
		b.addRun(i+1, r.history, i == len(runs)-1)
	}
	ir.Notes = append(ir.Notes, b.notes...)
	switch {
	case b.start != nil:
		ir.Title, ir.PlaybookName, ir.PlaybookVersion, ir.DiscoveredAt = b.start.Title, b.start.Playbook.Name, b.start.Playbook.Version, b.start.DiscoveredAt
	case b.carried != nil:
		ir.Title, ir.PlaybookName, ir.PlaybookVersion, ir.DiscoveredAt = b.carried.Title, b.carried.Playbook.Name, b.carried.Playbook.Version, b.carried.DiscoveredAt
		ir.Notes = append(ir.Notes, "the first run is missing: the histories start with a run that continues an earlier one")
	}

	var status *workflows.Status
	var record []workflows.LogEntry
	haveRecord := false
	if r := b.result; r != nil {
		ir.ClosedAt, ir.ClosedBy, ir.Forced = r.ClosedAt, r.ClosedBy, r.Forced
		if r.Final.IncidentID == "" {
			// Results recorded before IncidentResult carried Final and Log: the replay rebuilds both.
			ir.Notes = append(ir.Notes, "the workflow's result carries no final status or record (recorded by an older build): they are taken from the replay")
		}
	}
	switch {
	case b.result != nil && b.result.Final.IncidentID != "":
		ir.StatusFrom = FromResult
		status, record, haveRecord = &b.result.Final, b.result.Log, true
	case u.client != nil && a.queryInto(u.client, ir, &status, &record):
		haveRecord = true
	case lastReplay != nil && lastReplay.err == nil && lastReplay.status != nil && lastReplay.hasLog:
		ir.StatusFrom = FromReplay
		status, record, haveRecord = lastReplay.status, lastReplay.log, true
	case b.lastUpdate != nil:
		ir.StatusFrom = FromLastUpdate
		status = b.lastUpdate
	default:
		ir.StatusFrom = FromNothing
	}
	if haveRecord {
		b.mergeRecord(record)
	} else {
		ir.Notes = append(ir.Notes, "the workflow's record (its log) was not available: the engine's own acts (clocks started, overdue marks, reminders, escalations) are not in the timeline")
	}
	ir.Timeline = b.timeline()
	ir.Notes = append(ir.Notes, checkApprovals(ir.Timeline)...)
	if status != nil {
		ir.Status = status.Status
		if ir.ClosedAt.IsZero() {
			ir.ClosedAt = status.ClosedAt
		}
		if ir.ClosedBy == "" && status.Status == workflows.IncidentClosed {
			for _, e := range ir.Timeline {
				if e.Action == "closed" {
					ir.ClosedBy = e.Actor
				}
			}
		}
		ir.Obligations = obligationsFrom(status, ir.Timeline)
	}
}

// queryInto asks a live incident for its status and log; on failure it notes why and returns
// false, and the replayed state is used instead.
func (a *auditor) queryInto(c client.Client, ir *IncidentReport, status **workflows.Status, record *[]workflows.LogEntry) bool {
	st, log, err := a.query(c, ir.IncidentID)
	if err != nil {
		ir.Notes = append(ir.Notes, fmt.Sprintf("the live status and log queries failed (%v): using the replayed state", err))
		return false
	}
	ir.StatusFrom, *status, *record = FromQuery, st, log
	return true
}

// query asks a live incident for its status and log.
func (a *auditor) query(c client.Client, id string) (*workflows.Status, []workflows.LogEntry, error) {
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.QueryTimeout)
	defer cancel()
	v, err := c.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryStatus)
	if err != nil {
		return nil, nil, err
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		return nil, nil, err
	}
	v, err = c.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryLog)
	if err != nil {
		return nil, nil, err
	}
	var log []workflows.LogEntry
	if err := v.Get(&log); err != nil {
		return nil, nil, err
	}
	return &st, log, nil
}

func (a *auditor) tick(n int) {
	a.done += n
	a.progress()
}

const barWidth = 30

func (a *auditor) progress() {
	if a.opts.Progress == nil || a.total < 2 {
		return
	}
	done := min(a.done, a.total)
	filled := done * barWidth / a.total
	fmt.Fprintf(a.opts.Progress, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), done, a.total)
}

func (a *auditor) progressDone() {
	if a.opts.Progress != nil && a.total > 1 {
		fmt.Fprintln(a.opts.Progress)
	}
}

func hashError(path, expected, actual string) string {
	return fmt.Sprintf("%s: SHA-256 mismatch: the manifest records %s but the file hashes to %s: the history was tampered with or corrupted after export", path, expected, actual)
}

func runName(i int, r *RunReport) string {
	name := fmt.Sprintf("run %d", i+1)
	if r.RunID != "" {
		name += " (" + r.RunID + ")"
	}
	if r.File != "" {
		name += " " + r.File
	}
	return name
}

func fillTimes(rr *RunReport, h *historypb.History) {
	events := h.GetEvents()
	if len(events) == 0 {
		return
	}
	rr.FirstEventTime = events[0].GetEventTime().AsTime().UTC()
	rr.LastEventTime = events[len(events)-1].GetEventTime().AsTime().UTC()
	rr.LastEvent = eventTypeName(events[len(events)-1].GetEventType())
}

// encrypted reports whether a history's start input is an encrypted payload.
func encrypted(h *historypb.History) bool {
	for _, p := range h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads() {
		if string(p.GetMetadata()["encoding"]) == codec.MetadataEncodingEncrypted {
			return true
		}
	}
	return false
}
