//go:build linux

package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"
)

// devices is where List looks for cameras.
const devices = "/dev/video*"

// List returns the cameras: the /dev/video* nodes that are V4L2 capture
// devices able to stream (a camera usually has a second node for
// metadata, which is left out), with their formats and sizes, sorted by
// path. Nodes that cannot be opened (busy, no permission) are left out.
func List() ([]Info, error) { return listIn(devices) }

func listIn(pattern string) ([]Info, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("camera: list %s: %w", pattern, err)
	}
	slices.Sort(paths)
	if len(paths) > MaxDevices {
		paths = paths[:MaxDevices]
	}
	var out []Info
	for _, p := range paths {
		cam, err := openDevice(p)
		if err != nil {
			continue
		}
		out = append(out, describe(p, cam))
		cam.Close()
	}
	return out, nil
}

// openDevice opens a V4L2 capture device, naming what went wrong.
func openDevice(path string) (*webcam.Webcam, error) {
	cam, err := webcam.Open(path)
	if err == nil {
		return cam, nil
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	case errors.Is(err, unix.EBUSY):
		return nil, fmt.Errorf("%w: %s", ErrBusy, path)
	case errors.Is(err, unix.ENOTTY), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return nil, fmt.Errorf("%w: %s: %w", ErrNotCamera, path, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("camera: open %s (is the user in the video group?): %w", path, err)
	}
	// webcam.Open's own refusals (no capture, no streaming) carry no errno.
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotCamera, path, err)
	}
	return nil, fmt.Errorf("camera: open %s: %w", path, err)
}

// describe reads what an open camera offers.
func describe(path string, cam *webcam.Webcam) Info {
	info := Info{Path: path}
	info.Name, _ = cam.GetName() // a camera without a name is still a camera
	for pf, desc := range cam.GetSupportedFormats() {
		f := Format{Pixel: PixelFormat(pf), Description: desc}
		for _, s := range cam.GetSupportedFrameSizes(pf) {
			fs := FrameSize{
				MinWidth: int(s.MinWidth), MaxWidth: int(s.MaxWidth), StepWidth: int(s.StepWidth),
				MinHeight: int(s.MinHeight), MaxHeight: int(s.MaxHeight), StepHeight: int(s.StepHeight),
			}
			if s.StepWidth == 0 && s.StepHeight == 0 {
				fs.MaxFrameRate = maxRate(cam.GetSupportedFramerates(pf, s.MaxWidth, s.MaxHeight))
			}
			f.Sizes = append(f.Sizes, fs)
		}
		info.Formats = append(info.Formats, f)
	}
	slices.SortFunc(info.Formats, func(a, b Format) int { return int(a.Pixel) - int(b.Pixel) })
	return info
}

// maxRate is the highest frame rate of a camera's frame intervals
// (V4L2 gives intervals: 1/30 s is 30 fps).
func maxRate(rates []webcam.FrameRate) float64 {
	best := 0.0
	for _, r := range rates {
		if r.MinNumerator > 0 { // the shortest interval is the highest rate
			best = max(best, float64(r.MinDenominator)/float64(r.MinNumerator))
		}
	}
	return best
}

// Device is a camera opened for capture: a Source.
type Device struct {
	path string
	mode Mode
	done chan struct{} // closed by Close
	once sync.Once

	mu  sync.Mutex
	cam capturer // nil once closed; guarded by mu
	bad int      // frames in a row that could not be converted; guarded by mu
}

var _ Source = (*Device)(nil)

// capturer is what a Device reads a streaming camera through: the part
// of *webcam.Webcam it uses, so that Read is tested without a camera.
type capturer interface {
	WaitForFrame(timeoutMillis uint32) error
	GetFrame() (frame []byte, index uint32, err error)
	ReleaseFrame(index uint32) error
	Close() error
}

var _ capturer = (*webcam.Webcam)(nil)

// Open opens the camera at path (e.g. /dev/video0) in the mode Choose
// picks for want among what it offers and starts streaming. A missing
// device is ErrNotFound, one another program holds ErrBusy.
func Open(path string, want Request) (*Device, error) {
	if err := want.Validate(); err != nil {
		return nil, err
	}
	cam, err := openDevice(path)
	if err != nil {
		return nil, err
	}
	d, err := start(path, cam, want)
	if err != nil {
		cam.Close()
		return nil, err
	}
	return d, nil
}

func start(path string, cam *webcam.Webcam, want Request) (*Device, error) {
	info := describe(path, cam)
	mode, err := Choose(info.Formats, want)
	if err != nil {
		return nil, fmt.Errorf("camera: %s: %w", path, err)
	}
	pf, _, _, err := cam.SetImageFormat(webcam.PixelFormat(mode.Pixel), uint32(mode.Width), uint32(mode.Height))
	switch {
	case errors.Is(err, unix.EBUSY):
		return nil, fmt.Errorf("%w: %s", ErrBusy, path)
	case err != nil:
		return nil, fmt.Errorf("camera: %s: set format %v %dx%d: %w", path, mode.Pixel, mode.Width, mode.Height, err)
	case PixelFormat(pf) != mode.Pixel:
		return nil, fmt.Errorf("%w: %s: asked for %v, the driver set %v", ErrNoMode, path, mode.Pixel, PixelFormat(pf))
	}
	// Not every driver lets the rate be set; frames then come at the
	// camera's own rate, which Mode does not promise.
	if err := cam.SetFramerate(float32(mode.FrameRate)); err != nil {
		mode.FrameRate = 0
	}
	if err := cam.SetBufferCount(buffers); err != nil {
		return nil, fmt.Errorf("camera: %s: %w", path, err)
	}
	if err := cam.StartStreaming(); err != nil {
		return nil, fmt.Errorf("camera: %s: start streaming (is another program using the camera?): %w", path, err)
	}
	return &Device{path: path, mode: mode, cam: cam, done: make(chan struct{})}, nil
}

// Mode returns the mode the camera streams in.
func (d *Device) Mode() Mode { return d.mode }

// Path returns the camera's device node.
func (d *Device) Path() string { return d.path }

// Read waits for the camera's next frame and converts it; of frames
// that queued up since the last Read only the newest is returned. Frames
// that cannot be converted are skipped, MaxBadFrames in a row are an
// ErrBadFrame.
func (d *Device) Read(ctx context.Context) (*image.YCbCr, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-d.done:
			return nil, ErrClosed
		default:
		}
		img, err := d.next()
		if img != nil || err != nil {
			return img, err
		}
	}
}

// next waits up to pollInterval for a frame and converts it; it returns
// nothing and no error when there was no frame or it was skipped.
func (d *Device) next() (*image.YCbCr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cam == nil {
		return nil, ErrClosed
	}
	err := d.cam.WaitForFrame(uint32(pollInterval.Milliseconds()))
	var timeout *webcam.Timeout
	switch {
	case errors.As(err, &timeout), errors.Is(err, unix.EINTR):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("camera: %s: wait for a frame: %w", d.path, err)
	}
	frame, index, err := d.cam.GetFrame()
	if errors.Is(err, unix.EAGAIN) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("camera: %s: read a frame: %w", d.path, err)
	}
	// If frames queued up while the caller was busy, the newest one is
	// what a call should send: older ones only add delay.
	for {
		newer, i, err := d.cam.GetFrame()
		if err != nil {
			break // EAGAIN: nothing newer (anything else, the next Read sees)
		}
		if err := d.cam.ReleaseFrame(index); err != nil {
			d.cam.ReleaseFrame(i)
			return nil, fmt.Errorf("camera: %s: release a frame: %w", d.path, err)
		}
		frame, index = newer, i
	}
	img, convErr := convert(d.mode, frame)
	if err := d.cam.ReleaseFrame(index); err != nil {
		return nil, fmt.Errorf("camera: %s: release a frame: %w", d.path, err)
	}
	if convErr != nil {
		d.bad++
		if d.bad >= MaxBadFrames {
			return nil, fmt.Errorf("camera: %s: %d frames in a row: %w", d.path, d.bad, convErr)
		}
		return nil, nil
	}
	d.bad = 0
	return img, nil
}

// convert turns one frame of the camera's format into a new picture.
func convert(m Mode, frame []byte) (*image.YCbCr, error) {
	switch m.Pixel {
	case YUYV:
		// A driver that changed the size would be misread: the length
		// must be exactly the mode's.
		if len(frame) != 2*m.Width*m.Height {
			return nil, fmt.Errorf("%w: YUYV frame of %d bytes in a %dx%d stream", ErrBadFrame, len(frame), m.Width, m.Height)
		}
		img := NewI420(m.Width, m.Height)
		if err := YUYVToI420(img, frame, m.Width, m.Height); err != nil {
			return nil, err
		}
		return img, nil
	case I420:
		img := NewI420(m.Width, m.Height)
		if err := I420Copy(img, frame, m.Width, m.Height); err != nil {
			return nil, err
		}
		return img, nil
	case MJPEG:
		img, err := JPEGToI420(frame)
		if err != nil {
			return nil, err
		}
		if img.Rect.Dx() != m.Width || img.Rect.Dy() != m.Height {
			return nil, fmt.Errorf("%w: MJPEG frame of %v in a %dx%d stream", ErrBadFrame, img.Rect.Size(), m.Width, m.Height)
		}
		return img, nil
	}
	return nil, fmt.Errorf("%w: format %v", ErrBadFrame, m.Pixel)
}

// Close stops streaming and closes the device; a Read waiting returns
// ErrClosed within pollInterval. Closing it again does nothing.
func (d *Device) Close() error {
	d.once.Do(func() { close(d.done) })
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cam == nil {
		return nil
	}
	err := d.cam.Close()
	d.cam = nil
	if err != nil {
		return fmt.Errorf("camera: close %s: %w", d.path, err)
	}
	return nil
}
