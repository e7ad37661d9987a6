package exchange

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoTransport: the exchange is callable without a network; it imports
// nothing of libp2p nor the adapter that carries it. (Package net still
// comes in through the store's Badger and identity.)
func TestNoTransport(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "umbrella/sync/p2p", "umbrella/node")
}
