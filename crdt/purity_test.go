package crdt

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The package doc promises that crdt does no I/O, starts no goroutines and
// never reads the wall clock, and ops are immutable. These tests keep the
// promises checked: over what crdt links in, over its own source, and over
// Op's methods.

// TestPurity: the domain package imports no networking, storage, UI or
// process machinery, directly or not, and does no file I/O itself (package
// os is linked in by fmt, so only crdt's own imports are checked for it).
func TestPurity(t *testing.T) {
	for _, dep := range goList(t, "{{join .Deps \"\\n\"}}") {
		if p := banned(dep, "net", "os/exec", "fyne.io", "github.com/dgraph-io/badger", "github.com/ipfs/go-ds-badger", "github.com/libp2p", "github.com/quic-go"); p != "" {
			t.Errorf("crdt depends on %s (banned: %s)", dep, p)
		}
	}
	for _, imp := range goList(t, "{{join .Imports \"\\n\"}}") {
		if p := banned(imp, "os", "io/fs", "syscall", "time", "runtime", "sync"); p != "" {
			t.Errorf("crdt imports %s (banned: %s)", imp, p)
		}
	}
}

// goList runs go list -f format on this package and returns its fields. It
// fails rather than skips: the go tool built this test, so it is there.
func goList(t *testing.T, format string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.Fields(string(out))
}

// banned returns the banned prefix that pkg is or lies under, or "".
func banned(pkg string, prefixes ...string) string {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return p
		}
	}
	return ""
}

// TestNoGoroutinesNoClock: no go statement, and no read of the wall clock
// or timer, appears in crdt's source (its tests may use both). Work that
// is worth spreading over cores, such as verifying signatures, is spread by
// the caller (sync/replica) over crdt's per-op functions.
func TestNoGoroutinesNoClock(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		timePkg := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"time"` {
				timePkg = "time"
				if imp.Name != nil {
					timePkg = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement: crdt must not start goroutines", fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && timePkg != "" && x.Name == timePkg {
					switch n.Sel.Name {
					case "Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker":
						t.Errorf("%s: time.%s: crdt must not read the clock; take the time as a value", fset.Position(n.Pos()), n.Sel.Name)
					}
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("found no source files to check")
	}
}

// TestOpImmutable: no method of Op changes a decoded op. Every exported
// method is called (byte slices get a non-empty value, other arguments
// their zero value) and the op must still equal a fresh decode of its
// bytes. What a node reads from a sealed op stays beside it (Opened).
func TestOpImmutable(t *testing.T) {
	k := newKey(1)
	signed := mustSign(t, Op{Community: ID{1}, Log: ID{4}, Kind: KindMessage, Deps: []ID{{2}, {3}}, Height: 1,
		Body: []byte{sealedHeaderByte, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x00, 0x41, 0xff}}, k)
	raw := bytes.Clone(signed.Bytes())
	op, err := DecodeOp(raw)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(op)
	for i := range v.NumMethod() {
		m, name := v.Method(i), v.Type().Method(i).Name
		args := make([]reflect.Value, m.Type().NumIn())
		for j := range args {
			in := m.Type().In(j)
			args[j] = reflect.Zero(in)
			if in == reflect.TypeFor[[]byte]() {
				args[j] = reflect.ValueOf([]byte(`{"clear":"body"}`))
			}
		}
		func() {
			defer func() { _ = recover() }() // a panic on odd arguments is no mutation
			m.Call(args)
		}()
		fresh, err := DecodeOp(bytes.Clone(raw))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(op, fresh) {
			t.Fatalf("Op.%s changed a decoded op", name)
		}
	}
}
