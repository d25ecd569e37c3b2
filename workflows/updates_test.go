package workflows

import (
	"reflect"
	"testing"
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
