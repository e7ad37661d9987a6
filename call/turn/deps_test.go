package turn

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoNetworkStack: the TURN server and its credential protocol build
// without libp2p, storage, the UI or cgo codecs and devices (umbrellad,
// which runs it on relays, is cgo-free); the protocol's handler takes an
// io.ReadWriteCloser.
func TestNoNetworkStack(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "umbrella/sync/replica", "umbrella/sync/p2p",
		"hraban/opus", "malgo", "mediadevices", "webcam", "umbrella/call/codec", "umbrella/call/device")
}
