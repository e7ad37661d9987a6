package sframe

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPure checks that sframe stays a pure package: no network, no media
// stack, nothing of the node. It fails rather than skips when go list does
// not run: the go tool built the test.
func TestPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 {
		t.Fatalf("go list gave %q", deps)
	}
	for _, dep := range deps {
		if dep == "net" || strings.HasPrefix(dep, "github.com/pion/") ||
			strings.HasPrefix(dep, "github.com/libp2p/") || strings.HasPrefix(dep, "os/exec") ||
			(strings.HasPrefix(dep, "github.com/umbrella-p2p/") && dep != "github.com/umbrella-p2p/umbrella/call/sframe") {
			t.Errorf("sframe imports %s", dep)
		}
	}
}
