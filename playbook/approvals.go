package playbook

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// ApprovalsSpec is a notice's approvals field in YAML: a count, or a mapping with a count,
// whether approvals must be signed, and the roles that may approve.
type ApprovalsSpec struct {
	Count  int
	Signed bool
	Roles  []string
	// Line is where the field was written, for messages.
	Line int
}

// UnmarshalYAML reads `approvals: 2` or `approvals: {count: 2, signed: true, roles: [cio]}`,
// strictly (an unknown key is an error naming it).
func (a *ApprovalsSpec) UnmarshalYAML(n *yaml.Node) error {
	a.Line = n.Line
	const form = "approvals is a count (approvals: 2) or {count: 2, signed: true, roles: [general_counsel, cio]}"
	switch n.Kind {
	case yaml.ScalarNode:
		if err := n.Decode(&a.Count); err != nil {
			return fmt.Errorf("line %d: %s", n.Line, form)
		}
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var err error
			switch k.Value {
			case "count":
				err = v.Decode(&a.Count)
			case "signed":
				err = v.Decode(&a.Signed)
			case "roles":
				err = v.Decode(&a.Roles)
			default:
				return fmt.Errorf("line %d: unknown field %q in approvals: use count, signed and roles", k.Line, k.Value)
			}
			if err != nil {
				return fmt.Errorf("line %d: approvals.%s: %s", v.Line, k.Value, SanitizeError(err.Error()))
			}
		}
		return nil
	}
	return fmt.Errorf("line %d: %s", n.Line, form)
}

// applyApprovals copies each notice's approvals as written (ApprovalsSpec) into its fields, and
// the playbook's signed_approvals into every notice that needs approvals.
func (p *Playbook) applyApprovals() {
	for i := range p.Obligations {
		n := p.Obligations[i].Notice
		if n == nil {
			continue
		}
		if n.ApprovalsYAML.Line != 0 {
			n.Approvals, n.SignedApprovals, n.ApproverRoles = n.ApprovalsYAML.Count, n.ApprovalsYAML.Signed, n.ApprovalsYAML.Roles
		}
		if p.SignedApprovals && n.Approvals > 0 {
			n.SignedApprovals = true
		}
	}
}
