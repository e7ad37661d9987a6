package keys

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetworkStack: the key manager names peers (libp2p's core/peer)
// but never builds a host, a transport or a gossip router, and knows
// nothing of the node or the UI.
func TestNoNetworkStack(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go-libp2p/p2p/", "go-libp2p-pubsub", "quic-go", "fyne.io", "umbrella/node"} {
			if strings.Contains(dep, banned) {
				t.Errorf("keys imports %s", dep)
			}
		}
	}
}
