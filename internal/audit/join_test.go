package audit

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/breachflow/breachflow/workflows"
)

// typedRecord was recorded by internal/e2e TestRecordHistory/typed-record: its record carries
// Update IDs and notice keys, and holds every kind of coordinator action and a failing delivery.
const typedRecord = "../../workflows/testdata/incident-typed-record.json"

// replayedRecord replays a committed history and returns its builder (history events added)
// and the record the replay rebuilt, which carries Update IDs and notice keys whatever build
// recorded the history.
func replayedRecord(t *testing.T, path string) (*builder, []workflows.LogEntry) {
	t.Helper()
	h := loadHistory(t, path)
	res := replay(h, "wf", "", &Options{})
	require.NoError(t, res.err)
	require.True(t, res.hasLog)
	b := newBuilder(converter.GetDefaultDataConverter())
	b.addRun(1, h, true)
	return b, res.log
}

// TestExactJoins: every record line an Update wrote joins that Update's entry by its ID, and
// every delivery line joins its notice's entry by key; only the opening lines use the fallback.
func TestExactJoins(t *testing.T) {
	for _, path := range []string{committed, typedRecord} {
		t.Run(path, func(t *testing.T) {
			b, log := replayedRecord(t, path)
			withUpdate, fallbackable := 0, 0
			for _, l := range log {
				if l.UpdateID != "" {
					withUpdate++
				}
				if l.UpdateID == "" && l.NoticeKey == "" && (l.Action == workflows.ActionOpened || l.Action == workflows.ActionFact) {
					fallbackable++
				}
			}
			require.NotZero(t, withUpdate, "the replayed record carries Update IDs")
			b.mergeRecord(log)
			require.NotZero(t, b.joined.byUpdate)
			require.NotZero(t, b.joined.byNotice, "sent notices join by key")
			require.Equal(t, fallbackable, b.joined.fallback, "only the opening lines join by the fallback")
			for _, m := range b.byUpdate {
				require.True(t, m.used, "the entry of update %s (%s) is confirmed by the record", m.updateID, m.entry.Action)
			}
			for key, ms := range b.byNotice {
				for _, m := range ms {
					require.True(t, m.used, "the %s entry of notice %s is confirmed by the record", m.entry.Action, key)
				}
			}
		})
	}
}

// TestExactJoinIgnoresLookalikes: a line that carries an Update ID joins only that Update's
// entry, however much it looks like another's; a line with an unknown Update ID joins nothing.
func TestExactJoinIgnoresLookalikes(t *testing.T) {
	b, log := replayedRecord(t, committed)
	var waived workflows.LogEntry
	for _, l := range log {
		if l.Action == workflows.ActionWaived {
			waived = l
		}
	}
	require.NotEmpty(t, waived.UpdateID)
	forged := waived
	forged.UpdateID = "not-an-update-of-this-history"
	forged.At = forged.At.Add(time.Minute)
	b.mergeRecord([]workflows.LogEntry{forged, waived})
	require.Equal(t, 1, b.joined.byUpdate)
	var own []Entry
	for _, e := range b.timeline() {
		if e.Action == string(workflows.ActionWaived) && e.Source == sourceRecord {
			own = append(own, e)
		}
	}
	require.Len(t, own, 1, "the line with a foreign Update ID stands on its own, not on the waiver's entry")
	require.Equal(t, forged.At.UTC(), own[0].At)
}

func loadHistory(t *testing.T, path string) *historypb.History {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	return h
}
