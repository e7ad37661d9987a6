package relay

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoTransport: the relay's policy is callable without a network; it
// imports nothing of libp2p, nor the adapter that carries it, nor any key
// handling beyond signature checks.
func TestNoTransport(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "umbrella/sync/p2p", "umbrella/node", "umbrella/keys", "umbrella/e2ee", "fyne.io")
}
