package node

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// maxMethods bounds the methods one type of this package declares itself
// (DESIGN.md, "Growing without a god object"): a capability gets its own
// type, in its own package, embedded in Node if the API needs its
// methods (facades.go), not more methods on Node.
const maxMethods = 40

// TestNoGodObject: no type of node declares more than maxMethods methods
// in the package's own code.
func TestNoGodObject(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	count := map[string]int{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				count[id.Name]++
			}
		}
	}
	if count["Node"] == 0 {
		t.Fatal("found no method of Node: the test reads the wrong files")
	}
	for typ, n := range count {
		if n > maxMethods {
			t.Errorf("%s declares %d methods, more than %d: give the new capability its own type and embed it (see facades.go)", typ, n, maxMethods)
		}
	}
}
