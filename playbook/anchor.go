package playbook

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Anchor is what starts an obligation's clock: one anchor ("discovery", "determination:ID",
// "fact:ID", "obligation:ID", "notice:ID", "decision:ID"), or several, of which the earliest
// to happen counts. In YAML it is the string form, or {earliest: [A, B, …]}; in JSON a single
// anchor stays a string (as in every snapshot written before several existed).
type Anchor []string

// MaxEarliest bounds the anchors of an earliest-of list.
const MaxEarliest = 8

// String is the anchor as written: the single anchor, or "earliest of A, B".
func (a Anchor) String() string {
	switch len(a) {
	case 0:
		return ""
	case 1:
		return a[0]
	}
	return "earliest of " + strings.Join(a, ", ")
}

// Is reports whether the anchor is exactly the single anchor s.
func (a Anchor) Is(s string) bool { return len(a) == 1 && a[0] == s }

type earliestForm struct {
	Earliest []string `yaml:"earliest" json:"earliest"`
}

// UnmarshalYAML reads the string form or {earliest: [...]}, strictly.
func (a *Anchor) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*a = Anchor{n.Value}
		return nil
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "earliest" && n.Content[1].Kind == yaml.SequenceNode {
			var list []string
			for _, item := range n.Content[1].Content {
				if item.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: an anchor in earliest is a string such as fact:breach_confirmed", item.Line)
				}
				list = append(list, item.Value)
			}
			if len(list) == 0 {
				return fmt.Errorf("line %d: earliest lists no anchor: give two or more", n.Line)
			}
			*a = list
			return nil
		}
	}
	return fmt.Errorf("line %d: an anchor is a string such as determination:major_incident, or {earliest: [ANCHOR, ANCHOR]}", n.Line)
}

// MarshalJSON writes a single anchor as a string.
func (a Anchor) MarshalJSON() ([]byte, error) {
	if len(a) <= 1 {
		return json.Marshal(a.String())
	}
	return json.Marshal(earliestForm{Earliest: a})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (a *Anchor) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = nil
		if s != "" {
			*a = Anchor{s}
		}
		return nil
	}
	var e earliestForm
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	*a = e.Earliest
	return nil
}

// ParseAnchor splits an anchor such as "determination:major_incident" into kind and reference.
func ParseAnchor(s string) (kind, ref string, err error) {
	if s == AnchorDiscovery {
		return AnchorDiscovery, "", nil
	}
	kind, ref, ok := strings.Cut(s, ":")
	if ok && ref != "" {
		switch kind {
		case AnchorDetermination, AnchorFact, AnchorObligation, AnchorNotice, AnchorDecision:
			return kind, ref, nil
		}
	}
	return "", "", fmt.Errorf("bad anchor %q: use discovery, determination:ID, fact:ID, obligation:ID, notice:ID or decision:ID", s)
}
