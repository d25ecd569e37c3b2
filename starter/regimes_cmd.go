package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/breachflow/breachflow/internal/config"
	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// cmdDecide records a decision with its rationale (the decide Update).
func cmdDecide(args []string, out io.Writer) error {
	c := newCommon("decide")
	rationale := c.fs.String("rationale", "", "why (required): an auditor will read it")
	assessment := c.fs.String("assessment", "", "what the decision rests on: a document ID or an obligation such as risk-assessment")
	at := c.fs.String("at", "", "when it was decided (RFC 3339; default now)")
	pos, err := c.parse(args, 3)
	if err != nil {
		return err
	}
	t, err := parseTime("at", *at)
	if err != nil {
		return err
	}
	return runUpdate(c, out, pos[0], workflows.Updates.Decide, workflows.DecideInput{
		Decision: pos[1], Outcome: pos[2], Rationale: *rationale, Assessment: *assessment, By: c.by, At: t,
	})
}

// regimeRow is one playbook of an incident file in `starter regimes`.
type regimeRow struct {
	Playbook string `json:"playbook"`
	Version  string `json:"version"`
	Title    string `json:"title,omitempty"`
	// Applies is whether the regime applies given the file's facts.
	Applies bool `json:"applies"`
	// Disabled is set for a playbook that ships disabled.
	Disabled bool `json:"disabled,omitempty"`
	// Why says, condition by condition, what holds and what does not.
	Why []string `json:"why"`
	// Obligations is how many obligations it brings.
	Obligations int `json:"obligations"`
}

// cmdRegimes prints each playbook (regime) an incident file names, whether it applies given the
// file's facts, and why, before anything is started.
func cmdRegimes(args []string, out io.Writer) error {
	c := newCommon("regimes")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	f, err := incidentfile.Read(pos[0])
	if err != nil {
		return err
	}
	set, err := engine.Templates(config.TemplatesDir())
	if err != nil {
		return err
	}
	rows, err := explainRegimes(f, set)
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(out, rows)
	}
	printRegimes(out, rows)
	return nil
}

// explainRegimes loads every playbook of an incident file and judges its applies_when against
// the file's facts (normalized to each playbook's fact types).
func explainRegimes(f *incidentfile.File, set *templates.Set) ([]regimeRow, error) {
	var rows []regimeRow
	var pbs []*playbook.Playbook
	for _, ref := range f.PlaybookRefs() {
		pb, err := engine.LoadPlaybook(ref, set)
		if err != nil {
			return nil, fmt.Errorf("playbook %s: %w", ref, err)
		}
		pbs = append(pbs, pb)
		facts := map[string]string{}
		for name, raw := range f.Facts {
			if def, ok := pb.Facts[name]; ok {
				if v, err := playbook.NormalizeFact(def, string(raw)); err == nil {
					facts[name] = v
				}
			}
		}
		row := regimeRow{Playbook: pb.Name, Version: pb.Version, Title: pb.Title, Obligations: len(pb.Obligations)}
		row.Applies, row.Why = pb.Explain(pb.AppliesWhen, facts, nil)
		if len(pb.AppliesWhen) == 0 {
			row.Why = []string{"no applies_when: it applies to every incident"}
		}
		if pb.Enabled != nil && !*pb.Enabled {
			row.Applies, row.Disabled = false, true
			row.Why = append(row.Why, "the playbook ships disabled (enabled: false): its obligations are listed, none starts a clock")
		}
		rows = append(rows, row)
	}
	// The same check `start` makes: the regimes must combine.
	if _, err := playbook.Combine(pbs...); err != nil {
		return rows, err
	}
	return rows, nil
}

func printRegimes(out io.Writer, rows []regimeRow) {
	for _, r := range rows {
		verdict := "applies"
		switch {
		case r.Disabled:
			verdict = "disabled"
		case !r.Applies:
			verdict = "does not apply"
		}
		title := ""
		if r.Title != "" {
			title = " (" + r.Title + ")"
		}
		fmt.Fprintf(out, "%s %s%s: %s, %d obligation(s)\n", r.Playbook, r.Version, title, verdict, r.Obligations)
		fmt.Fprintf(out, "  %s\n", strings.Join(r.Why, "\n  "))
	}
}
