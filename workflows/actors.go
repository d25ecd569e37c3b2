package workflows

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/breachflow/breachflow/playbook"
)

// MaxActorLength bounds the name of a person acting, in characters.
const MaxActorLength = 200

// NormalizeActor is the form in which a person's name is recorded: Unicode NFKC (so a
// full-width or ligature spelling reads as the plain one), inner runs of white space made one
// space, trimmed.
func NormalizeActor(s string) string {
	return strings.Join(strings.Fields(norm.NFKC.String(s)), " ")
}

// actorFold compares names without regard to case.
var actorFold = cases.Fold()

// SameActor reports whether two names denote the same person as far as the engine can tell:
// equal after NormalizeActor and case folding. "alice", " Alice" and "ａｌｉｃｅ" are one person,
// so the two-person rule cannot be met by retyping a name.
func SameActor(a, b string) bool {
	return actorFold.String(NormalizeActor(a)) == actorFold.String(NormalizeActor(b))
}

// checkActor refuses a missing, over-long or unprintable name.
func checkActor(by string) error {
	if err := playbook.CheckLine("by", by, 4*MaxActorLength); err != nil {
		return err
	}
	n := NormalizeActor(by)
	switch {
	case n == "":
		return errors.New("by is required: name the person acting (starter takes --by, default $USER)")
	case len([]rune(n)) > MaxActorLength:
		return fmt.Errorf("by is %d characters long: give a name of at most %d", len([]rune(n)), MaxActorLength)
	}
	for _, r := range n {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("by contains the control character %U: give a plain name", r)
		}
	}
	return nil
}

// actorInput is an Update input naming the person acting.
type actorInput interface{ actor() *string }

func (in *CompleteInput) actor() *string         { return &in.By }
func (in *WaiveInput) actor() *string            { return &in.By }
func (in *RecordFactInput) actor() *string       { return &in.By }
func (in *SendNoticeInput) actor() *string       { return &in.By }
func (in *ApproveInput) actor() *string          { return &in.By }
func (in *CloseInput) actor() *string            { return &in.By }
func (in *SetContactsInput) actor() *string      { return &in.By }
func (in *HoldInput) actor() *string             { return &in.By }
func (in *ReleaseInput) actor() *string          { return &in.By }
func (in *CorrectDiscoveryInput) actor() *string { return &in.By }
