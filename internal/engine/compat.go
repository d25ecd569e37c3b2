package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/workflows"
)

// DefaultCompatLimit is how many of the most recently started open workflows of each type
// CheckCompatible reads when CompatOptions.Limit is zero.
const DefaultCompatLimit = 50

// compatReaders is how many histories CheckCompatible reads at once.
const compatReaders = 4

// The SDK's version marker (go.temporal.io/sdk/internal: versionMarkerName,
// versionMarkerChangeIDName, versionMarkerDataName): workflow.GetVersion records a marker named
// "Version" whose details hold the change ID and the version, each encoded by the data converter.
const (
	versionMarkerName     = "Version"
	versionMarkerChangeID = "change-id"
	versionMarkerVersion  = "version"
)

// CompatOptions tune CheckCompatible.
type CompatOptions struct {
	// Namespace is the namespace the workflows run in.
	Namespace string
	// DataConverter decodes the markers' details: the worker's converter (codec.DataConverter of
	// its keys), since with encryption on the change IDs are encrypted too. Nil: the SDK default.
	DataConverter converter.DataConverter
	// Limit is how many of the most recently started open workflows of each type are read
	// (DefaultCompatLimit when zero).
	Limit int
	// Known is the change registry of this build (workflows.KnownChanges when nil).
	Known map[string]workflow.Version
}

// IncompatibleChange is a change a running workflow went through that this build does not
// know, or knows only at a lower version.
type IncompatibleChange struct {
	// WorkflowID is the first workflow found with the change (an incident ID for incidents).
	WorkflowID string
	ChangeID   string
	Version    workflow.Version
	// Known is the highest version this build knows (-1, workflow.DefaultVersion, when none).
	Known workflow.Version
}

func (c IncompatibleChange) Error() string {
	knows := "does not know change " + c.ChangeID
	if c.Known != workflow.DefaultVersion {
		knows = fmt.Sprintf("knows change %s only up to version %d", c.ChangeID, c.Known)
	}
	return fmt.Sprintf("this worker's build is older than the one that ran %s: it %s, which %s went through at version %d; "+
		"its workflow tasks would fail here and the workflow would be stuck: deploy the build that knows change %s (version %d) or newer",
		c.WorkflowID, knows, c.WorkflowID, c.Version, c.ChangeID, c.Version)
}

// CheckCompatible reads the version markers (workflow.GetVersion) in the histories of the most
// recently started open incidents and digests and returns an error (joining one
// IncompatibleChange per change) when one of them went through a change this build does not know
// or at a higher version than it knows: a worker of this build would take their workflow tasks,
// fail them with a nondeterminism error and leave them stuck, so it must not start. It returns
// how many workflows it read.
func CheckCompatible(ctx context.Context, c client.Client, opts CompatOptions) (int, error) {
	if opts.Limit < 0 {
		return 0, fmt.Errorf("compatibility check: limit %d is negative: give a positive number of workflows to read (or 0 for %d)", opts.Limit, DefaultCompatLimit)
	}
	if opts.Limit == 0 {
		opts.Limit = DefaultCompatLimit
	}
	if opts.DataConverter == nil {
		opts.DataConverter = converter.GetDefaultDataConverter()
	}
	if opts.Known == nil {
		opts.Known = workflows.KnownChanges
	}
	checked := 0
	found := map[string]IncompatibleChange{}
	for _, typ := range []string{workflows.WorkflowType, digestWorkflowType} {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: opts.Namespace,
			PageSize:  int32(opts.Limit),
			Query:     fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", typ),
		})
		if err != nil {
			return checked, fmt.Errorf("compatibility check: listing open %s workflows: %w", typ, err)
		}
		execs := resp.GetExecutions()
		if len(execs) > opts.Limit {
			execs = execs[:opts.Limit]
		}
		// Histories are read a few at a time (compatReaders), their results taken in list order.
		type read struct {
			markers map[string]workflow.Version
			err     error
		}
		reads := make([]read, len(execs))
		sem := make(chan struct{}, compatReaders)
		var wg sync.WaitGroup
		for i, e := range execs {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				m, err := versionMarkers(ctx, c, opts.DataConverter, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId())
				reads[i] = read{m, err}
			})
		}
		wg.Wait()
		for i, e := range execs {
			id := e.GetExecution().GetWorkflowId()
			if err := reads[i].err; err != nil {
				return checked, fmt.Errorf("compatibility check: reading the history of %s: %w", id, err)
			}
			checked++
			for changeID, v := range reads[i].markers {
				known, ok := opts.Known[changeID]
				if !ok {
					known = workflow.DefaultVersion
				}
				if ok && v <= known {
					continue
				}
				key := fmt.Sprintf("%s@%d", changeID, v)
				if _, seen := found[key]; !seen {
					found[key] = IncompatibleChange{WorkflowID: id, ChangeID: changeID, Version: v, Known: known}
				}
			}
		}
	}
	if len(found) == 0 {
		return checked, nil
	}
	keys := slices.Sorted(maps.Keys(found))
	errs := make([]error, 0, len(keys))
	for _, k := range keys {
		errs = append(errs, found[k])
	}
	return checked, errors.Join(errs...)
}

// digestWorkflowType is the name DigestWorkflow is registered under (its function name).
const digestWorkflowType = "DigestWorkflow"

// versionMarkers returns the change IDs and versions of a run's version markers.
func versionMarkers(ctx context.Context, c client.Client, dc converter.DataConverter, id, run string) (map[string]workflow.Version, error) {
	out := map[string]workflow.Version{}
	it := c.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, err
		}
		if ev.GetEventType() != enumspb.EVENT_TYPE_MARKER_RECORDED {
			continue
		}
		attrs := ev.GetMarkerRecordedEventAttributes()
		if attrs.GetMarkerName() != versionMarkerName {
			continue
		}
		var changeID string
		var v workflow.Version
		idPayloads, vPayloads := attrs.GetDetails()[versionMarkerChangeID], attrs.GetDetails()[versionMarkerVersion]
		if err := dc.FromPayloads(idPayloads, &changeID); err != nil {
			return nil, fmt.Errorf("decoding version marker (event %d): %w%s", ev.GetEventId(), err, keyHint(idPayloads))
		}
		if err := dc.FromPayloads(vPayloads, &v); err != nil {
			return nil, fmt.Errorf("decoding version marker %q (event %d): %w%s", changeID, ev.GetEventId(), err, keyHint(vPayloads))
		}
		if prev, ok := out[changeID]; !ok || v > prev {
			out[changeID] = v
		}
	}
	return out, nil
}

// keyHint adds the likely fix when a marker could not be decoded because it is encrypted.
func keyHint(p *commonpb.Payloads) string {
	for _, x := range p.GetPayloads() {
		if string(x.GetMetadata()[converter.MetadataEncoding]) == codec.MetadataEncodingEncrypted {
			return fmt.Sprintf(" (the marker is encrypted: give this worker the payload keys the workers that ran it use, in %s)", codec.EnvKeys)
		}
	}
	return ""
}
