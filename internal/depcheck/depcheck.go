// Package depcheck lets a package's tests state which parts of the tree it
// must never import: the layering of the folder list, checked by `go list`.
// It is for tests only and must never be imported by production code.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Deps returns the import paths the package in the test's working
// directory depends on, test files excluded. It fails the test when the
// go tool cannot list them (the go tool built the test, so it is there).
func Deps(t testing.TB) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	return deps
}

// Ban fails the test for every dependency of the package in the test's
// working directory that contains one of banned; an entry written "=net"
// bans exactly the package net.
func Ban(t testing.TB, banned ...string) {
	t.Helper()
	for _, dep := range Deps(t) {
		for _, b := range banned {
			if exact, ok := strings.CutPrefix(b, "="); ok && dep == exact || !ok && strings.Contains(dep, b) {
				t.Errorf("imports %s (banned: %s)", dep, b)
			}
		}
	}
}
