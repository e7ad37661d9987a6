package crdt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// testPNG encodes a w × h PNG.
func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testJPEG encodes a w × h JPEG.
func testJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngBomb is a PNG signature and a valid IHDR chunk claiming w × h
// pixels, with a little zlib data after it: a decompression bomb's
// header.
func pngBomb(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := func(typ string, data []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		c = append(c, typ...)
		c = append(c, data...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, chunk("IHDR", ihdr)...)
	return append(b, chunk("IDAT", []byte{0x78, 0x9c, 0xed, 0xc1, 0x01, 0x0d})...)
}

// TestCheckImage: pictures within the limits pass; too many bytes, too
// many pixels (a bomb's header), what is no JPEG or PNG and a broken
// header are refused, with ErrImage and words that say why.
func TestCheckImage(t *testing.T) {
	big := testPNG(t, 256, 256) // random-ish pixels compress badly
	for len(big) <= MaxImageSize {
		big = append(big, big...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string // "" accepts
	}{
		{"png", testPNG(t, 64, 64), ""},
		{"jpeg", testJPEG(t, 256, 256), ""},
		{"largest side", testPNG(t, MaxImageSide, 1), ""},
		{"too large", big, "bytes, at most"},
		{"too wide", testPNG(t, MaxImageSide+1, 1), "pixels, at most"},
		{"bomb", pngBomb(60000, 60000), "60000 × 60000 pixels"},
		{"not an image", []byte("GIF89a hello"), "not a JPEG or PNG"},
		{"empty", nil, "not a JPEG or PNG"},
		{"broken png header", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "png header"},
		{"broken jpeg header", []byte{0xff, 0xd8, 0xff}, "jpeg header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckImage(tc.b)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if _, err := DecodeImage(tc.b); err != nil {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrImage) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("got %v, want ErrImage saying %q", err, tc.want)
			}
			if _, err := DecodeImage(tc.b); !errors.Is(err, ErrImage) {
				t.Fatalf("DecodeImage got %v, want ErrImage", err)
			}
		})
	}
	// A header that passes over pixel data that does not decode.
	trunc := testJPEG(t, 64, 64)
	trunc = trunc[:len(trunc)/2]
	if _, err := DecodeImage(trunc); !errors.Is(err, ErrImage) {
		t.Fatalf("truncated jpeg: got %v, want ErrImage", err)
	}
}

// TestPhotoAndIcon: any member sets and removes their own photo; only
// admins set the community's icon, and the judge says so before anyone
// tries; a bad picture never gets into an op.
func TestPhotoAndIcon(t *testing.T) {
	w, _ := setup(t, "ann", "cal")
	pic := testPNG(t, 32, 32)
	ph := w.do("cal", ZeroID, KindPhoto, &PhotoBody{Image: pic, Time: 1})
	w.syncAll()
	if m := w.reps["ann"].State().Members[w.pub("cal")]; m.Photo == nil || m.Photo.Op != ph.ID() || !bytes.Equal(m.Photo.Data, pic) {
		t.Fatalf("cal's photo on ann's replica: %+v", m.Photo)
	}
	if w.reps["cal"].State().Permits(w.pub("cal"), Action{Kind: KindIcon}) {
		t.Fatal("the judge lets a member set the icon")
	}
	if !w.reps["cal"].State().Permits(w.pub("cal"), Action{Kind: KindPhoto}) {
		t.Fatal("the judge refuses a member's photo")
	}
	if _, err := w.try("cal", ZeroID, KindIcon, &IconBody{Image: pic}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("member's icon: got %v, want ErrUnauthorized", err)
	}
	if !w.reps["olivia"].State().Permits(w.pub("olivia"), Action{Kind: KindIcon}) {
		t.Fatal("the judge refuses the owner's icon")
	}
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	ic := w.do("ann", ZeroID, KindIcon, &IconBody{Image: pic, Time: 2})
	if _, err := w.try("ann", ZeroID, KindIcon, &IconBody{Image: pngBomb(60000, 60000)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bomb icon: got %v, want ErrInvalid", err)
	}
	w.do("cal", ZeroID, KindPhoto, &PhotoBody{Time: 3})
	st := w.final(rng()).State()
	if st.Icon == nil || st.Icon.Op != ic.ID() {
		t.Fatalf("icon %+v, want op %s", st.Icon, ic.ID().Short())
	}
	if p := st.Members[w.pub("cal")].Photo; p != nil {
		t.Fatalf("removed photo still there: %+v", p)
	}
}

// TestHostilePictureOpRefused: an op whose body carries a bomb, signed by
// a member whose node skipped the check, is refused at receipt.
func TestHostilePictureOpRefused(t *testing.T) {
	w, _ := setup(t, "ann", "cal")
	body, err := Marshal(&PhotoBody{Image: pngBomb(1<<20, 1<<20)})
	if err != nil {
		t.Fatal(err)
	}
	c := w.reps["cal"]
	o, err := Sign(c.Draft(w.pub("cal"), ZeroID, KindPhoto, body), w.keys["cal"])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.reps["ann"].Add(o, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
}

// FuzzDecodeImage: no input makes CheckImage or DecodeImage panic or
// decode a picture beyond the limits.
func FuzzDecodeImage(f *testing.F) {
	f.Add(testPNG(f, 8, 8))
	f.Add(testJPEG(f, 16, 16))
	f.Add(pngBomb(60000, 60000))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := DecodeImage(b)
		if err != nil {
			if !errors.Is(err, ErrImage) {
				t.Fatalf("error without ErrImage: %v", err)
			}
			return
		}
		if CheckImage(b) != nil {
			t.Fatal("decoded what CheckImage refuses")
		}
		if r := img.Bounds(); r.Dx() > MaxImageSide || r.Dy() > MaxImageSide {
			t.Fatalf("decoded %v", r)
		}
	})
}
