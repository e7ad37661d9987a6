package sfu

import (
	"errors"
	"sync"
)

// VoiceFrame is the size of what a voice packet carries as its RTP
// payload, which publishers make and the SFU never reads: a frame of
// call/codec/opus's SFU voice under call/media's SFrame suite. This
// package's own tests cannot import call/media (which imports call/sfu),
// so voice_frame_test.go (package sfu_test) hands it over with
// SetVoiceFrame before any test runs.
type VoiceFrame struct {
	// Opus is one 20 ms frame of speech at an SFU call's bitrate, and
	// ComfortNoise one of the comfort-noise frames Opus's DTX sends every
	// 400 ms of silence, in bytes.
	Opus, ComfortNoise int
	// SFrameTag is the tag of the calls' SFrame suite; SFrameHeader the
	// length of an SFrame header of key id kid and counter ctr.
	SFrameTag    int
	SFrameHeader func(kid, ctr uint64) int
}

var voiceFrameOf func() (VoiceFrame, error)

// SetVoiceFrame sets how the tests get the VoiceFrame (called once).
func SetVoiceFrame(f func() (VoiceFrame, error)) { voiceFrameOf = f }

// voiceFrame returns the VoiceFrame, computed on first use.
var voiceFrame = sync.OnceValues(func() (VoiceFrame, error) {
	if voiceFrameOf == nil {
		return VoiceFrame{}, errors.New("sfu tests: no voice frame sizes (voice_frame_test.go sets them)")
	}
	return voiceFrameOf()
})
