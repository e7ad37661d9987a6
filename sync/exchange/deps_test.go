package exchange

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTransport: the exchange is callable without a network; it imports
// nothing of libp2p nor the adapter that carries it. (Package net still
// comes in through the store's Badger and identity.)
func TestNoTransport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go-libp2p", "quic-go", "umbrella/sync/p2p", "umbrella/node"} {
			if strings.Contains(dep, banned) {
				t.Errorf("exchange imports %s", dep)
			}
		}
	}
}
