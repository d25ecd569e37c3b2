package deploy_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/internal/observe"
)

// TestGrafanaDashboardUsesExportedMetrics: every breachflow_ metric the dashboard queries is one
// the worker exports (internal/observe), and every engine metric appears on the dashboard. The
// SDK's temporal_ metrics are checked against a live worker's /metrics in internal/observe.
func TestGrafanaDashboardUsesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("grafana/breachflow.json")
	require.NoError(t, err)
	used, err := observe.DashboardMetrics(raw)
	require.NoError(t, err)
	require.NotEmpty(t, used)
	shown := map[string]bool{}
	for _, m := range used {
		if !strings.HasPrefix(m, "breachflow_") {
			require.True(t, strings.HasPrefix(m, observe.SDKMetricPrefix), m)
			continue
		}
		family, series := observe.HistogramFamily(m)
		if !slices.Contains(observe.EngineMetricNames, m) {
			require.True(t, series && slices.Contains(observe.EngineMetricNames, family), "the dashboard queries %s, which the worker does not export", m)
		}
		shown[family] = true
	}
	for _, m := range observe.EngineMetricNames {
		if m == observe.MetricGaugeRefreshes {
			continue // described on the gauge-age panel, not plotted
		}
		require.True(t, shown[m], "engine metric %s is on no panel of the dashboard", m)
	}
}
