package workflows

import "go.temporal.io/sdk/workflow"

// KnownChanges is every change ID this build's workflow code guards with workflow.GetVersion,
// with the highest version it knows. A history holding a version marker for a change missing
// here, or at a higher version, was written by a newer build: this build would fail its workflow
// tasks with a nondeterminism error and the incident would wait, stuck, for a build that knows
// it. engine.CheckCompatible compares open workflows' markers with this map so that a worker of
// an older build refuses to start instead. TestKnownChangesMatchGetVersionCalls keeps it
// complete: add a change here in the same commit as its GetVersion call.
var KnownChanges = map[string]workflow.Version{
	ChangeLocalRender:        1,
	ChangeStrictStart:        1,
	ChangeRecheckAfterRender: 1,
	ChangeCancelUnowedDrafts: 1,
	ChangeDateFactAnchor:     1,
	ChangeRedraftAgain:       1,
	ChangeSendHeartbeat:      1,
	ChangeEscalationDigest:   1,
	ChangeEndInOwnTask:       1,
}
