package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

type auditor struct {
	ctx  context.Context
	opts *Options
	// mu guards done: incidents are audited in parallel.
	mu          sync.Mutex
	total, done int
}

// loadedRun is one run's history ready to replay.
type loadedRun struct {
	report  *RunReport
	history *historypb.History
	ok      bool
}

// loadLive takes the runs read from Temporal as they are: there is no file to check.
func loadLive(u *unit) []*loadedRun {
	var runs []*loadedRun
	for _, r := range u.live {
		events := r.History.GetEvents()
		rr := &RunReport{RunID: r.RunID, Events: len(events), Hash: "not applicable (live)"}
		fillTimes(rr, r.History)
		runs = append(runs, &loadedRun{report: rr, history: r.History, ok: true})
	}
	return runs
}

// loadExport reads an export folder: its manifest, and each run's file checked against the
// manifest's SHA-256. ok is false when the manifest cannot be read (the audit of the folder
// ends there); a run whose file fails its check comes back with ok false.
func (a *auditor) loadExport(u *unit, ir *IncidentReport) (runs []*loadedRun, ok bool) {
	m, raw, err := readManifest(u.dir)
	if err != nil {
		ir.Problems = append(ir.Problems, err.Error())
		a.tick(u.histories())
		return nil, false
	}
	ir.Manifest, ir.IncidentID = m, m.IncidentID
	a.checkSignature(ir, VerifyManifest(u.dir, raw, a.opts.VerifyKeys))
	ir.Notes = append(ir.Notes, m.Notes...)
	listed := map[string]bool{ManifestFile: true, SignatureFile: true}
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
		h, err := decodeHistory(data)
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
	return runs, true
}

// loadFile reads a single history file, checked against the SHA-256 of a manifest next to it
// that lists it. done is true when the audit of the file ends here; skipped is true for a JSON
// file that is not a workflow history (and no manifest claims it is).
func (a *auditor) loadFile(u *unit, ir *IncidentReport) (runs []*loadedRun, done, skipped bool) {
	data, err := os.ReadFile(u.file)
	if err != nil {
		ir.Problems = append(ir.Problems, fmt.Sprintf("%s: %v", u.file, err))
		a.tick(1)
		return nil, true, false
	}
	rr := &RunReport{File: u.file, SHA256: sha256Hex(data), Hash: HashNotChecked}
	if u.expected != "" {
		rr.Hash = HashOK
		if rr.SHA256 != strings.ToLower(u.expected) {
			rr.Hash, rr.Replay = HashMismatch, ReplaySkipped
			ir.Runs = []RunReport{*rr}
			ir.Problems = append(ir.Problems, hashError(u.file, u.expected, rr.SHA256))
			a.tick(1)
			return nil, true, false
		}
	}
	h, err := decodeHistory(data)
	if err != nil || len(h.GetEvents()) == 0 || h.GetEvents()[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
		a.tick(1)
		if u.expected == "" {
			return nil, true, true // some other JSON file
		}
		rr.Replay = ReplaySkipped
		ir.Runs = []RunReport{*rr}
		ir.Problems = append(ir.Problems, fmt.Sprintf("%s: not a readable history: %v", u.file, err))
		return nil, true, false
	}
	rr.Events = len(h.GetEvents())
	rr.RunID = h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()
	fillTimes(rr, h)
	return []*loadedRun{{report: rr, history: h, ok: true}}, false, false
}

// fileSignature authenticates a single history file: through the signature of the manifest
// next to it that lists it, else not at all.
func fileSignature(u *unit, trusted []ed25519.PublicKey) SignatureCheck {
	if u.manifestDir == "" {
		return noManifest(u.file)
	}
	return VerifyManifest(u.manifestDir, u.manifestRaw, trusted)
}

func hashError(path, expected, actual string) string {
	return fmt.Sprintf("%s: SHA-256 mismatch: the manifest records %s but the file hashes to %s: the history was tampered with or corrupted after export", path, expected, actual)
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
