package console

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// TestRulesCacheIsBounded: the rules of the incidents viewed lately are kept, at most
// rulesCacheSize of them; the oldest goes first, and putting one again does not grow it.
func TestRulesCacheIsBounded(t *testing.T) {
	var c rulesCache
	for i := range rulesCacheSize + 10 {
		c.put(fmt.Sprintf("INC-%d", i), map[string]workflows.Rule{"x": {Obligation: "x", Quote: fmt.Sprint(i)}})
	}
	c.put("INC-20", map[string]workflows.Rule{})
	require.Len(t, c.byID, rulesCacheSize)
	require.Len(t, c.order, rulesCacheSize)
	_, ok := c.get("INC-0")
	require.False(t, ok, "the oldest went first")
	r, ok := c.get(fmt.Sprintf("INC-%d", rulesCacheSize+9))
	require.True(t, ok)
	require.Equal(t, fmt.Sprint(rulesCacheSize+9), r["x"].Quote)
}
