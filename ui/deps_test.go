package ui

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoNetworkStack: the app's views build from the api package alone, so
// neither libp2p, Badger nor QUIC may reach ui's imports (its tests may
// still start real nodes).
func TestNoNetworkStack(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "badger", "quic-go", "umbrella/node", "umbrella/sync/")
}
