package api

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestLeaf: api is a leaf the app builds on; it imports nothing of the
// network, storage or UI stacks.
func TestLeaf(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "badger", "quic-go", "fyne.io", "umbrella/node", "umbrella/sync/", "net/http", "=net")
}
