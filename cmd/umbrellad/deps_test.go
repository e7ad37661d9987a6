package main

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

// TestHeadless: umbrellad runs on servers and builds without cgo, so it
// holds no UI, no codecs and no devices; its calls are synthetic.
func TestHeadless(t *testing.T) {
	depcheck.Ban(t, "fyne.io", "umbrella/ui", "umbrella/call/codec", "umbrella/call/device", "hraban/opus", "gen2brain/malgo", "blackjack/webcam", "pion/mediadevices")
}
