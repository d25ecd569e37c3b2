// Command starter is the incident coordinator's command line: it starts incidents, records
// decisions, approves notices, reports status, and runs a self-contained demo.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
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
  audit PATH|INC [--format table|md|json|html] [--live] [--progress]
                                   check hashes, replay against this build, print the timeline and
                                   deadlines met or missed (encrypted histories need the keys)
  decide INC DECISION OUTCOME --rationale R [--assessment A] [--at T]
                                   record a decision (e.g. notify_individuals no) with its rationale
  close INC                        close the incident        [--force --reason R]

Self-contained:
  check FILE                       check a playbook, incident file or scenario; exit 2 on problems
  regimes FILE                     each playbook of an incident file: does it apply given its facts, and why
  demo                             embedded server + worker, an example incident, a status table,
                                   then the web console with demo users until Ctrl-C [--exit]

Web console:
  serve [--listen 127.0.0.1:8088] [--data DIR] [--users FILE] [--oidc-issuer URL --oidc-client-id ID
        --oidc-redirect-url URL] [--tls-cert F --tls-key F]
                                   the coordinator console in the browser (see README, "Console")
  user add LOGIN --email ADDRESS [--name N] [--auditor]
                                   add a local console user; the password is read from stdin

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
	"check":     cmdCheck,   // check_cmd.go
	"decide":    cmdDecide,  // regimes_cmd.go
	"regimes":   cmdRegimes, // regimes_cmd.go
	"serve":     cmdServe,   // serve.go
	"user":      cmdUser,    // serve.go
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
