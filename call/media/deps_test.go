package media

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestNoCgo: media builds without cgo (umbrellad imports it and builds
// with CGO_ENABLED=0); a program's codecs and devices come in through
// Send and Sink.
func TestNoCgo(t *testing.T) {
	depcheck.Ban(t, "umbrella/call/codec", "umbrella/call/device", "umbrella/call/voice", "gen2brain/malgo", "hraban/opus", "fyne.io")
}
