package audit

import (
	"context"
	"fmt"
	"strings"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/chart"
	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/workflows"
)

// auditUnit audits one incident. skipped is true for a JSON file that is not a history.
func (a *auditor) auditUnit(u *unit) (ir *IncidentReport, skipped bool) {
	ir = &IncidentReport{Source: u.source, IncidentID: u.incidentID, Notes: u.notes}
	var runs []*loadedRun
	switch {
	case u.live != nil:
		runs = loadLive(u)
	case u.dir != "":
		var ok bool
		if runs, ok = a.loadExport(u, ir); !ok {
			return ir, false
		}
	default:
		var done bool
		if runs, done, skipped = a.loadFile(u, ir); skipped {
			return nil, true
		}
		a.checkSignature(ir, fileSignature(u, a.opts.VerifyKeys))
		if done {
			return ir, false
		}
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
	records := make([]runRecord, len(runs))
	for i, r := range runs {
		if !r.ok {
			hashFailed = true
			continue
		}
		res := replay(r.history, workflows.IncidentWorkflowID(ir.IncidentID), r.report.RunID, a.opts)
		if res.err == nil && res.hasLog {
			records[i] = runRecord{lines: res.log, ok: true}
			if in, err := decodeStart(dc, r.history); err == nil && in.Carried != nil {
				records[i].offset = in.Carried.LogOffset
			}
		}
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
	a.buildTimeline(ir, u, runs, lastReplay, records)
	return ir, false
}

// runRecord is one run's record as its replay rebuilt it: the lines from offset on (a run that
// continues an earlier one carries only the latest lines of the record).
type runRecord struct {
	offset int
	lines  []workflows.LogEntry
	ok     bool
}

// stitch joins the records of runs into the incident's record; it notes a run whose record is
// missing or leaves a gap.
func stitch(records []runRecord, ir *IncidentReport) []workflows.LogEntry {
	var all []workflows.LogEntry
	for i, r := range records {
		if !r.ok {
			ir.Notes = append(ir.Notes, fmt.Sprintf("run %d's record could not be rebuilt (its replay failed or was skipped): lines it alone holds are missing from the timeline", i+1))
			continue
		}
		var err error
		if all, err = workflows.StitchRecord(all, r.offset, r.lines); err != nil {
			ir.Notes = append(ir.Notes, fmt.Sprintf("run %d: %v", i+1, err))
		}
	}
	return all
}

// buildTimeline builds the timeline and the obligations from the histories, the final status
// and the workflow's record.
func (a *auditor) buildTimeline(ir *IncidentReport, u *unit, runs []*loadedRun, lastReplay *replayed, records []runRecord) {
	b := newBuilder(a.opts.dataConverter())
	b.consoleKeys = a.opts.ConsoleKeys
	for i, r := range runs {
		b.addRun(i+1, r.history, i == len(runs)-1)
	}
	ir.Notes = append(ir.Notes, b.notes...)
	ir.Problems = append(ir.Problems, b.problems...)
	switch {
	case b.start != nil:
		ir.Title, ir.PlaybookName, ir.PlaybookVersion, ir.DiscoveredAt = b.start.Title, b.start.Playbook.Name, b.start.Playbook.Version, b.start.DiscoveredAt
	case b.carried != nil:
		ir.Title, ir.PlaybookName, ir.PlaybookVersion, ir.DiscoveredAt = b.carried.Title, b.carried.Playbook.Name, b.carried.Playbook.Version, b.carried.DiscoveredAt
		ir.Notes = append(ir.Notes, "the first run is missing: the histories start with a run that continues an earlier one")
	}

	var status *workflows.Status
	var record []workflows.LogEntry
	var err error
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
		if off := b.result.LogOffset; off > 0 {
			// The last run carried only the latest lines: the earlier ones come from the replays.
			if record, err = workflows.StitchRecord(stitch(records[:len(records)-1], ir), off, record); err != nil {
				ir.Notes = append(ir.Notes, err.Error())
			}
		}
	case u.client != nil && a.queryInto(u.client, ir, &status, &record):
		haveRecord = true
		if off := status.LogOffset; off > 0 && len(records) > 0 {
			if record, err = workflows.StitchRecord(stitch(records[:len(records)-1], ir), off, record); err != nil {
				ir.Notes = append(ir.Notes, err.Error())
			}
		}
	case lastReplay != nil && lastReplay.err == nil && lastReplay.status != nil && lastReplay.hasLog:
		ir.StatusFrom = FromReplay
		status, record, haveRecord = lastReplay.status, stitch(records, ir), true
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
		switch {
		case b.start != nil:
			addRules(ir.Obligations, &b.start.Playbook)
		case b.carried != nil:
			addRules(ir.Obligations, &b.carried.Playbook)
		}
		// The picture: the same status and record the tables come from (the record is nil when
		// it was not available, and the chart then shows the status alone).
		var rec []workflows.LogEntry
		if haveRecord {
			rec = record
		}
		tl := chart.FromStatus(*status, rec)
		ir.chart = &tl
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
	// The record a run holds can be long: read it a bounded page at a time.
	var log []workflows.LogEntry
	for from := st.LogOffset; ; {
		v, err = c.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryLogPage, workflows.LogPageRequest{From: from})
		if err != nil {
			return nil, nil, err
		}
		var page workflows.LogPage
		if err := v.Get(&page); err != nil {
			return nil, nil, err
		}
		log = append(log, page.Entries...)
		from = page.From + len(page.Entries)
		if len(page.Entries) == 0 || from >= page.Total {
			return &st, log, nil
		}
	}
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

// encrypted reports whether a history's start input is an encrypted payload.
func encrypted(h *historypb.History) bool {
	for _, p := range h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads() {
		if string(p.GetMetadata()["encoding"]) == codec.MetadataEncodingEncrypted {
			return true
		}
	}
	return false
}
