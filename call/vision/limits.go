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

// Limits of simulcast.
const (
	// MinLayerWidth is the narrowest layer a Pipeline encodes: a
	// camera too small for two layers of at least this width sends one.
	MinLayerWidth = 160
	// ShownFor is how long after a tile last drew a sender's video the
	// sender still counts as shown: a tile not drawn for that long is
	// hidden, and its video no longer asked of the SFU.
	ShownFor = time.Second
)
