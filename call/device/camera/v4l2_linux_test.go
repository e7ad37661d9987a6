//go:build linux

package camera

import (
	"errors"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
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
