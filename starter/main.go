// Command starter is the incident coordinator's command line: it starts incidents, records
// decisions, approves notices, reports status, and runs a self-contained demo.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/icalexport"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/workflows"
)

const usage = `usage: starter COMMAND [flags] [args]

Coordinator commands (connect to TEMPORAL_ADDRESS, default localhost:7233):
  start FILE                       start an incident from an incident file; prints its ID
  status INC                       obligations, deadlines, time left, notices
  list [--all|--overdue]           open incidents (a visibility query)
  complete INC OBLIGATION          mark an obligation done   [--at TIME] [--note TEXT]
  waive INC OBLIGATION --reason R  waive an obligation with a reason
  fact INC NAME=VALUE              record a fact             [--at TIME] [--note TEXT]
  fact INC NAME=yes --determination   record a determination (e.g. major_incident)
  send INC OBLIGATION              request (and, without required approvals, send) an obligation's notice
  preview INC OBLIGATION           the notice as it will be sent: recipients, subject, content hash, text
  approve INC OBLIGATION --hash H  approve the previewed content (the playbook says how many approvals)
  hold INC OBLIGATION --until T --requested-by WHO --authority WHAT
                                   pause an obligation's clock (law-enforcement delay); again to extend
  release INC OBLIGATION           end a hold; the clock runs again
  discovery INC --at T --reason R  correct the discovery time; clocks anchored on it re-arm
  contacts INC ROLE EMAIL[,EMAIL] --reason R
                                   replace a role's addresses (e.g. one bounced); failing notices retry at once
  calendar INC [--out FILE]        write the open deadlines as an iCalendar (.ics) file
  export INC [--out DIR]           write every run's history and manifest.json (SHA-256s) to DIR/INC-…/
  audit PATH|INC [--format table|md|json] [--live] [--progress]
                                   check hashes, replay against this build, print the timeline and
                                   deadlines met or missed (encrypted histories need the keys)
  close INC                        close the incident        [--force --reason R]

Self-contained:
  check FILE                       check a playbook, incident file or scenario; exit 2 on problems
  demo                             embedded server + worker, an example incident, a status table

Every command takes --by NAME (default $USER) where it acts, and --json where it prints.
`

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Fprint(os.Stderr, usage)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, args := os.Args[1], os.Args[2:]
	run, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(os.Stderr, "starter: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err := run(args, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "starter "+cmd+":", err)
		os.Exit(1)
	}
}

var commands = map[string]func(args []string, out io.Writer) error{
	"start":     cmdStart,
	"status":    cmdStatus,
	"list":      cmdList,
	"complete":  cmdComplete,
	"waive":     cmdWaive,
	"fact":      cmdFact,
	"send":      cmdSend,
	"close":     cmdClose,
	"hold":      cmdHold,
	"preview":   cmdPreview,
	"approve":   cmdApprove,
	"release":   cmdRelease,
	"discovery": cmdDiscovery,
	"calendar":  cmdCalendar,
	"contacts":  cmdContacts,
	"simulate":  cmdSimulate,
	"export":    cmdExport,
	"audit":     cmdAudit,
	"demo":      cmdDemo,
	"check":     cmdCheck, // check_cmd.go
}

// common holds the flags every command shares.
type common struct {
	fs        *flag.FlagSet
	asJSON    bool
	by        string
	address   string
	namespace string
}

func newCommon(name string) *common {
	c := &common{fs: flag.NewFlagSet("starter "+name, flag.ContinueOnError)}
	c.fs.BoolVar(&c.asJSON, "json", false, "print JSON")
	c.fs.StringVar(&c.by, "by", currentUser(), "who is acting")
	c.fs.StringVar(&c.address, "address", "", "Temporal frontend host:port (default $TEMPORAL_ADDRESS or localhost:7233)")
	c.fs.StringVar(&c.namespace, "namespace", "", "Temporal namespace (default $TEMPORAL_NAMESPACE or default)")
	return c
}

// parse parses flags that may come before or after positional arguments.
func (c *common) parse(args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			return nil, err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("expected %d argument(s), got %d: %s (see starter help)", positional, len(pos), strings.Join(pos, " "))
	}
	return pos, nil
}

func (c *common) dial() (client.Client, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	if c.address != "" {
		cfg.Temporal.Address = c.address
	}
	if c.namespace != "" {
		cfg.Temporal.Namespace = c.namespace
	}
	return engine.Dial(cfg.Temporal, engine.Logger(slog.LevelError))
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

func cmdStart(args []string, out io.Writer) error {
	c := newCommon("start")
	now := c.fs.Bool("discovered-now", false, "set discovered_at to now, whatever the file says")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	f, err := incidentfile.Read(pos[0])
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	id, err := startIncident(context.Background(), tc, f, c.by, *now)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, map[string]string{"incident_id": id})
	}
	fmt.Fprintln(out, id)
	return nil
}

// startIncident validates an incident file against its playbook and starts the workflow.
func startIncident(ctx context.Context, tc client.Client, f *incidentfile.File, by string, discoveredNow bool) (string, error) {
	set, err := engine.Templates(os.Getenv(config.EnvTemplatesDir))
	if err != nil {
		return "", err
	}
	pb, err := engine.LoadPlaybook(f.Playbook, set)
	if err != nil {
		return "", err
	}
	id := workflows.NewIncidentID()
	in, err := f.Input(id, pb, by, time.Now().UTC().Truncate(time.Second), discoveredNow)
	if err != nil {
		return "", fmt.Errorf("incident file:\n%w", err)
	}
	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.IncidentWorkflowID(id),
		TaskQueue:             workflows.TaskQueue,
		Memo:                  map[string]any{"title": in.Title},
		TypedSearchAttributes: temporalSearchAttributes(),
	}, workflows.IncidentWorkflow, in)
	if err != nil {
		return "", fmt.Errorf("starting incident workflow: %w", err)
	}
	return id, nil
}

func cmdStatus(args []string, out io.Writer) error {
	c := newCommon("status")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	st, err := queryStatus(context.Background(), tc, pos[0])
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, st)
	}
	printStatus(out, st, time.Now())
	return nil
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
	rows, err := listIncidents(context.Background(), tc, query)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, rows)
	}
	printList(out, rows, time.Now())
	return nil
}

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
	return c.update(out, pos[0], workflows.UpdateComplete, workflows.CompleteInput{Obligation: pos[1], By: c.by, At: t, Note: *note})
}

func cmdWaive(args []string, out io.Writer) error {
	c := newCommon("waive")
	reason := c.fs.String("reason", "", "why the obligation is not owed (required)")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return c.update(out, pos[0], workflows.UpdateWaive, workflows.WaiveInput{Obligation: pos[1], By: c.by, Reason: *reason})
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
	return c.update(out, pos[0], workflows.UpdateRecordFact, workflows.RecordFactInput{
		Name: name, Value: value, Determination: *det, By: c.by, At: t, Note: *note,
	})
}

func cmdSend(args []string, out io.Writer) error {
	c := newCommon("send")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return c.update(out, pos[0], workflows.UpdateSendNotice, workflows.SendNoticeInput{Obligation: pos[1], By: c.by})
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
		set, err := engine.Templates(os.Getenv(config.EnvTemplatesDir))
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
			who = append(who, a.By)
		}
		fmt.Fprintf(out, "Approvals: %d of %d needed", len(p.Approvals), p.ApprovalsNeeded)
		if len(who) > 0 {
			fmt.Fprintf(out, " (%s)", strings.Join(who, ", "))
		}
		fmt.Fprintf(out, "; requested by %s\n", p.RequestedBy)
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

func cmdApprove(args []string, out io.Writer) error {
	c := newCommon("approve")
	hash := c.fs.String("hash", "", "the content hash shown by `starter preview` (at least 12 characters)")
	pos, err := c.parse(args, 2)
	if err != nil {
		return err
	}
	return c.update(out, pos[0], workflows.UpdateApprove, workflows.ApproveInput{Obligation: pos[1], By: c.by, ContentHash: *hash})
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
	return c.update(out, pos[0], workflows.UpdateHold, workflows.HoldInput{
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
	return c.update(out, pos[0], workflows.UpdateRelease, workflows.ReleaseInput{Obligation: pos[1], By: c.by, Note: *note})
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
	return c.update(out, pos[0], workflows.UpdateCorrectDiscovery, workflows.CorrectDiscoveryInput{DiscoveredAt: t, By: c.by, Reason: *reason})
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
	return c.update(out, pos[0], workflows.UpdateSetContacts, workflows.SetContactsInput{Role: pos[1], Contacts: contacts, By: c.by, Reason: *reason})
}

func cmdCalendar(args []string, out io.Writer) error {
	c := newCommon("calendar")
	file := c.fs.String("out", "", "file to write (default INC-….ics)")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	st, err := queryStatus(context.Background(), tc, pos[0])
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

func cmdClose(args []string, out io.Writer) error {
	c := newCommon("close")
	force := c.fs.Bool("force", false, "close even with obligations open (needs --reason)")
	reason := c.fs.String("reason", "", "why the incident is force-closed")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	return c.update(out, pos[0], workflows.UpdateClose, workflows.CloseInput{By: c.by, Force: *force, Reason: *reason})
}

// update sends a coordinator action and prints the resulting status.
func (c *common) update(out io.Writer, id, name string, arg any) error {
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return err
	}
	tc, err := c.dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	st, err := doUpdate(context.Background(), tc, id, name, arg)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, st)
	}
	printStatus(out, st, time.Now())
	return nil
}

func doUpdate(ctx context.Context, tc client.Client, id, name string, arg any) (workflows.Status, error) {
	var st workflows.Status
	h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.IncidentWorkflowID(id),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return st, fmt.Errorf("%s refused: %w", name, err)
	}
	if err := h.Get(ctx, &st); err != nil {
		return st, fmt.Errorf("%s refused: %w", name, err)
	}
	return st, nil
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("--%s %q: write RFC 3339 with a zone, e.g. 2019-06-10T18:00:00-04:00", field, s)
	}
	return t, nil
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
