package files

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoNetwork: the library builds without the network stack, the
// database and the UI; the node hands it its peers.
func TestNoNetwork(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "=net")
}
