package workflows

// UpdateDef pairs an Update's name with its input type, once: callers that go through it (the
// starter, the demo, the simulator, the audit's decoder) cannot send one Update the input of
// another.
type UpdateDef[In any] struct {
	// Name is the Update's registered name, one of the Update* constants.
	Name string
}

// NewInput returns a pointer to a zero input, for decoding.
func (UpdateDef[In]) NewInput() any { return new(In) }

// Updates lists every coordinator action with its input type.
var Updates = struct {
	Complete         UpdateDef[CompleteInput]
	Waive            UpdateDef[WaiveInput]
	RecordFact       UpdateDef[RecordFactInput]
	SendNotice       UpdateDef[SendNoticeInput]
	Approve          UpdateDef[ApproveInput]
	Close            UpdateDef[CloseInput]
	SetContacts      UpdateDef[SetContactsInput]
	Hold             UpdateDef[HoldInput]
	Release          UpdateDef[ReleaseInput]
	CorrectDiscovery UpdateDef[CorrectDiscoveryInput]
	Decide           UpdateDef[DecideInput]
}{
	Complete:         UpdateDef[CompleteInput]{UpdateComplete},
	Waive:            UpdateDef[WaiveInput]{UpdateWaive},
	RecordFact:       UpdateDef[RecordFactInput]{UpdateRecordFact},
	SendNotice:       UpdateDef[SendNoticeInput]{UpdateSendNotice},
	Approve:          UpdateDef[ApproveInput]{UpdateApprove},
	Close:            UpdateDef[CloseInput]{UpdateClose},
	SetContacts:      UpdateDef[SetContactsInput]{UpdateSetContacts},
	Hold:             UpdateDef[HoldInput]{UpdateHold},
	Release:          UpdateDef[ReleaseInput]{UpdateRelease},
	CorrectDiscovery: UpdateDef[CorrectDiscoveryInput]{UpdateCorrectDiscovery},
	Decide:           UpdateDef[DecideInput]{UpdateDecide},
}

// NewUpdateInput returns a pointer to a zero input of the named Update, or nil for a name this
// build does not know (an audit of a history from another build).
func NewUpdateInput(name string) any {
	u := Updates
	for _, d := range []interface {
		newInput(name string) (any, bool)
	}{u.Complete, u.Waive, u.RecordFact, u.SendNotice, u.Approve, u.Close, u.SetContacts, u.Hold, u.Release, u.CorrectDiscovery, u.Decide} {
		if v, ok := d.newInput(name); ok {
			return v
		}
	}
	return nil
}

func (d UpdateDef[In]) newInput(name string) (any, bool) {
	if d.Name != name {
		return nil, false
	}
	return new(In), true
}
