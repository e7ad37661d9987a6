package act

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// photoPNG encodes a w × h PNG, its left half red and its right half blue.
func photoPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 200, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombHeader is a PNG whose valid header claims w × h pixels.
func bombHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	c := binary.BigEndian.AppendUint32(nil, 13)
	c = append(c, "IHDR"...)
	c = append(c, ihdr...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return append([]byte("\x89PNG\r\n\x1a\n"), c...)
}

// zeros reads n zero bytes.
func zeros(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestPreparePicture: a photo becomes its centred square, at most
// PictureSide pixels, as a picture the protocol carries; hostile or
// foreign files are refused with ErrImage and words that say why.
func TestPreparePicture(t *testing.T) {
	for _, tc := range []struct {
		name       string
		w, h, side int
	}{
		{"landscape", 900, 600, PictureSide},
		{"portrait", 300, 1200, PictureSide},
		{"small", 100, 40, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := PreparePicture(bytes.NewReader(photoPNG(t, tc.w, tc.h)))
			if err != nil {
				t.Fatal(err)
			}
			img, err := crdt.DecodeImage(out)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.side || b.Dy() != tc.side {
				t.Fatalf("picture is %v, want %d square", b, tc.side)
			}
			// Centred: the left quarter is red, the right quarter blue.
			r, _, bl, _ := img.At(tc.side/8, tc.side/2).RGBA()
			r2, _, bl2, _ := img.At(tc.side*7/8, tc.side/2).RGBA()
			if r < bl || bl2 < r2 {
				t.Fatalf("not the centred square: left %d/%d, right %d/%d", r, bl, r2, bl2)
			}
		})
	}
	for _, tc := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"bomb", bytes.NewReader(bombHeader(100000, 100000)), "megapixels"},
		{"not an image", strings.NewReader("GIF89a, or a text"), "not a JPEG or PNG"},
		{"too large a file", zeros(MaxSourcePictureSize + 1), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PreparePicture(tc.r)
			if !errors.Is(err, crdt.ErrImage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrImage saying %q", err, tc.want)
			}
		})
	}
}

// TestSetPhotoAndIcon: the member's photo goes to the communities it is
// in, the owner's icon to its community, and a hostile picture is refused
// before anything is written.
func TestSetPhotoAndIcon(t *testing.T) {
	w := newWorld(t)
	pic, err := PreparePicture(bytes.NewReader(photoPNG(t, 300, 300)))
	if err != nil {
		t.Fatal(err)
	}
	p := newProfile(t, w, &fakeSaver{}, heldList{w.cid, {7}}, memberOf{w.cid: true})
	w.journal = nil
	if err := p.SetPhoto(t.Context(), bombHeader(9000, 9000)); !errors.Is(err, crdt.ErrInvalid) || !errors.Is(err, crdt.ErrImage) {
		t.Fatalf("bomb photo: got %v, want ErrInvalid and ErrImage", err)
	}
	if err := w.act.SetIcon(t.Context(), w.cid, []byte("not a picture")); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("bad icon: got %v, want ErrInvalid", err)
	}
	if len(w.journal) != 0 {
		t.Fatalf("refused pictures wrote %q", w.journal)
	}
	if err := p.SetPhoto(t.Context(), pic); err != nil {
		t.Fatal(err)
	}
	if err := w.act.SetIcon(t.Context(), w.cid, pic); err != nil {
		t.Fatal(err)
	}
	if want := []string{"photo", "icon"}; !slices.Equal(w.journal, want) {
		t.Fatalf("writes %q, want %q", w.journal, want)
	}
	err = w.rep.View(w.cid, func(c *crdt.Community) error {
		st := c.State()
		if m := st.Members[member(0).Key()]; m == nil || m.Photo == nil || !bytes.Equal(m.Photo.Data, pic) {
			return errors.New("no photo in the state")
		}
		if st.Icon == nil || !bytes.Equal(st.Icon.Data, pic) {
			return errors.New("no icon in the state")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPhotoKeptForJoin: a photo set before the member is in a community
// is kept, and written to the community it then joins; a removed photo is
// not.
func TestPhotoKeptForJoin(t *testing.T) {
	w := newWorld(t)
	pic, err := PreparePicture(bytes.NewReader(photoPNG(t, 300, 300)))
	if err != nil {
		t.Fatal(err)
	}
	p := newProfile(t, w, &fakeSaver{}, heldList{w.cid}, memberOf{})
	w.journal = nil
	if err := p.Joined(t.Context(), w.cid); err != nil || len(w.journal) != 0 {
		t.Fatalf("no photo: Joined wrote %q, err %v", w.journal, err)
	}
	if err := p.SetPhoto(t.Context(), pic); err != nil {
		t.Fatal(err)
	}
	if len(w.journal) != 0 {
		t.Fatalf("not yet a member, SetPhoto wrote %q", w.journal)
	}
	if ph := p.Photo(); ph == nil || !bytes.Equal(ph.Data, pic) {
		t.Fatalf("Photo() = %v, want the photo set", ph)
	}
	if err := p.Joined(t.Context(), w.cid); err != nil {
		t.Fatal(err)
	}
	if want := []string{"photo"}; !slices.Equal(w.journal, want) {
		t.Fatalf("Joined wrote %q, want %q", w.journal, want)
	}
	err = w.rep.View(w.cid, func(c *crdt.Community) error {
		if m := c.State().Members[member(0).Key()]; m == nil || m.Photo == nil || !bytes.Equal(m.Photo.Data, pic) {
			return errors.New("no photo in the state after Joined")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetPhoto(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	w.journal = nil
	if err := p.Joined(t.Context(), w.cid); err != nil || p.Photo() != nil || len(w.journal) != 0 {
		t.Fatalf("removed photo: Photo() %v, Joined wrote %q, err %v", p.Photo(), w.journal, err)
	}
}

// fakePhotos records the photos saved.
type fakePhotos struct{ saved [][]byte }

func (f *fakePhotos) SavePhoto(b []byte) error {
	f.saved = append(f.saved, b)
	return nil
}

// TestPhotoSurvivesRestart: the photo set is saved, and a Profile started
// with it keeps it for the next join; a saved file that is no picture is
// dropped.
func TestPhotoSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	pic, err := PreparePicture(bytes.NewReader(photoPNG(t, 300, 300)))
	if err != nil {
		t.Fatal(err)
	}
	photos := &fakePhotos{}
	cfg := ProfileConfig{Name: "Ann", Photos: photos, Saver: &fakeSaver{}, Author: fakeAuthor{w.rep, member(0), &w.journal},
		Held: heldList{}, Member: memberOf{}}
	p, err := NewProfile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetPhoto(t.Context(), pic); err != nil {
		t.Fatal(err)
	}
	if len(photos.saved) != 1 || !bytes.Equal(photos.saved[0], pic) {
		t.Fatalf("saved %d photos", len(photos.saved))
	}
	cfg.Photo = photos.saved[0]
	again, err := NewProfile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ph := again.Photo(); ph == nil || !bytes.Equal(ph.Data, pic) || ph.Op != p.Photo().Op {
		t.Fatal("a restarted profile lost the photo")
	}
	cfg.Photo = []byte("not a picture")
	if bad, err := NewProfile(cfg); err != nil || bad.Photo() != nil {
		t.Fatalf("a bad saved photo: %v, %v", err, bad.Photo())
	}
}
