package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
)

// Errors a caller may branch on.
var (
	// ErrClosed: the Source was closed.
	ErrClosed = errors.New("camera: closed")
	// ErrNotFound: no device at the path.
	ErrNotFound = errors.New("camera: no such device")
	// ErrBusy: another program is using the camera.
	ErrBusy = errors.New("camera: device busy")
	// ErrNotCamera: the device is not a V4L2 camera that can stream.
	ErrNotCamera = errors.New("camera: not a video capture device")
	// ErrNoMode: the camera offers no format this package converts, or
	// none within the limits.
	ErrNoMode = errors.New("camera: no usable format")
	// ErrBadFrame: a frame from the camera cannot be converted.
	ErrBadFrame = errors.New("camera: bad frame")
	// ErrRequest: a Request is outside the limits.
	ErrRequest = errors.New("camera: bad request")
)

// Source delivers pictures: a camera, or a test pattern.
type Source interface {
	// Read waits for the next picture and returns it, the caller's to
	// keep: 4:2:0, of Mode's size, with its origin at (0, 0). It returns
	// ErrClosed once the Source is closed and ctx's error if ctx ends.
	Read(ctx context.Context) (*image.YCbCr, error)
	// Mode is the size and rate the Source delivers.
	Mode() Mode
	// Close stops the Source and frees it; a Read waiting returns
	// ErrClosed. Closing it again does nothing.
	Close() error
}

// Request is the picture a caller would like: a camera is opened in the
// mode closest to it.
type Request struct {
	// Width and Height are the picture's size in pixels.
	Width, Height int
	// FrameRate is the frames per second.
	FrameRate int
}

// Validate reports a Request outside the limits.
func (r Request) Validate() error {
	if r.Width < 2 || r.Width > MaxWidth || r.Height < 2 || r.Height > MaxHeight ||
		r.FrameRate < 1 || r.FrameRate > MaxFrameRate {
		return fmt.Errorf("%w: %dx%d at %d fps (at most %dx%d at %d)", ErrRequest,
			r.Width, r.Height, r.FrameRate, MaxWidth, MaxHeight, MaxFrameRate)
	}
	return nil
}

// Mode is what a Source delivers.
type Mode struct {
	// Pixel is the camera's own format, converted to I420 by Read
	// (I420 for the test pattern).
	Pixel PixelFormat
	// Width and Height are the picture's size in pixels.
	Width, Height int
	// FrameRate is the frames per second (0 when the camera does not
	// say).
	FrameRate float64
}

// PixelFormat is a V4L2 pixel format, its four-character code.
type PixelFormat uint32

// The pixel formats Read converts.
const (
	// YUYV is packed 4:2:2, Y0 U Y1 V for every two pixels (V4L2 "YUYV").
	YUYV = PixelFormat('Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24)
	// MJPEG is one JPEG picture per frame (V4L2 "MJPG").
	MJPEG = PixelFormat('M' | 'J'<<8 | 'P'<<16 | 'G'<<24)
	// I420 is planar 4:2:0, Y then U then V (V4L2 "YU12").
	I420 = PixelFormat('Y' | 'U'<<8 | '1'<<16 | '2'<<24)
)

// String returns the four-character code.
func (f PixelFormat) String() string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("PixelFormat(%#x)", uint32(f))
		}
	}
	return string(b)
}

// Converts reports whether Read converts the format.
func (f PixelFormat) Converts() bool { return f == YUYV || f == MJPEG || f == I420 }

// Info describes one camera.
type Info struct {
	// Path is its device node, e.g. /dev/video0.
	Path string
	// Name is the driver's name for it ("HD Webcam C525").
	Name string
	// Formats are the pixel formats it offers, with their sizes.
	Formats []Format
}

// Format is one pixel format a camera offers.
type Format struct {
	// Pixel is the format.
	Pixel PixelFormat
	// Description is the driver's name for it.
	Description string
	// Sizes are the sizes it offers in this format.
	Sizes []FrameSize
}

// FrameSize is one size, or a range of sizes, a camera offers in a
// format.
type FrameSize struct {
	// MinWidth..MaxWidth in steps of StepWidth, likewise the height; a
	// single size has Min equal to Max and Step 0.
	MinWidth, MaxWidth, StepWidth    int
	MinHeight, MaxHeight, StepHeight int
	// MaxFrameRate is the highest frame rate at this size (0: unknown).
	MaxFrameRate float64
}
