package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// fakeClip is a system clipboard holding a picture (or failing).
type fakeClip struct {
	png []byte
	err error
}

func (f *fakeClip) ImagePNG(context.Context) ([]byte, error) { return f.png, f.err }

// TestPasteImage: pasting with a picture copied as pixels (no text in
// Fyne's clipboard) shares it as a PNG file after the usual
// confirmation; with no picture it pastes nothing; where the clipboard
// cannot be read for pictures, it says what to install.
func TestPasteImage(t *testing.T) {
	h, _ := fileHarness(t)
	f := h.f
	h.community("Glow Team", "member", 4, "General")
	clip := &fakeClip{png: testPNG(t, 200, 120, color.RGBA{200, 40, 90, 255})}
	h.a.files.images = clip
	h.a.files.pasteDir = t.TempDir()
	cb := fyne.CurrentApp().Clipboard()
	cb.SetContent("")
	paste := func() {
		h.a.convo.composer.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
		h.drain()
	}
	paste()
	d := h.a.lastDialog
	if d == nil || d.title != "Share a file in General" || !strings.Contains(h.dialogText(), "Pasted image ") || !strings.Contains(h.dialogText(), ".png") {
		t.Fatalf("pasting a picture shows %v: %s", d, h.dialogText())
	}
	d.confirm.OnTapped()
	h.drain()
	if last := f.posts[len(f.posts)-1]; !strings.HasPrefix(last, "file:Pasted image ") || !strings.HasSuffix(last, ".png") {
		t.Fatalf("posted %v", f.posts)
	}
	if got := h.last(); !strings.Contains(got, "[image]") || !strings.Contains(got, "PNG image") {
		t.Fatalf("the pasted picture shows %s", got)
	}
	saved, _ := filepath.Glob(filepath.Join(h.a.files.pasteDir, "*.png"))
	if len(saved) != 1 {
		t.Fatalf("saved %v", saved)
	}
	if b, _ := os.ReadFile(saved[0]); !bytes.Equal(b, clip.png) {
		t.Fatal("the saved picture differs from the clipboard's")
	}

	posts := len(f.posts)
	h.a.lastDialog = nil
	clip.png, clip.err = nil, errNoClipImage
	paste()
	if h.a.lastDialog != nil || len(f.posts) != posts {
		t.Fatalf("a paste with nothing in the clipboard showed %v, posted %v", h.a.lastDialog, f.posts[posts:])
	}
	clip.err = errNoClipTool
	paste()
	if d := h.a.lastDialog; d == nil || d.title != "Cannot paste the picture" || !strings.Contains(h.dialogText(), "xclip") {
		t.Fatalf("with no clipboard tool: %v %s", d, h.dialogText())
	}
	// Text pastes as text, never as a picture.
	h.a.lastDialog = nil
	clip.png, clip.err = testPNG(t, 10, 10, color.Black), nil
	cb.SetContent("hello")
	h.a.convo.composer.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
	h.drain()
	if h.a.lastDialog != nil || h.a.convo.composer.Text != "hello" {
		t.Fatalf("pasting text: dialog %v, composer %q", h.a.lastDialog, h.a.convo.composer.Text)
	}
	// A picture's bytes handed over as text (xclip -t image/png does)
	// share the picture; they never land in the composer.
	h.a.convo.composer.SetText("")
	cb.SetContent(string(clip.png))
	paste()
	if d := h.a.lastDialog; d == nil || d.title != "Share a file in General" || h.a.convo.composer.Text != "" {
		t.Fatalf("pasting a picture's bytes as text: dialog %v, composer %q", d, h.a.convo.composer.Text)
	}
}

// TestToolClipboard: the picture is read with wl-paste on Wayland and
// xclip on X11, the best type the clipboard offers taken and converted to
// PNG; no display or no tool is errNoClipTool, no picture errNoClipImage.
func TestToolClipboard(t *testing.T) {
	pngData := testPNG(t, 30, 20, color.RGBA{10, 200, 30, 255})
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 16, 8)), nil)
	type call struct {
		tool string
		args []string
	}
	world := func(env map[string]string, tools []string, types string, data []byte) (*toolClipboard, *[]call) {
		var calls []call
		return &toolClipboard{
			getenv: func(k string) string { return env[k] },
			lookPath: func(name string) (string, error) {
				if slices.Contains(tools, name) {
					return "/usr/bin/" + name, nil
				}
				return "", errors.New("not found")
			},
			output: func(_ context.Context, max int64, path string, args ...string) ([]byte, error) {
				calls = append(calls, call{filepath.Base(path), args})
				if slices.Contains(args, "--list-types") || slices.Contains(args, "TARGETS") {
					return []byte(types), nil
				}
				if int64(len(data)) > max {
					return nil, errors.New("too large")
				}
				return data, nil
			},
		}, &calls
	}
	wayland := map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
	x11 := map[string]string{"DISPLAY": ":0"}

	c, calls := world(wayland, []string{"wl-paste", "xclip"}, "text/plain\nimage/png\nimage/jpeg\n", pngData)
	if got, err := c.ImagePNG(t.Context()); err != nil || !bytes.Equal(got, pngData) {
		t.Fatalf("wayland: %d bytes, %v", len(got), err)
	}
	if want := []string{"--no-newline", "--type", "image/png"}; len(*calls) != 2 || (*calls)[1].tool != "wl-paste" || !slices.Equal((*calls)[1].args, want) {
		t.Fatalf("wayland calls %v", *calls)
	}

	c, calls = world(x11, []string{"xclip"}, "TARGETS\nimage/jpeg\nUTF8_STRING\n", jpg.Bytes())
	got, err := c.ImagePNG(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(got)); err != nil || img.Bounds().Dx() != 16 {
		t.Fatalf("x11 jpeg not converted to a 16-pixel-wide PNG: %v", err)
	}
	if want := []string{"-selection", "clipboard", "-t", "image/jpeg", "-o"}; (*calls)[1].tool != "xclip" || !slices.Equal((*calls)[1].args, want) {
		t.Fatalf("x11 calls %v", *calls)
	}

	for name, tc := range map[string]struct {
		c    *toolClipboard
		want error
	}{
		"no display":    {func() *toolClipboard { c, _ := world(nil, []string{"xclip"}, "", nil); return c }(), errNoClipTool},
		"no xclip":      {func() *toolClipboard { c, _ := world(x11, nil, "", nil); return c }(), errNoClipTool},
		"text only":     {func() *toolClipboard { c, _ := world(x11, []string{"xclip"}, "UTF8_STRING\nTEXT\n", nil); return c }(), errNoClipImage},
		"not a picture": {func() *toolClipboard { c, _ := world(x11, []string{"xclip"}, "image/png\n", []byte("junk")); return c }(), nil},
	} {
		_, err := tc.c.ImagePNG(t.Context())
		if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && (err == nil || !strings.Contains(err.Error(), "cannot be read")) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRunToolBound: a tool's output is read up to the bound, and one
// that writes more fails instead of filling memory.
func TestRunToolBound(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	if b, err := runTool(t.Context(), 10, sh, "-c", "printf 0123456789"); err != nil || string(b) != "0123456789" {
		t.Fatalf("within the bound: %q, %v", b, err)
	}
	if _, err := runTool(t.Context(), 10, sh, "-c", "printf 0123456789A"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("past the bound: %v", err)
	}
}
