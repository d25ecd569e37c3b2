package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

// Coordinator actions: each sends one Update and prints the status it returns.

func cmdComplete(args []string, out io.Writer) error {
	c := newCommon("complete")
	at := c.fs.String("at", "", "when it was done (RFC 3339; default now)")
	note := c.fs.String("note", "", "a note for the record")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	t, err := parseTime("at", *at)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Complete, workflows.CompleteInput{Obligation: pos[1], By: c.by, At: t, Note: *note})
}

func cmdWaive(args []string, out io.Writer) error {
	c := newCommon("waive")
	reason := c.fs.String("reason", "", "why the obligation is not owed (required)")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Waive, workflows.WaiveInput{Obligation: pos[1], By: c.by, Reason: *reason})
}

func cmdFact(args []string, out io.Writer) error {
	c := newCommon("fact")
	det := c.fs.Bool("determination", false, "record a determination (e.g. major_incident=yes) instead of a fact")
	at := c.fs.String("at", "", "when it became known or was decided (RFC 3339; default now)")
	note := c.fs.String("note", "", "a note for the record (e.g. the source)")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	name, value, ok := strings.Cut(pos[1], "=")
	if !ok || name == "" {
		return fmt.Errorf("write the fact as NAME=VALUE, e.g. affected_count=184000")
	}
	t, err := parseTime("at", *at)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.RecordFact, workflows.RecordFactInput{
		Name: name, Value: value, Determination: *det, By: c.by, At: t, Note: *note,
	})
}

func cmdSend(args []string, out io.Writer) error {
	c := newCommon("send")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.SendNotice, workflows.SendNoticeInput{Obligation: pos[1], By: c.by})
}

func cmdApprove(args []string, out io.Writer) error {
	c := newCommon("approve")
	hash := c.fs.String("hash", "", "the content hash shown by `starter preview` (at least 12 characters)")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Approve, workflows.ApproveInput{Obligation: pos[1], By: c.by, ContentHash: *hash})
}

func cmdHold(args []string, out io.Writer) error {
	c := newCommon("hold")
	until := c.fs.String("until", "", "when the hold expires (RFC 3339, required)")
	requestedBy := c.fs.String("requested-by", "", "who asked for the delay (required)")
	authority := c.fs.String("authority", "", "under what authority (required)")
	note := c.fs.String("note", "", "a note for the record")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	t, err := parseTime("until", *until)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Hold, workflows.HoldInput{
		Obligation: pos[1], By: c.by, RequestedBy: *requestedBy, Authority: *authority, Until: t, Note: *note,
	})
}

func cmdRelease(args []string, out io.Writer) error {
	c := newCommon("release")
	note := c.fs.String("note", "", "a note for the record")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Release, workflows.ReleaseInput{Obligation: pos[1], By: c.by, Note: *note})
}

func cmdDiscovery(args []string, out io.Writer) error {
	c := newCommon("discovery")
	at := c.fs.String("at", "", "the corrected discovery time (RFC 3339, required)")
	reason := c.fs.String("reason", "", "why it is corrected (required)")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	t, err := parseTime("at", *at)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.CorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: t, By: c.by, Reason: *reason})
}

func cmdContacts(args []string, out io.Writer) error {
	c := newCommon("contacts")
	reason := c.fs.String("reason", "", "why the addresses change (required)")
	pos, err := c.parse(args, 3)
	if err != nil {
		return err
	}
	var contacts []playbook.Contact
	for _, e := range strings.Split(pos[2], ",") {
		if e = strings.TrimSpace(e); e != "" {
			contacts = append(contacts, playbook.Contact{Email: e})
		}
	}
	return runUpdate(c, out, pos[0], workflows.Updates.SetContacts, workflows.SetContactsInput{Role: pos[1], Contacts: contacts, By: c.by, Reason: *reason})
}

func cmdClose(args []string, out io.Writer) error {
	c := newCommon("close")
	force := c.fs.Bool("force", false, "close even with obligations open (needs --reason)")
	reason := c.fs.String("reason", "", "why the incident is force-closed")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Close, workflows.CloseInput{By: c.by, Force: *force, Reason: *reason})
}

// runUpdate sends a coordinator action and prints the resulting status.
func runUpdate[In any](c *common, out io.Writer, id string, u workflows.UpdateDef[In], in In) error {
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	st, err := doUpdate(context.Background(), tc, id, u, in)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, st)
	}
	printStatus(out, st, time.Now())
	return nil
}

// doUpdate sends one Update and waits for the status it returns. The Update and its input are
// paired by workflows.Updates, so the compiler refuses an input of the wrong type.
func doUpdate[In any](ctx context.Context, tc client.Client, id string, u workflows.UpdateDef[In], in In) (workflows.Status, error) {
	var st workflows.Status
	if err := engine.SendUpdate(ctx, tc, workflows.IncidentWorkflowID(id), u.Name, in, &st); err != nil {
		return st, fmt.Errorf("%s refused: %w", u.Name, explainClosed(ctx, tc, id, err))
	}
	return st, nil
}

// explainClosed turns the server's "workflow execution already completed" into what a
// coordinator needs: who closed the incident, when, and how. Other errors pass unchanged.
func explainClosed(ctx context.Context, tc client.Client, id string, err error) error {
	d, derr := tc.DescribeWorkflowExecution(ctx, workflows.IncidentWorkflowID(id), "")
	if derr != nil || d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return err
	}
	var res workflows.IncidentResult
	if gerr := tc.GetWorkflow(ctx, workflows.IncidentWorkflowID(id), "").Get(ctx, &res); gerr != nil || res.ClosedBy == "" {
		return fmt.Errorf("the incident's workflow has ended (%s): no further actions are accepted", strings.ToLower(strings.TrimPrefix(d.GetWorkflowExecutionInfo().GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")))
	}
	how := ""
	if res.Forced {
		how = " (forced)"
	}
	return fmt.Errorf("the incident was closed by %s at %s%s: no further actions are accepted; open a new incident for new work",
		res.ClosedBy, workflows.FormatInstant(res.ClosedAt, res.Final.Location()), how)
}
