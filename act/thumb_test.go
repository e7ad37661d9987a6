package act

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestSendFileThumbnail: an image shared gets a small JPEG preview that
// crdt accepts, of the image's proportions; other files and broken images
// get none, and the file itself is stored whole either way.
func TestSendFileThumbnail(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	photo := photoPNG(t, 1200, 800)
	files := &fakeFiles{}
	_, ref, err := w.act.SendFile(ctx, w.cid, w.general, files, "team.png", bytes.NewReader(photo), int64(len(photo)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files.got, photo) {
		t.Fatalf("the store got %d bytes, want the %d of the image", len(files.got), len(photo))
	}
	if len(ref.Thumb) == 0 || len(ref.Thumb) > crdt.MaxThumbSize {
		t.Fatalf("thumbnail of %d bytes", len(ref.Thumb))
	}
	img, err := crdt.DecodeImage(ref.Thumb)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != ThumbSide || b.Dy() != ThumbSide*2/3 {
		t.Errorf("thumbnail %v, want %d × %d", b, ThumbSide, ThumbSide*2/3)
	}
	var got *crdt.Post
	w.rep.View(w.cid, func(c *crdt.Community) error {
		ps := c.View(w.general).Posts
		got = ps[len(ps)-1]
		return nil
	})
	if got.File == nil || !bytes.Equal(got.File.Thumb, ref.Thumb) {
		t.Fatal("the message does not carry the thumbnail")
	}

	for name, data := range map[string][]byte{
		"notes.pdf":  []byte("%PDF-1.7 not an image"),
		"broken.png": append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 300)...),
		"bomb.png":   bombHeader(60000, 60000),
	} {
		files := &fakeFiles{}
		_, ref, err := w.act.SendFile(ctx, w.cid, w.general, files, name, bytes.NewReader(data), int64(len(data)), "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ref.Thumb != nil || !bytes.Equal(files.got, data) {
			t.Errorf("%s: thumbnail of %d bytes, stored %d of %d bytes", name, len(ref.Thumb), len(files.got), len(data))
		}
	}
}

// TestThumbnailFits: a noisy photo that would not fit at full thumbnail
// size comes out smaller, within crdt's limit.
func TestThumbnailFits(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2000, 2000))
	x := uint32(1)
	for i := range img.Pix {
		x = x*1664525 + 1013904223
		img.Pix[i] = byte(x >> 24)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	th := Thumbnail(b.Bytes())
	if th == nil || len(th) > crdt.MaxThumbSize || crdt.CheckImage(th) != nil {
		t.Fatalf("thumbnail of noise: %d bytes", len(th))
	}
}
