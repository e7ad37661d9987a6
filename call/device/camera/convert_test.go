package camera

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestYUYVToI420 against pixels worked out by hand: luma expanded from
// studio range (Y' = (Y-16)·255/219), chroma the rounded mean of the two
// rows, then expanded (C' = (C-128)·255/224 + 128).
func TestYUYVToI420(t *testing.T) {
	src := []byte{
		// row 0: Y0 U Y1 V | Y2 U Y3 V
		16, 128, 235, 128 /**/, 126, 16, 16, 240,
		// row 1
		235, 64, 16, 100 /**/, 16, 32, 235, 200,
		// row 2 (alone in its chroma row: h is odd)
		200, 240, 50, 16 /**/, 128, 128, 128, 128,
	}
	dst := NewI420(4, 3)
	if err := YUYVToI420(dst, src, 4, 3); err != nil {
		t.Fatal(err)
	}
	// 16→0, 235→255, 126→110·255/219=128.1→128, 200→214.2→214,
	// 50→39.6→40, 128→130.4→130.
	wantY := []byte{0, 255, 128, 0, 255, 0, 0, 255, 214, 40, 130, 130}
	for y := range 3 {
		if got := dst.Y[y*dst.YStride : y*dst.YStride+4]; !bytes.Equal(got, wantY[4*y:4*y+4]) {
			t.Errorf("Y row %d: %v, want %v", y, got, wantY[4*y:4*y+4])
		}
	}
	// Chroma row 0: Cb (128+64+1)/2=96 → -32·255/224+128=91.6→92;
	// (16+32+1)/2=24 → -104·255/224+128=9.6→10. Cr (128+100+1)/2=114 →
	// 112.1→112; (240+200+1)/2=220 → 232.7→233. Row 1 is row 2 alone:
	// Cb 240→255.5→255, 128→128; Cr 16→0.5→1 (halves round up), 128→128.
	wantCb := []byte{92, 10, 255, 128}
	wantCr := []byte{112, 233, 1, 128}
	for cy := range 2 {
		if got := dst.Cb[cy*dst.CStride : cy*dst.CStride+2]; !bytes.Equal(got, wantCb[2*cy:2*cy+2]) {
			t.Errorf("Cb row %d: %v, want %v", cy, got, wantCb[2*cy:2*cy+2])
		}
		if got := dst.Cr[cy*dst.CStride : cy*dst.CStride+2]; !bytes.Equal(got, wantCr[2*cy:2*cy+2]) {
			t.Errorf("Cr row %d: %v, want %v", cy, got, wantCr[2*cy:2*cy+2])
		}
	}
}

func TestYUYVToI420Refuses(t *testing.T) {
	for name, c := range map[string]struct {
		dst  *image.YCbCr
		src  []byte
		w, h int
	}{
		"short":     {NewI420(4, 2), make([]byte, 15), 4, 2},
		"odd width": {NewI420(3, 2), make([]byte, 12), 3, 2},
		"too wide":  {NewI420(2, 2), make([]byte, 8), MaxWidth + 2, 2},
		"wrong dst": {NewI420(4, 4), make([]byte, 16), 4, 2},
		"nil dst":   {nil, make([]byte, 16), 4, 2},
		"4:4:4 dst": {image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio444), make([]byte, 16), 4, 2},
	} {
		if err := YUYVToI420(c.dst, c.src, c.w, c.h); err == nil {
			t.Errorf("%s: converted", name)
		}
	}
}

func TestI420Copy(t *testing.T) {
	// 4x2: Y 1..8, U 9 10, V 11 12.
	src := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	dst := NewI420(4, 2)
	if err := I420Copy(dst, src, 4, 2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dst.Y, src[:8]) || !bytes.Equal(dst.Cb, []byte{9, 10}) || !bytes.Equal(dst.Cr, []byte{11, 12}) {
		t.Errorf("Y %v Cb %v Cr %v", dst.Y, dst.Cb, dst.Cr)
	}
	if err := I420Copy(dst, src[:11], 4, 2); !errors.Is(err, ErrBadFrame) {
		t.Errorf("short frame: %v", err)
	}
}

// TestTo420 against chroma worked out by hand: each 4:2:0 sample is the
// rounded mean of the source's chroma under its 2x2 pixels.
func TestTo420(t *testing.T) {
	// 4:2:2, 4x2: chroma is 2x2, one sample per two pixels of a row.
	src := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio422)
	copy(src.Y, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	copy(src.Cb, []byte{10, 20, 31, 40}) // rows: [10 20] [31 40]
	copy(src.Cr, []byte{200, 100, 0, 255})
	got := To420(src)
	if got.SubsampleRatio != image.YCbCrSubsampleRatio420 || got.Rect != image.Rect(0, 0, 4, 2) {
		t.Fatalf("%v %v", got.SubsampleRatio, got.Rect)
	}
	// Cb: (10+10+31+31+2)/4=21, (20+20+40+40+2)/4=30; Cr:
	// (200+200+0+0+2)/4=100, (100+100+255+255+2)/4=178.
	if !bytes.Equal(got.Y, src.Y) || !bytes.Equal(got.Cb, []byte{21, 30}) || !bytes.Equal(got.Cr, []byte{100, 178}) {
		t.Errorf("Y %v Cb %v Cr %v", got.Y, got.Cb, got.Cr)
	}
	// 4:4:4, 2x2 at an offset origin: one 4:2:0 sample of all four.
	big := image.NewYCbCr(image.Rect(0, 0, 3, 3), image.YCbCrSubsampleRatio444)
	copy(big.Cb, []byte{0, 0, 0, 0, 1, 2, 0, 3, 5})
	sub := big.SubImage(image.Rect(1, 1, 3, 3)).(*image.YCbCr)
	if got := To420(sub); !bytes.Equal(got.Cb, []byte{3}) || got.Rect != image.Rect(0, 0, 2, 2) { // (1+2+3+5+2)/4
		t.Errorf("4:4:4 sub-image: Cb %v rect %v", got.Cb, got.Rect)
	}
	// A 4:2:0 picture at the origin is returned as is.
	if p := NewI420(4, 4); To420(p) != p {
		t.Error("To420 copied a 4:2:0 picture")
	}
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func flat(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

func near(a, b byte) bool { return a-b < 3 || b-a < 3 }

func TestJPEGToI420(t *testing.T) {
	want := color.RGBA{200, 100, 50, 255}
	wy, wcb, wcr := color.RGBToYCbCr(200, 100, 50)
	got, err := JPEGToI420(encodeJPEG(t, flat(32, 16, want)))
	if err != nil {
		t.Fatal(err)
	}
	if got.SubsampleRatio != image.YCbCrSubsampleRatio420 || got.Rect != image.Rect(0, 0, 32, 16) {
		t.Fatalf("%v %v", got.SubsampleRatio, got.Rect)
	}
	if y, cb, cr := got.Y[5*got.YStride+7], got.Cb[3*got.CStride+2], got.Cr[3*got.CStride+2]; !near(y, wy) || !near(cb, wcb) || !near(cr, wcr) {
		t.Errorf("YCbCr %d %d %d, want about %d %d %d", y, cb, cr, wy, wcb, wcr)
	}

	gray := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}
	got, err = JPEGToI420(encodeJPEG(t, gray))
	if err != nil {
		t.Fatal(err)
	}
	if !near(got.Y[9*got.YStride+9], 77) || got.Cb[0] != 128 || got.Cr[len(got.Cr)-1] != 128 {
		t.Errorf("grey JPEG: Y %d Cb %d Cr %d", got.Y[9*got.YStride+9], got.Cb[0], got.Cr[len(got.Cr)-1])
	}
}

// TestJPEGWithoutHuffmanTables: a camera's MJPEG frame without DHT (it
// relies on the standard tables) decodes as the same frame with them.
func TestJPEGWithoutHuffmanTables(t *testing.T) {
	src := encodeJPEG(t, flat(48, 32, color.RGBA{20, 180, 90, 255}))
	var stripped []byte
	stripped = append(stripped, src[:2]...)
	var n int
	for _, s := range segments(src) {
		if s.marker == 0xc4 {
			n++
			continue
		}
		stripped = append(stripped, src[s.start:s.end]...)
	}
	last := segments(src)
	stripped = append(stripped, src[last[len(last)-1].end:]...)
	if n == 0 {
		t.Fatal("image/jpeg wrote no DHT")
	}
	if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
		t.Fatal("image/jpeg decodes a stream with no Huffman tables: the test proves nothing")
	}
	want, err := JPEGToI420(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := JPEGToI420(stripped)
	if err != nil {
		t.Fatalf("no DHT: %v", err)
	}
	if !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
		t.Error("the frame without DHT decodes differently")
	}
}

func TestJPEGToI420Refuses(t *testing.T) {
	good := encodeJPEG(t, flat(32, 16, color.White))
	huge := encodeJPEG(t, image.NewGray(image.Rect(0, 0, MaxWidth+8, 8)))
	for name, b := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("not a jpeg at all"),
		"truncated": good[:len(good)/2],
		"too wide":  huge,
		"too long":  make([]byte, MaxJPEGSize+1),
	} {
		if _, err := JPEGToI420(b); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
}

// FuzzJPEGToI420: no MJPEG frame from a camera crashes the conversion or
// yields a picture beyond the limits.
func FuzzJPEGToI420(f *testing.F) {
	f.Add(encodeJPEG(f, flat(16, 16, color.RGBA{1, 2, 3, 255})))
	f.Add(encodeJPEG(f, image.NewGray(image.Rect(0, 0, 8, 24))))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := JPEGToI420(b)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if r := img.Rect; r.Min != (image.Point{}) || r.Dx() > MaxWidth || r.Dy() > MaxHeight || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("picture %v %v", r, img.SubsampleRatio)
		}
	})
}
