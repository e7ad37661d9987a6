package vpx

import (
	"bytes"
	"errors"
	"image"
	"math"
	"testing"
)

// scene returns picture n of a moving scene: a diagonal gradient that
// scrolls, a bright square that slides across it and, with texture > 0,
// fixed pseudo-random detail of that amplitude that moves with the
// gradient (detail fills whatever bitrate the encoder is given).
func scene(w, h, n, texture int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			v := (x + y + 3*n) % 256
			if texture > 0 {
				u := uint32((x+2*n)*7919 + y*104729)
				u ^= u >> 13
				u *= 0x5bd1e995
				u ^= u >> 15
				v = v*(256-texture)/256 + int(u%uint32(texture))
			}
			img.Y[y*img.YStride+x] = byte(v)
		}
	}
	bx, by := (4*n)%(w-32), h/3
	for y := by; y < by+32 && y < h; y++ {
		for x := bx; x < bx+32; x++ {
			img.Y[y*img.YStride+x] = 235
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = byte(64 + (x*128)/w)
			img.Cr[y*img.CStride+x] = byte(192 - (y*128)/h)
		}
	}
	return img
}

// psnr is the peak signal-to-noise ratio of b against a over all three
// planes, in dB.
func psnr(t testing.TB, a, b *image.YCbCr) float64 {
	t.Helper()
	if a.Rect.Size() != b.Rect.Size() {
		t.Fatalf("sizes %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var se float64
	var n int
	plane := func(pa, pb []byte, sa, sb, w, h int) {
		for y := range h {
			for x := range w {
				d := float64(pa[y*sa+x]) - float64(pb[y*sb+x])
				se += d * d
				n++
			}
		}
	}
	plane(a.Y, b.Y, a.YStride, b.YStride, w, h)
	plane(a.Cb, b.Cb, a.CStride, b.CStride, (w+1)/2, (h+1)/2)
	plane(a.Cr, b.Cr, a.CStride, b.CStride, (w+1)/2, (h+1)/2)
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

func newEncoder(t testing.TB, cfg EncoderConfig) *Encoder {
	t.Helper()
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newDecoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// encodeScene encodes frames [from, to) of the scene (texture 0).
func encodeScene(t testing.TB, e *Encoder, from, to int) [][]byte {
	t.Helper()
	var out [][]byte
	for n := from; n < to; n++ {
		f, _, err := e.Encode(scene(e.cfg.Width, e.cfg.Height, n, 0), false)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		out = append(out, f)
	}
	return out
}

// TestRoundTrip: a moving scene encoded at a call's settings decodes to
// pictures of the same size close to the originals.
func TestRoundTrip(t *testing.T) {
	cfg := DefaultEncoderConfig()
	e, d := newEncoder(t, cfg), newDecoder(t)
	frames := 60
	if testing.Short() {
		frames = 20
	}
	var worst = math.Inf(1)
	var keys int
	for n := range frames {
		src := scene(cfg.Width, cfg.Height, n, 0)
		f, key, err := e.Encode(src, false)
		if err != nil {
			t.Fatalf("encode %d: %v", n, err)
		}
		if key {
			keys++
		}
		if n == 0 && !key {
			t.Fatal("first frame is not a key frame")
		}
		h, err := ParseHeader(f)
		if err != nil || h.Key != key || !h.Show {
			t.Fatalf("frame %d: header %+v, %v (key %v)", n, h, err, key)
		}
		got, err := d.Decode(f)
		if err != nil {
			t.Fatalf("decode %d: %v", n, err)
		}
		p := psnr(t, src, got)
		worst = min(worst, p)
	}
	t.Logf("worst PSNR %.1f dB, %d key frames", worst, keys)
	if worst < 32 {
		t.Errorf("worst PSNR %.1f dB, want >= 32", worst)
	}
	if keys != 1 {
		t.Errorf("%d key frames in %d, want 1 (interval 90)", keys, frames)
	}
}

// TestForceKey: a key frame comes exactly when asked for, and a decoder
// that missed everything before it starts there.
func TestForceKey(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height, cfg.KeyFrameInterval = 160, 96, 0
	e := newEncoder(t, cfg)
	var frames [][]byte
	for n := range 20 {
		f, key, err := e.Encode(scene(cfg.Width, cfg.Height, n, 0), n == 12)
		if err != nil {
			t.Fatal(err)
		}
		if want := n == 0 || n == 12; key != want {
			t.Errorf("frame %d: key %v, want %v", n, key, want)
		}
		frames = append(frames, f)
	}
	d := newDecoder(t)
	if _, err := d.Decode(frames[11]); !errors.Is(err, ErrNeedKeyFrame) {
		t.Fatalf("delta frame first: %v, want ErrNeedKeyFrame", err)
	}
	for n := 12; n < 20; n++ {
		if _, err := d.Decode(frames[n]); err != nil {
			t.Fatalf("frame %d after the forced key frame: %v", n, err)
		}
	}
}

// TestKeyFrameInterval: with no request, key frames still come at least
// every KeyFrameInterval frames.
func TestKeyFrameInterval(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height, cfg.KeyFrameInterval = 160, 96, 10
	e := newEncoder(t, cfg)
	last := 0
	for n := range 45 {
		_, key, err := e.Encode(scene(cfg.Width, cfg.Height, n, 0), false)
		if err != nil {
			t.Fatal(err)
		}
		if key {
			last = n
		}
		if n-last >= 10 {
			t.Fatalf("frame %d: no key frame since %d", n, last)
		}
	}
}

// TestSetBitrate: raising the target bitrate at run time makes the
// frames larger.
func TestSetBitrate(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyFrameInterval = 320, 180, 150_000, 0
	e := newEncoder(t, cfg)
	avg := func(from, to int) float64 {
		var sum int
		for n := from; n < to; n++ {
			f, _, err := e.Encode(scene(cfg.Width, cfg.Height, n, 96), false)
			if err != nil {
				t.Fatal(err)
			}
			if n >= to-20 { // after the rate controller settled
				sum += len(f)
			}
		}
		return float64(sum) / 20
	}
	low := avg(0, 60)
	if err := e.SetBitrate(1_200_000); err != nil {
		t.Fatal(err)
	}
	if e.Bitrate() != 1_200_000 {
		t.Errorf("Bitrate %d after SetBitrate(1200000)", e.Bitrate())
	}
	high := avg(60, 120)
	t.Logf("average frame %.0f bytes at 150 kbit/s, %.0f at 1.2 Mbit/s", low, high)
	// 150 kbit/s at 30 fps is 625 bytes a frame, 1.2 Mbit/s is 5000.
	if high < 3*low {
		t.Errorf("frames of %.0f bytes after raising the bitrate 8 times, %.0f before", high, low)
	}
	if err := e.SetBitrate(MinBitrate - 1); !errors.Is(err, ErrConfig) {
		t.Errorf("SetBitrate below the limit: %v", err)
	}
}

func TestEncoderConfigValidate(t *testing.T) {
	ok := DefaultEncoderConfig()
	if err := ok.Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	for name, mod := range map[string]func(*EncoderConfig){
		"odd width":     func(c *EncoderConfig) { c.Width = 641 },
		"too wide":      func(c *EncoderConfig) { c.Width = MaxWidth + 2 },
		"no height":     func(c *EncoderConfig) { c.Height = 0 },
		"frame rate 0":  func(c *EncoderConfig) { c.FrameRate = 0 },
		"frame rate 61": func(c *EncoderConfig) { c.FrameRate = MaxFrameRate + 1 },
		"bitrate low":   func(c *EncoderConfig) { c.Bitrate = MinBitrate - 1 },
		"bitrate high":  func(c *EncoderConfig) { c.Bitrate = MaxBitrate + 1 },
		"speed":         func(c *EncoderConfig) { c.Speed = MaxSpeed + 1 },
		"interval":      func(c *EncoderConfig) { c.KeyFrameInterval = -1 },
		"threads":       func(c *EncoderConfig) { c.Threads = 0 },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
		if _, err := NewEncoder(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: NewEncoder: %v, want ErrConfig", name, err)
		}
	}
}

// TestEncodeBadPicture: a picture libvpx would read out of bounds is
// refused before it gets there.
func TestEncodeBadPicture(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height = 64, 48
	e := newEncoder(t, cfg)
	short := scene(64, 48, 0, 0)
	short.Cr = short.Cr[:len(short.Cr)-1]
	cropped := scene(80, 60, 0, 0).SubImage(image.Rect(8, 6, 72, 54)).(*image.YCbCr)
	for name, img := range map[string]*image.YCbCr{
		"nil":         nil,
		"wrong size":  scene(64, 50, 0, 0),
		"4:4:4":       image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444),
		"short plane": short,
	} {
		if _, _, err := e.Encode(img, false); !errors.Is(err, ErrPicture) {
			t.Errorf("%s: %v, want ErrPicture", name, err)
		}
	}
	// A sub-image of the right size is encoded from its own corner.
	f, _, err := e.Encode(cropped, false)
	if err != nil {
		t.Fatalf("sub-image: %v", err)
	}
	got, err := newDecoder(t).Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	want := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for y := range 48 {
		copy(want.Y[y*want.YStride:], cropped.Y[cropped.YOffset(8, 6+y):][:64])
	}
	for y := range 24 {
		copy(want.Cb[y*want.CStride:], cropped.Cb[cropped.COffset(8, 6+2*y):][:32])
		copy(want.Cr[y*want.CStride:], cropped.Cr[cropped.COffset(8, 6+2*y):][:32])
	}
	if p := psnr(t, want, got); p < 30 {
		t.Errorf("sub-image decodes to PSNR %.1f dB against its own pixels", p)
	}
}

// TestDecoderRefuses: what cannot be trusted is an error, never a crash,
// and after it the decoder waits for a key frame.
func TestDecoderRefuses(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height, cfg.KeyFrameInterval = 160, 96, 0
	e := newEncoder(t, cfg)
	frames := encodeScene(t, e, 0, 4)
	key, delta := frames[0], frames[1]

	bigKey := bytes.Clone(key)
	bigKey[6], bigKey[7] = 0xff, 0x3f // width 16383
	noStart := bytes.Clone(key)
	noStart[3] = 0
	for name, c := range map[string]struct {
		frame []byte
		want  error
	}{
		"empty":            {nil, ErrMalformed},
		"two bytes":        {key[:2], ErrMalformed},
		"truncated header": {key[:8], ErrMalformed},
		"no start code":    {noStart, ErrMalformed},
		"partition cut":    {key[:20], ErrMalformed},
		"too wide":         {bigKey, ErrTooLarge},
		"too many bytes":   {make([]byte, MaxFrameSize+1), ErrTooLarge},
		"delta first":      {delta, ErrNeedKeyFrame},
		"garbage":          {bytes.Repeat([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xa0, 0x00, 0x60, 0x00}, 40), ErrCorrupt},
		"truncated":        {key[:len(key)/2], ErrCorrupt},
	} {
		d := newDecoder(t)
		if _, err := d.Decode(c.frame); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}

	// After a frame that failed (libvpx refusing it, or decoding it and
	// finding it corrupt) a delta frame is refused; a good key frame
	// starts the stream again.
	for name, bad := range map[string][]byte{
		"refused": bytes.Repeat([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xa0, 0x00, 0x60, 0x00}, 40),
		"corrupt": key[:len(key)/2],
	} {
		d := newDecoder(t)
		if _, err := d.Decode(key); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := d.Decode(delta); !errors.Is(err, ErrNeedKeyFrame) {
			t.Fatalf("%s: delta after it: %v, want ErrNeedKeyFrame", name, err)
		}
		for i, f := range frames {
			if _, err := d.Decode(f); err != nil {
				t.Fatalf("%s: frame %d after it: %v", name, i, err)
			}
		}
	}
}

// TestClose: Close frees once, a second Close does nothing, and a closed
// codec refuses work.
func TestClose(t *testing.T) {
	e, err := NewEncoder(DefaultEncoderConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := e.Encode(scene(640, 360, 0, 0), false)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.Encode(scene(640, 360, 1, 0), false); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if err := e.SetBitrate(500_000); !errors.Is(err, ErrClosed) {
		t.Errorf("SetBitrate after Close: %v", err)
	}
	if _, err := d.Decode(f); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
}

func TestParseHeader(t *testing.T) {
	// A key frame, version 0, shown, first partition 0x123 bytes, 640x360
	// with no scaling: tag = 0x123<<5 | 1<<4 = 0x2470.
	key := append([]byte{0x70, 0x24, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}, make([]byte, 0x123)...)
	h, err := ParseHeader(key)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Header{Key: true, Show: true, FirstPartition: 0x123, Width: 640, Height: 360}); h != want {
		t.Errorf("key frame header %+v, want %+v", h, want)
	}
	// A delta frame, version 1, hidden, first partition 4 bytes: tag =
	// 4<<5 | 1<<1 | 1 = 0x83.
	h, err = ParseHeader([]byte{0x83, 0x00, 0x00, 1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Header{Version: 1, FirstPartition: 4}); h != want {
		t.Errorf("delta frame header %+v, want %+v", h, want)
	}
	if _, err := ParseHeader([]byte{0x0f, 0x00, 0x00}); !errors.Is(err, ErrMalformed) { // version 7
		t.Errorf("version 7: %v", err)
	}
}

// FuzzDecode: no input crashes the decoder, alone or after a good key
// frame; every refusal is one of the documented errors.
func FuzzDecode(f *testing.F) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height = 64, 48
	e := newEncoder(f, cfg)
	frames := encodeScene(f, e, 0, 3)
	for _, fr := range frames {
		f.Add(fr, false)
		f.Add(fr, true)
		f.Add(fr[:len(fr)/2], true)
	}
	f.Fuzz(func(t *testing.T, frame []byte, afterKey bool) {
		d := newDecoder(t)
		if afterKey {
			if _, err := d.Decode(frames[0]); err != nil {
				t.Fatal(err)
			}
		}
		img, err := d.Decode(frame)
		if err != nil {
			for _, known := range []error{ErrMalformed, ErrTooLarge, ErrNeedKeyFrame, ErrCorrupt, ErrNotShown} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("undocumented error %v", err)
		}
		if b := img.Bounds(); b.Dx() > MaxWidth || b.Dy() > MaxHeight || b.Empty() {
			t.Fatalf("picture of %v", b)
		}
	})
}

// TestCloseWhileBusy: Close from another goroutine while frames are being
// encoded and decoded frees the codecs once, and the work after it is
// refused (run with -race).
func TestCloseWhileBusy(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height = 64, 48
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pic := scene(64, 48, 0, 0)
	done := make(chan error)
	go func() {
		for {
			f, _, err := e.Encode(pic, true)
			if err == nil {
				_, err = d.Decode(f)
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	if _, _, err := e.Encode(pic, false); err != nil {
		t.Fatal(err)
	}
	e.Close()
	d.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("work during Close: %v, want ErrClosed", err)
	}
}

// TestDecodeTo: a picture of the stream's size is reused; one of another
// size, or none, gives a new picture; the result is Decode's either way.
func TestDecodeTo(t *testing.T) {
	cfg := DefaultEncoderConfig()
	cfg.Width, cfg.Height = 64, 48
	frames := encodeScene(t, newEncoder(t, cfg), 0, 3)
	d, ref := newDecoder(t), newDecoder(t)
	buf := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i, f := range frames {
		got, err := d.DecodeTo(f, buf)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		if got != buf {
			t.Errorf("frame %d: a new picture, not the one given", i)
		}
		if !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
			t.Errorf("frame %d: DecodeTo and Decode differ", i)
		}
	}
	small := image.NewYCbCr(image.Rect(0, 0, 32, 48), image.YCbCrSubsampleRatio420)
	short := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	short.Cr = short.Cr[:10]
	for name, p := range map[string]*image.YCbCr{"smaller": small, "short plane": short, "4:4:4": image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444)} {
		got, err := d.DecodeTo(frames[0], p)
		if err != nil {
			t.Fatal(err)
		}
		if got == p || got.Rect != image.Rect(0, 0, 64, 48) {
			t.Errorf("%s: returned %p %v", name, got, got.Rect)
		}
	}
}
