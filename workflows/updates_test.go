package workflows

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestNewUpdateInputPairsEveryUpdate(t *testing.T) {
	want := map[string]any{
		UpdateComplete: &CompleteInput{}, UpdateWaive: &WaiveInput{}, UpdateRecordFact: &RecordFactInput{},
		UpdateSendNotice: &SendNoticeInput{}, UpdateApprove: &ApproveInput{}, UpdateClose: &CloseInput{},
		UpdateSetContacts: &SetContactsInput{}, UpdateHold: &HoldInput{}, UpdateRelease: &ReleaseInput{},
		UpdateCorrectDiscovery: &CorrectDiscoveryInput{}, UpdateDecide: &DecideInput{},
	}
	for name, v := range want {
		if got := NewUpdateInput(name); reflect.TypeOf(got) != reflect.TypeOf(v) {
			t.Errorf("NewUpdateInput(%q) = %T, want %T", name, got, v)
		}
	}
	if got := NewUpdateInput("no-such-update"); got != nil {
		t.Errorf("unknown update gave %T, want nil", got)
	}
	// Every field of Updates is listed in NewUpdateInput.
	n := reflect.ValueOf(Updates).NumField()
	if n != len(want) {
		t.Errorf("Updates has %d fields, the test knows %d: add the new Update here", n, len(want))
	}
}

func TestNoticeKeyRoundTrip(t *testing.T) {
	cases := []struct {
		key        NoticeKey
		obligation string
		kind       string
	}{
		{OwnNoticeKey("congress-notice"), "congress-notice", "notice"},
		{RungNoticeKey("cisa-report", "reminder/1559300400/1"), "cisa-report", "reminder"},
		{RungNoticeKey("individual-notice", "cadence/1559300400/3"), "individual-notice", "reminder"},
		{RungNoticeKey("omb-report", "escalation/1559300400/2"), "omb-report", "escalation"},
		{RungNoticeKey("individual-notice", "hold/1559300400/1559900400"), "individual-notice", "hold-expiring"},
	}
	for _, c := range cases {
		o, _, err := ParseNoticeKey(c.key)
		if err != nil || o != c.obligation || c.key.Obligation() != c.obligation || c.key.Kind() != c.kind {
			t.Errorf("%s: obligation %q kind %q err %v; want %q %q", c.key, o, c.key.Kind(), err, c.obligation, c.kind)
		}
	}
	for _, bad := range []NoticeKey{"", "no-slash", "/notice", "obl/"} {
		if _, _, err := ParseNoticeKey(bad); err == nil {
			t.Errorf("ParseNoticeKey(%q) accepted a malformed key", bad)
		}
	}
}

func TestStitchRecordLinesUpOnContent(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	line := func(i int) LogEntry {
		return LogEntry{At: at.Add(time.Duration(i) * time.Minute), Actor: "engine", Action: ActionReminder, Detail: fmt.Sprint(i)}
	}
	var run1, run2 []LogEntry
	for i := range 10 {
		run1 = append(run1, line(i))
	}
	for i := 6; i < 14; i++ {
		run2 = append(run2, line(i))
	}
	// The offset says 6, and line 6 is there: a plain join.
	all, err := StitchRecord(run1, 6, run2)
	if err != nil || len(all) != 14 || !sameLine(all[13], line(13)) {
		t.Fatalf("join at the offset: %v, %d lines", err, len(all))
	}
	// The run before was rebuilt by a build that wrote two lines fewer: the offset (6, counted by
	// the writing build) is wrong, the content lines up at 4.
	rebuilt := append(append([]LogEntry{}, run1[:2]...), run1[4:]...)
	all, err = StitchRecord(rebuilt, 6, run2)
	if err != nil || len(all) != 12 || !sameLine(all[4], line(6)) {
		t.Fatalf("join on content: %v, %d lines", err, len(all))
	}
	// Nothing lines up: said, not hidden.
	if _, err := StitchRecord(run1, 6, []LogEntry{line(99)}); err == nil {
		t.Fatal("a run that does not line up passed silently")
	}
	if _, err := StitchRecord(run1, 12, run2); err == nil {
		t.Fatal("a gap passed silently")
	}
}
