package vision

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoCgo: the pipeline builds without cgo; camera and codecs come
// through its interfaces, wired by the app.
func TestNoCgo(t *testing.T) {
	depcheck.Ban(t, "umbrella/call/codec", "umbrella/call/device", "gen2brain/malgo", "hraban/opus", "fyne.io", "go-libp2p")
}
