package observe

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// metricRef matches the engine's and the SDK's metric names in a PromQL expression.
var metricRef = regexp.MustCompile(`\b(?:breachflow|temporal)_[a-z0-9_]+\b`)

// DashboardMetrics returns the metric names (as written: a histogram's _bucket, _sum or _count
// series included) that the PromQL expressions ("expr") of a Grafana dashboard JSON use, sorted
// and without repeats. deploy/grafana/breachflow.json is checked with it against what the worker
// exports, so the dashboard cannot drift from the code.
func DashboardMetrics(dashboard []byte) ([]string, error) {
	var doc any
	if err := json.Unmarshal(dashboard, &doc); err != nil {
		return nil, fmt.Errorf("dashboard JSON: %w", err)
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					for _, m := range metricRef.FindAllString(s, -1) {
						seen[m] = true
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	slices.Sort(out)
	return out, nil
}

// HistogramFamily returns the family a series name belongs to: the name without a histogram's
// _bucket, _sum or _count suffix, and whether it had one.
func HistogramFamily(series string) (string, bool) {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := strings.CutSuffix(series, suffix); ok {
			return f, true
		}
	}
	return series, false
}
