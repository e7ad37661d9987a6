package opus

// Limits of what a Decoder accepts from a peer and an Encoder produces.
const (
	// MaxPacketSize bounds one packet: RFC 6716 caps a frame at 1275
	// bytes, and a call's 20 ms packets hold one frame.
	MaxPacketSize = 1275
	// MinBitrate and MaxBitrate bound Config.Bitrate (bits per second)
	// to what libopus accepts for mono.
	MinBitrate = 6000
	MaxBitrate = 256000
)
