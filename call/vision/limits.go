package vision

import "time"

// Limits of a Pipeline.
const (
	// MaxSenders is how many senders' decoders a Pipeline holds: a call
	// has at most 32 participants.
	MaxSenders = 31
	// MaxPeerIDSize bounds a sender's id (media.MaxPeerIDSize).
	MaxPeerIDSize = 128
	// KeyFrameRequestEvery is the shortest time between two key-frame
	// requests to one sender.
	KeyFrameRequestEvery = time.Second
)
