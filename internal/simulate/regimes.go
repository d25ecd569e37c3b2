package simulate

import (
	"fmt"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// combined resolves the playbooks of an incident that applies several regimes and combines
// them (playbook.Combine), as starter start does.
func combined(refs []string, set playbook.TemplateSet) (*playbook.Playbook, error) {
	var pbs []*playbook.Playbook
	for _, ref := range refs {
		pb, err := playbook.Resolve(ref, templates.Embedded(), set)
		if err != nil {
			return nil, fmt.Errorf("playbook %s: %w", ref, err)
		}
		pbs = append(pbs, pb)
	}
	return playbook.Combine(pbs...)
}
