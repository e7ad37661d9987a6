package call

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoNetworkStack: the signalling builds without libp2p, storage or
// the UI; its handlers take an io.ReadWriteCloser.
func TestNoNetworkStack(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "umbrella/sync/replica", "umbrella/sync/p2p", "pion/")
}
