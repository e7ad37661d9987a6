package act

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetwork: the actions build without the network and storage stacks.
func TestNoNetwork(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "umbrella/sync/"} {
			if strings.Contains(dep, banned) {
				t.Errorf("act imports %s", dep)
			}
		}
		if dep == "net" {
			t.Errorf("act imports net")
		}
	}
}
