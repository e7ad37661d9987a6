package voice

import (
	"math"

	"github.com/umbrella-p2p/umbrella/call/media"
)

// Mix adds each of srcs into dst sample by sample, clipping to the int16
// range (a src shorter than dst adds to its start only).
func Mix(dst []int16, srcs ...[]int16) {
	for i := range dst {
		sum := int32(dst[i])
		for _, s := range srcs {
			if i < len(s) {
				sum += int32(s[i])
			}
		}
		dst[i] = int16(min(max(sum, math.MinInt16), math.MaxInt16))
	}
}

// SilenceDBov is the level of digital silence.
const SilenceDBov = -127.0

// DBov is the level of pcm in dB relative to full scale (RFC 6464's
// overload point): the RMS of the samples against 32767, from SilenceDBov
// (silence) to 0 (a full-scale square wave); a full-scale sine is -3.
func DBov(pcm []int16) float64 {
	if len(pcm) == 0 {
		return SilenceDBov
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	if rms == 0 {
		return SilenceDBov
	}
	return max(20*math.Log10(rms/math.MaxInt16), SilenceDBov)
}

// RFC6464Level is a frame's level in dBov (SilenceDBov to 0) as the
// RFC 6464 audio level header has it: −dBov rounded, 0 (loudest) to
// media.MaxLevel (silence).
func RFC6464Level(dbov float64) uint8 {
	l := math.Round(-dbov)
	switch {
	case math.IsNaN(l):
		return media.MaxLevel
	case l <= 0:
		return 0
	case l >= media.MaxLevel:
		return media.MaxLevel
	}
	return uint8(l)
}

// Speech thresholds of a Meter.
const (
	// SpeakingDBov is the level from which a frame counts as speech
	// (well above a quiet room through a laptop microphone, about -60).
	SpeakingDBov = -45.0
	// SpeakingHold is how many frames (400 ms) a speaker still counts
	// as speaking after its last loud one, so that the mark does not
	// flicker between words.
	SpeakingHold = 20
)

// Meter follows one speaker's level, frame by frame. It is not safe for
// concurrent use.
type Meter struct {
	level float64
	quiet int  // frames since the last loud one
	heard bool // a frame was measured
	loud  bool // a loud frame was measured
}

// Add measures one frame.
func (m *Meter) Add(pcm []int16) {
	m.level = DBov(pcm)
	m.heard = true
	if m.level >= SpeakingDBov {
		m.quiet, m.loud = 0, true
	} else {
		m.quiet++
	}
}

// Silence counts a frame with nothing heard.
func (m *Meter) Silence() {
	m.level = SilenceDBov
	m.quiet++
}

// Level is the last frame's level in dBov.
func (m *Meter) Level() float64 {
	if !m.heard {
		return SilenceDBov
	}
	return m.level
}

// Speaking reports whether a loud frame came within SpeakingHold frames.
func (m *Meter) Speaking() bool { return m.loud && m.quiet < SpeakingHold }
