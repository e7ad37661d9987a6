package sfu

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestHoldsNoMediaKey: the SFU builds without SFrame or call/media
// (which hold keys), so it cannot decrypt what it forwards; nor does it
// need libp2p, storage, the UI or cgo codecs.
func TestHoldsNoMediaKey(t *testing.T) {
	depcheck.Ban(t, "umbrella/call/sframe", "umbrella/call/media", "go-libp2p", "badger", "fyne.io",
		"umbrella/node", "hraban/opus", "malgo", "mediadevices")
}
