package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/codec"
	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/icalexport"
	"github.com/breachflow/breachflow/workflows"
)

// Commands that read an incident: its status, the list of incidents, a notice's preview and
// the deadlines as a calendar.

func cmdStatus(args []string, out io.Writer) error {
	c := newCommon("status")
	withRules := c.fs.Bool("rules", false, "also print the rule behind each obligation: citation, source and the rule's own words")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx := context.Background()
	st, err := queryStatus(ctx, tc, pos[0])
	if err != nil {
		return err
	}
	var rules []workflows.Rule
	var rulesErr error
	if *withRules {
		v, err := tc.QueryWorkflow(ctx, workflows.IncidentWorkflowID(pos[0]), "", workflows.QueryRules)
		if err == nil {
			err = v.Get(&rules)
		}
		if err != nil {
			// The status is still worth printing; the rules are said to be missing, and why.
			rulesErr = fmt.Errorf("the rules of %s are not available (a worker older than --rules does not answer the rules query): %w", pos[0], err)
		}
	}
	switch {
	case c.asJSON && *withRules && rulesErr == nil:
		return printJSON(out, struct {
			workflows.Status
			Rules []workflows.Rule `json:"rules"`
		}{st, rules})
	case c.asJSON:
		if err := printJSON(out, st); err != nil {
			return err
		}
		return rulesErr
	}
	printStatus(out, st, time.Now())
	if *withRules && rulesErr == nil {
		printRules(out, rules)
	}
	return rulesErr
}

func queryStatus(ctx context.Context, tc client.Client, id string) (workflows.Status, error) {
	var st workflows.Status
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return st, err
	}
	v, err := tc.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryStatus)
	if err != nil {
		return st, fmt.Errorf("querying %s: %w", id, err)
	}
	return st, v.Get(&st)
}

func cmdList(args []string, out io.Writer) error {
	c := newCommon("list")
	all := c.fs.Bool("all", false, "include closed incidents")
	overdue := c.fs.Bool("overdue", false, "only incidents with overdue obligations")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	query := "WorkflowType = 'IncidentWorkflow'"
	if !*all {
		query += fmt.Sprintf(" AND %s = '%s'", workflows.SearchIncidentStatus.GetName(), workflows.IncidentOpen)
	}
	if *overdue {
		query += fmt.Sprintf(" AND %s > 0", workflows.SearchOverdueCount.GetName())
	}
	keys, err := config.Keys()
	if err != nil {
		return err
	}
	rows, err := engine.ListIncidents(context.Background(), tc, codec.DataConverter(keys), query, 0)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, rows)
	}
	printList(out, rows, time.Now())
	return nil
}

func cmdPreview(args []string, out io.Writer) error {
	c := newCommon("preview")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	p, err := queryPreview(context.Background(), tc, pos[0], pos[1])
	if err != nil {
		return err
	}
	r := p.Rendered
	source := "the exact content awaiting approval"
	if r == nil {
		// Not requested yet (or already sent): render it here, as the worker would.
		set, err := engine.Templates(config.TemplatesDir())
		if err != nil {
			return err
		}
		rr, err := set.Render(p.Template, *p.Data)
		if err != nil {
			return err
		}
		r, source = &rr, "rendered now from the incident's current facts; not yet requested"
		if p.State == workflows.NoticeSent {
			source = "re-rendered; the content sent is in the incident's history"
		}
	}
	if c.asJSON {
		return printJSON(out, map[string]any{"preview": p, "rendered": r})
	}
	fmt.Fprintf(out, "Notice of %s (%s)\n", p.Obligation, source)
	fmt.Fprintf(out, "To:       %s\n", strings.Join(p.To, ", "))
	if len(p.Cc) > 0 {
		fmt.Fprintf(out, "Cc:       %s\n", strings.Join(p.Cc, ", "))
	}
	fmt.Fprintf(out, "Subject:  %s\nContent:  %s\n", r.Subject, r.ContentHash)
	if p.ApprovalsNeeded > 0 {
		var who []string
		for _, a := range p.Approvals {
			who = append(who, a.By+" ("+a.Proof.Mark()+")")
		}
		fmt.Fprintf(out, "Approvals: %d of %d needed", len(p.Approvals), p.ApprovalsNeeded)
		if len(who) > 0 {
			fmt.Fprintf(out, " (%s)", strings.Join(who, ", "))
		}
		fmt.Fprintf(out, "; requested by %s (%s)\n", p.RequestedBy, p.RequestedProof.Mark())
	}
	fmt.Fprintf(out, "\n%s", r.Text)
	return nil
}

func queryPreview(ctx context.Context, tc client.Client, id, obligation string) (workflows.Preview, error) {
	var p workflows.Preview
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return p, err
	}
	v, err := tc.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryPreview, obligation)
	if err != nil {
		return p, fmt.Errorf("previewing %s of %s: %w", obligation, id, err)
	}
	return p, v.Get(&p)
}

func cmdCalendar(args []string, out io.Writer) error {
	c := newCommon("calendar")
	file := c.fs.String("out", "", "file to write (default INC-….ics)")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	st, err := c.status(pos[0])
	if err != nil {
		return err
	}
	if *file == "" {
		*file = st.IncidentID + ".ics"
	}
	if err := os.WriteFile(*file, []byte(icalexport.Build(st, time.Now())), 0o600); err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, map[string]string{"file": *file})
	}
	fmt.Fprintf(out, "wrote %s: import it into your calendar; re-import after deadlines move\n", *file)
	return nil
}

// status dials Temporal and asks one incident for its status.
func (c *common) status(id string) (workflows.Status, error) {
	tc, err := c.dial()
	if err != nil {
		return workflows.Status{}, err
	}
	defer tc.Close()
	return queryStatus(context.Background(), tc, id)
}
