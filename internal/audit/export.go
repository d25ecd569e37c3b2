package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/workflows"
)

// ExportOptions tune ExportWithOptions.
type ExportOptions struct {
	// DataConverter decodes the first run's input for the manifest (playbook name and version);
	// nil means converter.GetDefaultDataConverter(). The history files are written as stored,
	// whatever the converter.
	DataConverter converter.DataConverter
	// Now is the clock for exported_at; nil means time.Now.
	Now func() time.Time
	// SigningKey, when set, signs the manifest: manifest.sig holds an Ed25519 signature over
	// manifest.json's bytes. Without it the export is unsigned, and an audit fails it unless
	// told to accept unsigned exports.
	SigningKey ed25519.PrivateKey
}

// Export writes the full event history of an incident — every run, following continue-as-new —
// into outDir/<incidentID>/: one file per run in the JSON format of `temporal workflow show
// --output json`, which client.HistoryFromJSON and the SDK's replayer read, and manifest.json
// with the SHA-256 of each file. The export is unsigned: see ExportWithOptions and
// ExportOptions.SigningKey. The folder must not exist yet or be empty: an export is never
// overwritten in place.
func Export(ctx context.Context, c client.Client, incidentID, outDir string) (*Manifest, error) {
	return ExportWithOptions(ctx, c, incidentID, outDir, ExportOptions{})
}

// ExportWithOptions is Export with options.
func ExportWithOptions(ctx context.Context, c client.Client, incidentID, outDir string, opts ExportOptions) (*Manifest, error) {
	if _, err := workflows.IncidentIDFromWorkflowID(incidentID); err != nil {
		return nil, err
	}
	dc := opts.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	dir := filepath.Join(outDir, incidentID)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s already exists and is not empty: an export is never overwritten; choose another --out folder or move the old export away", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	wid := workflows.IncidentWorkflowID(incidentID)
	runs, notes, err := fetchRuns(ctx, c, wid)
	if err != nil {
		return nil, err
	}
	m := &Manifest{
		Format:     ManifestFormat,
		IncidentID: incidentID,
		WorkflowID: wid,
		Build:      CurrentBuild(),
		Notes:      notes,
	}
	if in, err := decodeStart(dc, runs[0].History); err != nil {
		m.Notes = append(m.Notes, fmt.Sprintf("the first run's input could not be decoded (%v): playbook name and version are unknown; does the export need the payload codec?", err))
	} else {
		m.Title, m.PlaybookName, m.PlaybookVersion = in.Title, in.Playbook.Name, in.Playbook.Version
		if in.Carried != nil {
			m.Title, m.PlaybookName, m.PlaybookVersion = in.Carried.Title, in.Carried.Playbook.Name, in.Carried.Playbook.Version
			m.Notes = append(m.Notes, "the oldest run still stored continues an earlier one (the earlier runs are past the namespace's retention?)")
		}
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for i, r := range runs {
		data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(r.History)
		if err != nil {
			return nil, fmt.Errorf("encoding the history of run %s: %w", r.RunID, err)
		}
		name := fmt.Sprintf("run-%03d-%s.json", i+1, r.RunID)
		if err := checkFileName(name); err != nil {
			return nil, fmt.Errorf("run ID %q: %w", r.RunID, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return nil, err
		}
		events := r.History.GetEvents()
		rf := RunFile{
			RunID:          r.RunID,
			File:           name,
			Events:         len(events),
			SHA256:         sha256Hex(data),
			FirstEventTime: events[0].GetEventTime().AsTime().UTC(),
			LastEventTime:  events[len(events)-1].GetEventTime().AsTime().UTC(),
			LastEvent:      eventTypeName(events[len(events)-1].GetEventType()),
		}
		m.Runs = append(m.Runs, rf)
		m.TotalEvents += rf.Events
	}
	for _, r := range runs {
		m.EncryptionKeyIDs = appendKeyIDs(m.EncryptionKeyIDs, r.History)
	}
	m.FirstEventTime = m.Runs[0].FirstEventTime
	m.LastEventTime = m.Runs[len(m.Runs)-1].LastEventTime
	m.ExportedAt = now().UTC()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	data = append(data, '\n')
	if err := writeFileAtomic(filepath.Join(dir, ManifestFile), data); err != nil {
		return nil, err
	}
	if opts.SigningKey != nil {
		sig, err := SignManifest(opts.SigningKey, data)
		if err != nil {
			return nil, fmt.Errorf("signing %s: %w", ManifestFile, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, SignatureFile), sig); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// fetchedRun is one run of an incident as read from the server.
type fetchedRun struct {
	RunID   string
	History *historypb.History
}

// maxRuns bounds a continue-as-new chain, against a cycle in corrupt data.
const maxRuns = 100000

// fetchRuns reads every run of a workflow, oldest first: from the first run of its
// continue-as-new chain, each run's WorkflowExecutionContinuedAsNew event names its successor.
// A current run off that chain (after a reset) is added with the runs that lead to it, and noted.
func fetchRuns(ctx context.Context, c client.Client, wid string) ([]fetchedRun, []string, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, wid, "")
	if err != nil {
		return nil, nil, fmt.Errorf("reading incident %s from Temporal: %w", wid, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	current := info.GetExecution().GetRunId()
	first := info.GetFirstRunId()
	cache := map[string]*historypb.History{}
	get := func(runID string) (*historypb.History, error) {
		if h, ok := cache[runID]; ok {
			return h, nil
		}
		h, err := readHistory(ctx, c, wid, runID)
		if err != nil {
			return nil, err
		}
		cache[runID] = h
		return h, nil
	}
	// back walks from a run to the start of its chain (or to a run already seen) and returns the
	// runs in forward order.
	back := func(runID string, stop map[string]bool) ([]string, error) {
		var chain []string
		for runID != "" && !stop[runID] && len(chain) < maxRuns {
			h, err := get(runID)
			if err != nil {
				return nil, err
			}
			chain = append([]string{runID}, chain...)
			runID = h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		}
		return chain, nil
	}
	if first == "" {
		h, err := get(current)
		if err != nil {
			return nil, nil, err
		}
		first = h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetFirstExecutionRunId()
		if first == "" {
			chain, err := back(current, nil)
			if err != nil {
				return nil, nil, err
			}
			first = chain[0]
		}
	}

	var runs []fetchedRun
	var notes []string
	seen := map[string]bool{}
	for runID := first; runID != "" && !seen[runID] && len(runs) < maxRuns; {
		h, err := get(runID)
		if err != nil {
			if len(runs) == 0 {
				return nil, nil, fmt.Errorf("reading the first run %s of %s: %w (is it past the namespace's retention?)", runID, wid, err)
			}
			return nil, nil, err
		}
		seen[runID] = true
		runs = append(runs, fetchedRun{RunID: runID, History: h})
		events := h.GetEvents()
		runID = events[len(events)-1].GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	}
	if current != "" && !seen[current] {
		chain, err := back(current, seen)
		if err != nil {
			return nil, nil, err
		}
		notes = append(notes, fmt.Sprintf("the current run %s is not on the continue-as-new chain from the first run %s (was the workflow reset?): the %d run(s) leading to it are exported after the chain", current, first, len(chain)))
		for _, id := range chain {
			runs = append(runs, fetchedRun{RunID: id, History: cache[id]})
		}
	}
	return runs, notes, nil
}

// readHistory reads all events of one run.
func readHistory(ctx context.Context, c client.Client, wid, runID string) (*historypb.History, error) {
	h := &historypb.History{}
	iter := c.GetWorkflowHistory(ctx, wid, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return nil, fmt.Errorf("reading the history of %s run %s: %w", wid, runID, err)
		}
		h.Events = append(h.Events, e)
	}
	if len(h.Events) == 0 || h.Events[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
		return nil, fmt.Errorf("the history of %s run %s does not start with WorkflowExecutionStarted", wid, runID)
	}
	return h, nil
}

// decodeStart decodes a run's StartIncidentInput.
func decodeStart(dc converter.DataConverter, h *historypb.History) (workflows.StartIncidentInput, error) {
	var in workflows.StartIncidentInput
	events := h.GetEvents()
	if len(events) == 0 {
		return in, errors.New("empty history")
	}
	attrs := events[0].GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return in, errors.New("the first event is not WorkflowExecutionStarted")
	}
	if err := dc.FromPayloads(attrs.GetInput(), &in); err != nil {
		return in, err
	}
	return in, nil
}

// writeFileAtomic writes a file readable by its owner only (histories hold incident data), via a
// temporary file renamed into place, so a crash never leaves a half-written file under the name.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o600)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// eventTypeName names an event type as Temporal's tools do, e.g. WorkflowExecutionCompleted.
func eventTypeName(t enumspb.EventType) string {
	return t.String()
}

// appendKeyIDs adds the IDs of the keys that encrypted a history's payloads.
func appendKeyIDs(ids []string, h *historypb.History) []string {
	_ = proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				if string(p.GetMetadata()["encoding"]) != codec.MetadataEncodingEncrypted {
					continue
				}
				if id := string(p.GetMetadata()[codec.MetadataEncryptionKeyID]); id != "" && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			return ps, nil
		},
		WellKnownAnyVisitor: func(*proxy.VisitPayloadsContext, *anypb.Any) error { return nil },
	})
	sort.Strings(ids)
	return ids
}
