package playbook

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachflow/breachflow/clock"
)

// NormalizeFact checks a raw value against the fact's declared type and returns its canonical
// string form: numbers without grouping, bools as true/false, dates as RFC 3339.
//
// Numbers are counts: written in digits (commas may group them, a decimal point may follow),
// never negative, with a whole part that fits in an int64 and at most MaxFactDecimals decimals;
// they are kept exactly as written, never rounded through a float. Dates lie in the window of
// clock.CheckTime. Text is one line of at most MaxFactTextLen characters (see CheckLine).
func NormalizeFact(def FactDef, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	switch def.Type {
	case FactNumber:
		return normalizeNumber(raw)
	case FactBool:
		switch strings.ToLower(raw) {
		case "true", "yes", "y":
			return "true", nil
		case "false", "no", "n":
			return "false", nil
		}
		return "", fmt.Errorf("%q is not a yes/no value: write true or false", raw)
	case FactDate:
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if t, err := time.Parse(layout, raw); err == nil {
				if err := clock.CheckTime("date", t); err != nil {
					return "", err
				}
				return t.Format(time.RFC3339), nil
			}
		}
		return "", fmt.Errorf("%q is not a date: write 2019-05-31 or 2019-05-31T09:00:00-04:00", raw)
	default:
		if raw == "" {
			return "", fmt.Errorf("empty value: give the fact a value")
		}
		if err := CheckLine("value", raw, MaxFactTextLen); err != nil {
			return "", err
		}
		return raw, nil
	}
}

// MaxFactDecimals is the most digits a number fact may have after its decimal point.
const MaxFactDecimals = 6

// normalizeNumber returns the canonical form of a number fact: no grouping commas, no leading
// zeros, no trailing zeros after the point. It works on the digits, so nothing is rounded.
func normalizeNumber(raw string) (string, error) {
	notNumber := func() (string, error) {
		return "", fmt.Errorf("%q is not a number: write digits such as 184000", short(raw))
	}
	s := strings.ReplaceAll(raw, ",", "")
	if strings.HasPrefix(s, "-") && len(s) > 1 {
		if _, err := normalizeNumber(s[1:]); err == nil {
			return "", fmt.Errorf("%q is negative: a number fact is a count; write 0 or more", raw)
		}
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return notNumber()
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if _, err := strconv.ParseInt(whole, 10, 64); err != nil {
		return "", fmt.Errorf("%q is too large: a number fact is at most %d; check the digits", short(raw), int64(math.MaxInt64))
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > MaxFactDecimals {
		return "", fmt.Errorf("%q has more than %d decimals: round it", short(raw), MaxFactDecimals)
	}
	if frac == "" {
		return whole, nil
	}
	return whole + "." + frac, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// short cuts a value quoted in an error to 40 characters: errors must not carry whole inputs.
func short(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// Truthy reports whether a fact value starts a fact-anchored clock: a true bool, a non-zero
// number, or any other non-empty value.
func Truthy(def FactDef, value string) bool {
	switch def.Type {
	case FactBool:
		return value == "true"
	case FactNumber:
		n, err := strconv.ParseFloat(value, 64)
		return err == nil && n != 0
	default:
		return value != ""
	}
}

// Holds evaluates the condition against the fact's current value (set reports whether it has one).
func (c Condition) Holds(def FactDef, value string, set bool) bool {
	switch {
	case c.IsSet != nil:
		return set == *c.IsSet
	case !set:
		return false
	case c.Equals != nil:
		return equalFacts(def, value, *c.Equals)
	case c.NotEquals != nil:
		return !equalFacts(def, value, *c.NotEquals)
	case c.AtLeast != nil, c.Below != nil, c.Above != nil, c.AtMost != nil:
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return false
		}
		switch {
		case c.AtLeast != nil:
			return n >= *c.AtLeast
		case c.Below != nil:
			return n < *c.Below
		case c.Above != nil:
			return n > *c.Above
		}
		return n <= *c.AtMost
	}
	return false
}

// HoldsDecision evaluates a condition on a decision against its latest outcome (decided reports
// whether there is one): equals holds when decided with that outcome; not_equals unless decided
// with it, so an obligation conditioned on "not no" applies until someone decides no; is_set
// once decided.
func (c Condition) HoldsDecision(outcome string, decided bool) bool {
	switch {
	case c.IsSet != nil:
		return decided == *c.IsSet
	case c.Equals != nil:
		return decided && outcome == *c.Equals
	case c.NotEquals != nil:
		return !decided || outcome != *c.NotEquals
	}
	return false
}

// checkDecision validates a condition on a decision: equals, not_equals or is_set, with an
// outcome the decision allows.
func (c Condition) checkDecision(d DecisionDef) error {
	if c.ops() != 1 || c.AtLeast != nil || c.Below != nil || c.Above != nil || c.AtMost != nil {
		return fmt.Errorf("a condition on a decision gives exactly one of equals, not_equals, is_set")
	}
	for _, v := range []*string{c.Equals, c.NotEquals} {
		if v != nil && !slices.Contains(d.AllowedOutcomes(), *v) {
			return fmt.Errorf("decision %q has no outcome %q (outcomes: %s)", c.Decision, short(*v), strings.Join(d.AllowedOutcomes(), ", "))
		}
	}
	return nil
}

// ops counts the condition's operators.
func (c Condition) ops() int {
	n := 0
	for _, set := range []bool{c.Equals != nil, c.NotEquals != nil, c.AtLeast != nil, c.Below != nil, c.Above != nil, c.AtMost != nil, c.IsSet != nil} {
		if set {
			n++
		}
	}
	return n
}

func equalFacts(def FactDef, value, want string) bool {
	norm, err := NormalizeFact(def, want)
	return err == nil && norm == value
}

// check validates the condition's shape against the fact's type.
func (c Condition) check(def FactDef) error {
	if ops := c.ops(); ops != 1 {
		return fmt.Errorf("give exactly one of equals, not_equals, at_least, below, above, at_most, is_set (got %d)", ops)
	}
	if (c.AtLeast != nil || c.Below != nil || c.Above != nil || c.AtMost != nil) && def.Type != FactNumber {
		return fmt.Errorf("at_least, below, above and at_most need a number fact; %q is %s", c.Fact, def.Type)
	}
	for _, v := range []*string{c.Equals, c.NotEquals} {
		if v != nil {
			if _, err := NormalizeFact(def, *v); err != nil {
				return fmt.Errorf("value for %s fact %q: %w", def.Type, c.Fact, err)
			}
		}
	}
	return nil
}
