package sframe

// Limits on what a Receiver accepts and a Sender produces. A frame comes
// from a peer (or from anyone on the path, before authentication), so every
// length is checked against these before any work is done.
const (
	// MaxFrameSize bounds an SFrame ciphertext (header, ciphertext and
	// tag). A VP8 key frame at 720p and a high bitrate stays well under
	// 256 KiB; 1 MiB leaves room for 1080p key frames.
	MaxFrameSize = 1 << 20
	// MaxMetadataSize bounds the clear, authenticated metadata (the codec
	// header an SFU may read: 10 bytes for a VP8 key frame, 1 for Opus).
	MaxMetadataSize = 256
	// MaxHeaderSize is the longest SFrame header: the config byte, an
	// 8-byte KID and an 8-byte CTR.
	MaxHeaderSize = 1 + 8 + 8
	// MinBaseKeySize and MaxBaseKeySize bound a base key. Keys are random
	// and at least as long as the smallest cipher key.
	MinBaseKeySize = 16
	MaxBaseKeySize = 64
	// MaxReceiverKeys is how many KIDs one Receiver holds at once: the
	// current key, the previous one while frames under it drain, and a
	// few announced ahead of use.
	MaxReceiverKeys = 8
	// ReplayWindow is how far behind the highest counter seen under a KID
	// a frame may still arrive (once). One sender's audio and video share
	// a counter and travel on separate RTP streams, so frames of one
	// stream can arrive a few dozen counters late; 256 covers over three
	// seconds of a 50 fps audio plus 15 fps video sender.
	ReplayWindow = 256
)
