package ui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetworkStack: the app's views build from the api package alone, so
// neither libp2p, Badger nor QUIC may reach ui's imports (its tests may
// still start real nodes).
func TestNoNetworkStack(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go-libp2p", "badger", "quic-go", "umbrella/node", "umbrella/sync/"} {
			if strings.Contains(dep, banned) {
				t.Errorf("ui imports %s", dep)
			}
		}
	}
}
