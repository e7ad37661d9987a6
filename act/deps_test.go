package act

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoNetwork: the actions build without the network and storage stacks.
func TestNoNetwork(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "umbrella/sync/", "=net")
}
