package workflows

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"
)

// getVersionCalls parses the package's non-test Go files and returns every
// workflow.GetVersion call's change ID and max version (resolved through package constants),
// with its position; a call whose arguments are not constants is reported as an error.
func getVersionCalls(t *testing.T) (map[string]workflow.Version, []string) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		require.NoError(t, err)
		files = append(files, f)
	}
	// Constants are resolved by evaluating the package's constant declarations with go/types,
	// without importing dependencies (their errors are ignored: only constants matter here).
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Error: func(error) {}, Importer: nil}
	_, _ = conf.Check("workflows", fset, files, info)
	found := map[string]workflow.Version{}
	var bad []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "GetVersion" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "workflow" {
				return true
			}
			pos := fset.Position(call.Pos()).String()
			if len(call.Args) != 4 {
				bad = append(bad, fmt.Sprintf("%s: GetVersion with %d arguments", pos, len(call.Args)))
				return true
			}
			id := constValue(info, files, call.Args[1])
			max := constValue(info, files, call.Args[3])
			if id == nil || id.Kind() != constant.String || max == nil || max.Kind() != constant.Int {
				bad = append(bad, pos+": GetVersion's change ID and max version must be constants")
				return true
			}
			v, _ := constant.Int64Val(max)
			changeID := constant.StringVal(id)
			if v > int64(found[changeID]) {
				found[changeID] = workflow.Version(v)
			}
			return true
		})
	}
	return found, bad
}

// constValue is the constant value of e: from go/types when it resolved it, else a literal or a
// package-level constant declared with a literal.
func constValue(info *types.Info, files []*ast.File, e ast.Expr) constant.Value {
	if tv, ok := info.Types[e]; ok && tv.Value != nil {
		return tv.Value
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return constant.MakeFromLiteral(e.Value, e.Kind, 0)
	case *ast.Ident:
		for _, f := range files {
			if obj := f.Scope.Lookup(e.Name); obj != nil && obj.Kind == ast.Con {
				if vs, ok := obj.Decl.(*ast.ValueSpec); ok {
					for i, name := range vs.Names {
						if name.Name == e.Name && i < len(vs.Values) {
							return constValue(info, files, vs.Values[i])
						}
					}
				}
			}
		}
	}
	return nil
}

func TestKnownChangesMatchGetVersionCalls(t *testing.T) {
	found, bad := getVersionCalls(t)
	require.Empty(t, bad)
	// The change IDs the workflow code uses today: the parser must find at least these, so a
	// broken parser cannot pass by finding nothing.
	for _, id := range []string{"local-render", "strict-start", "recheck-after-render", "cancel-unowed-drafts",
		"date-fact-anchor", "redraft-again", "send-heartbeat", "escalation-digest"} {
		require.Contains(t, found, id)
	}
	for id, max := range found {
		known, ok := KnownChanges[id]
		require.Truef(t, ok, "workflow.GetVersion(ctx, %q, …) is not in KnownChanges (workflows/changes.go): add %q: %d", id, id, max)
		require.Equalf(t, max, known, "KnownChanges[%q] is %d but GetVersion's max version for it is %d: set it to %d", id, known, max, max)
	}
	for id := range KnownChanges {
		require.Containsf(t, found, id, "KnownChanges holds %q but no workflow.GetVersion call uses it: a change ID stays in the code (and here) as long as histories may hold its marker", id)
	}
}
