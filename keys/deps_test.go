package keys

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoNetworkStack: the key manager names peers (libp2p's core/peer)
// but never builds a host, a transport or a gossip router, and knows
// nothing of the node or the UI.
func TestNoNetworkStack(t *testing.T) {
	depcheck.Ban(t, "go-libp2p/p2p/", "go-libp2p-pubsub", "quic-go", "fyne.io", "umbrella/node")
}
