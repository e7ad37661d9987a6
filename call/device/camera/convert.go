package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
)

// Studio-range (Y 16–235, Cb and Cr 16–240) to full-range tables.
var yFull, cFull = func() (y, c [256]byte) {
	for i := range 256 {
		y[i] = clamp((float64(i)-16)*255/219 + 0.5)
		c[i] = clamp((float64(i)-128)*255/224 + 128.5)
	}
	return y, c
}()

func clamp(v float64) byte {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return byte(v)
}

// NewI420 returns a w by h 4:2:0 picture.
func NewI420(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

// YUYVToI420 converts a w by h YUYV frame (studio range, rows of 2w
// bytes) into dst, a 4:2:0 picture of that size with its origin at (0,
// 0), in full range. Each chroma sample of dst is the mean of the two
// rows of YUYV chroma it covers.
func YUYVToI420(dst *image.YCbCr, src []byte, w, h int) error {
	if w < 2 || h < 1 || w%2 != 0 || w > MaxWidth || h > MaxHeight {
		return fmt.Errorf("%w: YUYV of %dx%d", ErrBadFrame, w, h)
	}
	if len(src) < 2*w*h {
		return fmt.Errorf("%w: YUYV %dx%d in %d bytes, want %d", ErrBadFrame, w, h, len(src), 2*w*h)
	}
	if err := checkI420(dst, w, h); err != nil {
		return err
	}
	for y := range h {
		row := src[2*w*y : 2*w*(y+1)]
		out := dst.Y[y*dst.YStride : y*dst.YStride+w]
		for x := 0; x < w; x += 2 {
			out[x] = yFull[row[2*x]]
			out[x+1] = yFull[row[2*x+2]]
		}
	}
	for cy := range (h + 1) / 2 {
		r0 := src[2*w*2*cy:]
		r1 := r0
		if 2*cy+1 < h {
			r1 = src[2*w*(2*cy+1):]
		}
		cb := dst.Cb[cy*dst.CStride : cy*dst.CStride+w/2]
		cr := dst.Cr[cy*dst.CStride : cy*dst.CStride+w/2]
		for cx := range w / 2 {
			i := 4 * cx
			cb[cx] = cFull[(int(r0[i+1])+int(r1[i+1])+1)/2]
			cr[cx] = cFull[(int(r0[i+3])+int(r1[i+3])+1)/2]
		}
	}
	return nil
}

// I420Copy copies a w by h planar 4:2:0 frame (V4L2 YU12: the Y plane,
// then U, then V, rows unpadded) into dst.
func I420Copy(dst *image.YCbCr, src []byte, w, h int) error {
	if w < 2 || h < 2 || w > MaxWidth || h > MaxHeight {
		return fmt.Errorf("%w: I420 of %dx%d", ErrBadFrame, w, h)
	}
	cw, ch := (w+1)/2, (h+1)/2
	if len(src) < w*h+2*cw*ch {
		return fmt.Errorf("%w: I420 %dx%d in %d bytes", ErrBadFrame, w, h, len(src))
	}
	if err := checkI420(dst, w, h); err != nil {
		return err
	}
	for y := range h {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src[y*w:])
	}
	u, v := src[w*h:], src[w*h+cw*ch:]
	for y := range ch {
		copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], u[y*cw:])
		copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], v[y*cw:])
	}
	return nil
}

// checkI420 reports whether dst is a 4:2:0 picture of w by h at (0, 0).
func checkI420(dst *image.YCbCr, w, h int) error {
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 || dst.Rect != image.Rect(0, 0, w, h) ||
		dst.YStride < w || dst.CStride < (w+1)/2 {
		return fmt.Errorf("camera: destination is not a %dx%d 4:2:0 picture", w, h)
	}
	return nil
}

// JPEGToI420 decodes one MJPEG frame into a new 4:2:0 picture of the
// JPEG's own size, at most MaxWidth by MaxHeight. Many cameras leave out
// the Huffman tables and rely on the standard ones (RFC 2435, JPEG
// Annex K.3); they are supplied when missing.
func JPEGToI420(src []byte) (*image.YCbCr, error) {
	if len(src) > MaxJPEGSize {
		return nil, fmt.Errorf("%w: MJPEG frame of %d bytes", ErrBadFrame, len(src))
	}
	src = withHuffmanTables(src)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	if cfg.Width < 2 || cfg.Height < 2 || cfg.Width > MaxWidth || cfg.Height > MaxHeight {
		return nil, fmt.Errorf("%w: MJPEG frame of %dx%d", ErrBadFrame, cfg.Width, cfg.Height)
	}
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return To420(m), nil
	case *image.Gray:
		out := NewI420(m.Rect.Dx(), m.Rect.Dy())
		for y := range m.Rect.Dy() {
			copy(out.Y[y*out.YStride:], m.Pix[y*m.Stride:y*m.Stride+m.Rect.Dx()])
		}
		for i := range out.Cb {
			out.Cb[i], out.Cr[i] = 128, 128
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: MJPEG frame in %T", ErrBadFrame, img)
}

// To420 returns src as a 4:2:0 picture with its origin at (0, 0): src
// itself if it is one, else a new picture whose chroma samples are the
// mean of src's chroma over the 2x2 pixels each covers.
func To420(src *image.YCbCr) *image.YCbCr {
	r := src.Rect
	if src.SubsampleRatio == image.YCbCrSubsampleRatio420 && r.Min == (image.Point{}) {
		return src
	}
	w, h := r.Dx(), r.Dy()
	out := NewI420(w, h)
	for y := range h {
		o := src.YOffset(r.Min.X, r.Min.Y+y)
		copy(out.Y[y*out.YStride:y*out.YStride+w], src.Y[o:o+w])
	}
	for cy := range (h + 1) / 2 {
		y0, y1 := r.Min.Y+2*cy, min(r.Min.Y+2*cy+1, r.Max.Y-1)
		for cx := range (w + 1) / 2 {
			x0, x1 := r.Min.X+2*cx, min(r.Min.X+2*cx+1, r.Max.X-1)
			a, b := src.COffset(x0, y0), src.COffset(x1, y0)
			c, d := src.COffset(x0, y1), src.COffset(x1, y1)
			i := cy*out.CStride + cx
			out.Cb[i] = byte((int(src.Cb[a]) + int(src.Cb[b]) + int(src.Cb[c]) + int(src.Cb[d]) + 2) / 4)
			out.Cr[i] = byte((int(src.Cr[a]) + int(src.Cr[b]) + int(src.Cr[c]) + int(src.Cr[d]) + 2) / 4)
		}
	}
	return out
}

// standardDHT is a DHT segment with the four standard Huffman tables of
// JPEG Annex K.3, taken from what image/jpeg writes (it encodes with
// exactly those tables).
var standardDHT = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		panic("camera: image/jpeg cannot encode 8x8: " + err.Error())
	}
	b := buf.Bytes()
	for _, s := range segments(b) {
		if s.marker == 0xc4 {
			return bytes.Clone(b[s.start:s.end])
		}
	}
	panic("camera: image/jpeg wrote no DHT segment")
})

// segment is one marker segment of a JPEG stream: b[start:end] is the
// marker, its length and its payload.
type segment struct {
	marker     byte
	start, end int
}

// segments lists b's marker segments from after SOI up to and including
// SOS (the entropy-coded data after it is not parsed). A malformed
// stream ends the list early.
func segments(b []byte) []segment {
	var out []segment
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xd8 {
		return nil
	}
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		m := b[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return out
		}
		out = append(out, segment{m, i, i + 2 + n})
		if m == 0xda { // SOS
			return out
		}
		i += 2 + n
	}
	return out
}

// withHuffmanTables returns src with the standard tables after its SOI
// marker if it has none before its first scan, else src itself.
func withHuffmanTables(src []byte) []byte {
	segs := segments(src)
	if len(segs) == 0 || segs[len(segs)-1].marker != 0xda {
		return src // not a JPEG we can read: let the decoder say why
	}
	for _, s := range segs {
		if s.marker == 0xc4 {
			return src
		}
	}
	dht := standardDHT()
	out := make([]byte, 0, len(src)+len(dht))
	out = append(out, src[:2]...)
	out = append(out, dht...)
	return append(out, src[2:]...)
}
