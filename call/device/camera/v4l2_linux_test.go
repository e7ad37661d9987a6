//go:build linux

package camera

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"
)

// TestOpenRefuses: a missing device, or one that is not a camera, is a
// clear error.
func TestOpenRefuses(t *testing.T) {
	want := Request{640, 360, 30}
	dir := t.TempDir()
	file := filepath.Join(dir, "video0")
	if err := os.WriteFile(file, []byte("not a camera"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "video9"), want); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing device: %v, want ErrNotFound", err)
	}
	if _, err := Open(file, want); !errors.Is(err, ErrNotCamera) {
		t.Errorf("regular file: %v, want ErrNotCamera", err)
	}
	if _, err := os.Stat("/dev/null"); err == nil {
		if _, err := Open("/dev/null", want); !errors.Is(err, ErrNotCamera) {
			t.Errorf("/dev/null: %v, want ErrNotCamera", err)
		}
	}
	if _, err := Open(file, Request{640, 360, 0}); !errors.Is(err, ErrRequest) {
		t.Errorf("0 fps: %v, want ErrRequest", err)
	}
}

// TestList: nodes that are not cameras are left out, and none is not an
// error; List itself works on this machine whatever it has.
func TestList(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "video0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := listIn(filepath.Join(dir, "video*"))
	if err != nil || len(got) != 0 {
		t.Errorf("a directory with a non-camera: %v, %v", got, err)
	}
	all, err := List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if _, err := os.Stat(c.Path); errors.Is(err, fs.ErrNotExist) {
			t.Errorf("listed %s, which does not exist", c.Path)
		}
	}
	t.Logf("cameras here: %+v", all)
}

// TestConvert: a frame that does not fit the stream's mode is refused.
func TestConvert(t *testing.T) {
	m := Mode{Pixel: YUYV, Width: 4, Height: 2}
	if _, err := convert(m, make([]byte, 15)); !errors.Is(err, ErrBadFrame) {
		t.Errorf("short YUYV: %v", err)
	}
	if _, err := convert(m, make([]byte, 24)); !errors.Is(err, ErrBadFrame) {
		t.Errorf("YUYV of another size: %v", err)
	}
	img, err := convert(m, make([]byte, 16))
	if err != nil || img.Rect.Dx() != 4 {
		t.Errorf("YUYV: %v, %v", img, err)
	}
	jpg := encodeJPEG(t, flat(32, 16, color.Gray{90}))
	if _, err := convert(Mode{Pixel: MJPEG, Width: 640, Height: 360}, jpg); !errors.Is(err, ErrBadFrame) {
		t.Errorf("MJPEG of another size: %v", err)
	}
	if img, err := convert(Mode{Pixel: MJPEG, Width: 32, Height: 16}, jpg); err != nil || img.Rect.Dx() != 32 {
		t.Errorf("MJPEG: %v, %v", img, err)
	}
	if _, err := convert(Mode{Pixel: 7, Width: 4, Height: 2}, make([]byte, 16)); !errors.Is(err, ErrBadFrame) {
		t.Errorf("unknown format: %v", err)
	}
}

// fakeCamera is a streaming camera's queue: frames are dequeued in order,
// each must be released before the queue refills.
type fakeCamera struct {
	queue    [][]byte // frames ready, oldest first
	held     map[uint32]bool
	next     uint32
	released []uint32
	closed   bool
	onWait   func() // called by WaitForFrame, if set
}

func (c *fakeCamera) WaitForFrame(uint32) error {
	if c.onWait != nil {
		c.onWait()
	}
	if len(c.queue) == 0 {
		return new(webcam.Timeout)
	}
	return nil
}

func (c *fakeCamera) GetFrame() ([]byte, uint32, error) {
	if len(c.queue) == 0 {
		return nil, 0, unix.EAGAIN
	}
	f := c.queue[0]
	c.queue = c.queue[1:]
	c.next++
	c.held[c.next] = true
	return f, c.next, nil
}

func (c *fakeCamera) ReleaseFrame(i uint32) error {
	if !c.held[i] {
		return fmt.Errorf("release of buffer %d not held", i)
	}
	delete(c.held, i)
	c.released = append(c.released, i)
	return nil
}

func (c *fakeCamera) Close() error { c.closed = true; return nil }

func yuyv(w, h int, y byte) []byte {
	b := make([]byte, 2*w*h)
	for i := range b {
		b[i] = 128
		if i%2 == 0 {
			b[i] = y
		}
	}
	return b
}

func fakeDevice(cam *fakeCamera) *Device {
	cam.held = map[uint32]bool{}
	return &Device{path: "/dev/fake", mode: Mode{Pixel: YUYV, Width: 4, Height: 2, FrameRate: 30}, cam: cam, done: make(chan struct{})}
}

// TestDeviceRead: Read returns the newest queued frame and gives every
// buffer back; it waits through timeouts, skips frames it cannot
// convert until MaxBadFrames in a row, and ends on Close or the context.
func TestDeviceRead(t *testing.T) {
	cam := &fakeCamera{queue: [][]byte{yuyv(4, 2, 16), yuyv(4, 2, 126), yuyv(4, 2, 235)}}
	d := fakeDevice(cam)
	img, err := d.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if img.Y[0] != 255 {
		t.Errorf("read a frame of Y %d, want the newest (255)", img.Y[0])
	}
	if len(cam.held) != 0 || len(cam.released) != 3 {
		t.Errorf("held %v, released %v", cam.held, cam.released)
	}

	// A timeout, then one bad frame and a good one: the good one.
	waits := 0
	cam.onWait = func() {
		waits++
		if waits == 2 {
			cam.queue = [][]byte{yuyv(4, 3, 0)}
		}
		if waits == 3 {
			cam.queue = [][]byte{yuyv(4, 2, 126)}
		}
	}
	if img, err := d.Read(t.Context()); err != nil || img.Y[0] != 128 {
		t.Fatalf("after a timeout and a bad frame: %v, %v", img, err)
	}

	// Only bad frames: an error after MaxBadFrames.
	cam.onWait = func() { cam.queue = [][]byte{[]byte("torn")} }
	if _, err := d.Read(t.Context()); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("bad frames only: %v, want ErrBadFrame", err)
	}
	if len(cam.held) != 0 {
		t.Errorf("buffers held after bad frames: %v", cam.held)
	}

	// The context, then Close.
	ctx, cancel := context.WithCancel(t.Context())
	cam.onWait = cancel
	cam.queue = nil
	if _, err := d.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := d.Close(); err != nil || !cam.closed {
		t.Fatalf("Close: %v, camera closed %v", err, cam.closed)
	}
	if _, err := d.Read(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
