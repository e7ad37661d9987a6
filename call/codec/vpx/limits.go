package vpx

// Limits on what an Encoder is configured with and a Decoder accepts.
const (
	// MaxWidth and MaxHeight bound a picture's dimensions, in pixels: a
	// call sends at most 1080p, and a key frame that announces more is
	// refused before libvpx allocates for it.
	MaxWidth  = 1920
	MaxHeight = 1080
	// MaxFrameSize bounds one encoded frame, in bytes (a 1080p key frame
	// at a call's bitrates is well under 500 KB).
	MaxFrameSize = 1 << 20
	// MinBitrate and MaxBitrate bound the target bitrate, in bits per
	// second.
	MinBitrate = 30_000
	MaxBitrate = 20_000_000
	// MaxFrameRate bounds the frame rate, in frames per second.
	MaxFrameRate = 60
	// MaxThreads bounds the encoder's and decoder's worker threads.
	MaxThreads = 8
	// MinSpeed and MaxSpeed bound cpu-used, libvpx's speed for VP8.
	MinSpeed = -16
	MaxSpeed = 16
)
