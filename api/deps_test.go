package api

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeaf: api is a leaf the app builds on; it imports nothing of the
// network, storage or UI stacks.
func TestLeaf(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go-libp2p", "badger", "quic-go", "fyne.io", "umbrella/node", "umbrella/sync/", "net/http"} {
			if strings.Contains(dep, banned) {
				t.Errorf("api imports %s", dep)
			}
		}
		if dep == "net" {
			t.Errorf("api imports net")
		}
	}
}
