package camera

import "time"

// Limits on what a camera or a caller may make the package hold.
const (
	// MaxWidth and MaxHeight bound a picture's size, in pixels (what
	// package call/codec/vpx encodes at most).
	MaxWidth  = 1920
	MaxHeight = 1080
	// MaxFrameRate bounds the frame rate asked for, in frames per second.
	MaxFrameRate = 60
	// MaxJPEGSize bounds one MJPEG frame from a camera, in bytes (a
	// 1080p MJPEG frame is a few hundred KB).
	MaxJPEGSize = 4 << 20
	// MaxDevices bounds how many /dev/video* nodes List looks at.
	MaxDevices = 64
	// MaxBadFrames is how many frames in a row a camera may deliver that
	// cannot be converted (a torn MJPEG frame) before Read fails.
	MaxBadFrames = 30
	// buffers is how many frame buffers a camera streams into.
	buffers = 4
	// pollInterval bounds how long Read waits for a camera's next frame
	// before it looks at its context and at Close again.
	pollInterval = 100 * time.Millisecond
)
