package playbook

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// NormalizeFact checks a raw value against the fact's declared type and returns its canonical
// string form: numbers without grouping, bools as true/false, dates as RFC 3339.
func NormalizeFact(def FactDef, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	switch def.Type {
	case FactNumber:
		n, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", ""), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return "", fmt.Errorf("%q is not a number: write digits such as 184000", raw)
		}
		return strconv.FormatFloat(n, 'f', -1, 64), nil
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
				return t.Format(time.RFC3339), nil
			}
		}
		return "", fmt.Errorf("%q is not a date: write 2019-05-31 or 2019-05-31T09:00:00-04:00", raw)
	default:
		if raw == "" {
			return "", fmt.Errorf("empty value: give the fact a value")
		}
		return raw, nil
	}
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
	case c.AtLeast != nil, c.Below != nil:
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return false
		}
		if c.AtLeast != nil {
			return n >= *c.AtLeast
		}
		return n < *c.Below
	}
	return false
}

func equalFacts(def FactDef, value, want string) bool {
	norm, err := NormalizeFact(def, want)
	return err == nil && norm == value
}

// check validates the condition's shape against the fact's type.
func (c Condition) check(def FactDef) error {
	ops := 0
	for _, set := range []bool{c.Equals != nil, c.NotEquals != nil, c.AtLeast != nil, c.Below != nil, c.IsSet != nil} {
		if set {
			ops++
		}
	}
	if ops != 1 {
		return fmt.Errorf("give exactly one of equals, not_equals, at_least, below, is_set (got %d)", ops)
	}
	if (c.AtLeast != nil || c.Below != nil) && def.Type != FactNumber {
		return fmt.Errorf("at_least and below need a number fact; %q is %s", c.Fact, def.Type)
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
