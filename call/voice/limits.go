package voice

// Limits on what a Pipeline holds for the participants it hears.
const (
	// MaxSpeakers is how many remote participants a Pipeline decodes at
	// once: a call has at most 32 participants.
	MaxSpeakers = 31
	// MaxJitterFrames bounds one speaker's jitter buffer (1 s of audio):
	// beyond it the oldest frames are dropped.
	MaxJitterFrames = 50
	// MaxPacketSize bounds one buffered Opus packet (RFC 6716's largest
	// frame); a larger one is dropped as lost.
	MaxPacketSize = 1275
	// MaxConcealed is how many frames in a row are concealed once a
	// speaker's packets stop coming (60 ms), before its buffer refills
	// from scratch.
	MaxConcealed = 3
)
