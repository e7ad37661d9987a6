package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// clipImages reads a picture copied as pixels (a screenshot, an image
// copied in a browser) from the system's clipboard, which Fyne's
// clipboard cannot: it holds text only.
type clipImages interface {
	// ImagePNG returns the clipboard's picture as PNG, errNoClipImage
	// when it holds none, errNoClipTool when the clipboard cannot be read
	// for pictures on this system.
	ImagePNG(ctx context.Context) ([]byte, error)
}

// Errors of reading a picture from the clipboard.
var (
	errNoClipImage = errors.New("the clipboard holds no picture")
	errNoClipTool  = errors.New("pasting a picture needs xclip (X11) or wl-clipboard (Wayland); install one, or save the picture and attach it")
)

// maxPasteImage bounds a picture read from the clipboard, in bytes.
const maxPasteImage = 50 << 20

// clipTimeout bounds the reading of a picture from the clipboard.
const clipTimeout = 5 * time.Second

// clipTypes are the picture types taken from the clipboard, best first;
// one not PNG is converted.
var clipTypes = []string{"image/png", "image/jpeg", "image/gif"}

// toolClipboard reads the clipboard's picture with the system's tools:
// wl-paste on Wayland, xclip on X11.
type toolClipboard struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	// output runs a tool and returns at most max bytes of what it writes.
	output func(ctx context.Context, max int64, path string, args ...string) ([]byte, error)
}

// newToolClipboard returns the clipboard of this system.
func newToolClipboard() *toolClipboard {
	return &toolClipboard{getenv: os.Getenv, lookPath: exec.LookPath, output: runTool}
}

// runTool runs the tool at path with args and returns what it writes to
// its output, failing when that passes max bytes.
func runTool(ctx context.Context, max int64, path string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b, rerr := io.ReadAll(io.LimitReader(out, max+1))
	if int64(len(b)) > max {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("the picture in the clipboard is larger than %s", formatSize(max))
	}
	if err := errors.Join(rerr, cmd.Wait()); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return b, nil
}

// ImagePNG implements clipImages: it lists the clipboard's types, takes
// the best picture type there is, and converts it to PNG.
func (c *toolClipboard) ImagePNG(ctx context.Context) ([]byte, error) {
	var list func() []string
	var read func(typ string) []string
	var tool string
	switch {
	case c.getenv("WAYLAND_DISPLAY") != "":
		tool = "wl-paste"
		list = func() []string { return []string{"--list-types"} }
		read = func(typ string) []string { return []string{"--no-newline", "--type", typ} }
	case c.getenv("DISPLAY") != "":
		tool = "xclip"
		list = func() []string { return []string{"-selection", "clipboard", "-t", "TARGETS", "-o"} }
		read = func(typ string) []string { return []string{"-selection", "clipboard", "-t", typ, "-o"} }
	default:
		return nil, errNoClipTool
	}
	path, err := c.lookPath(tool)
	if err != nil {
		return nil, errNoClipTool
	}
	types, err := c.output(ctx, 64<<10, path, list()...)
	if err != nil {
		// An empty clipboard makes some tools fail: nothing to paste.
		return nil, errNoClipImage
	}
	have := strings.Fields(string(types))
	i := slices.IndexFunc(clipTypes, func(t string) bool { return slices.Contains(have, t) })
	if i < 0 {
		return nil, errNoClipImage
	}
	b, err := c.output(ctx, maxPasteImage, path, read(clipTypes[i])...)
	if err != nil {
		return nil, err
	}
	return asPNG(b)
}

// asPNG checks that b is a picture of a size the app shows, and returns
// it as PNG.
func asPNG(b []byte) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the clipboard's picture cannot be read: %w", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > maxPreviewPixels {
		return nil, fmt.Errorf("the clipboard's picture is %d×%d pixels, too large to share", cfg.Width, cfg.Height)
	}
	if format == "png" {
		return b, nil
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("the clipboard's picture cannot be read: %w", err)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("convert the clipboard's picture: %w", err)
	}
	return out.Bytes(), nil
}

// savePasted writes a pasted picture into dir as "Pasted image <time>.png"
// (a new name each time) and returns its path, to share like any file.
func savePasted(dir string, png []byte, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("save the pasted picture: %w", err)
	}
	base := "Pasted image " + now.Format("2006-01-02 15.04.05")
	for n := 1; ; n++ {
		name := base + ".png"
		if n > 1 {
			name = fmt.Sprintf("%s (%d).png", base, n)
		}
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("save the pasted picture: %w", err)
		}
		_, err = f.Write(png)
		if err = errors.Join(err, f.Close()); err != nil {
			os.Remove(p)
			return "", fmt.Errorf("save the pasted picture: %w", err)
		}
		return p, nil
	}
}

// pasteImage shares the picture the clipboard holds as pixels in the
// open group, as a PNG file, after the usual confirmation with a
// caption. A clipboard with no picture pastes nothing; one that cannot be
// read for pictures says what to install.
func (c *conversation) pasteImage() {
	if c.win == nil || !c.openGroup.CanPost {
		return
	}
	fm := c.a.files
	var path string
	dir, now := fm.pasteDir, c.a.now()
	c.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), clipTimeout)
		defer cancel()
		b, err := fm.images.ImagePNG(ctx)
		if err != nil {
			return err
		}
		path, err = savePasted(dir, b, now)
		return err
	}, func(err error) {
		switch {
		case errors.Is(err, errNoClipImage):
		case errors.Is(err, errNoClipTool):
			c.a.showErrorText("Cannot paste the picture", errNoClipTool.Error())
		case err != nil:
			c.a.showError("Cannot paste the picture", err)
		default:
			c.confirmSend([]string{path})
		}
	})
}
