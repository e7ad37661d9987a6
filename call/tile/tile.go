// Package tile turns decoded video pictures into the images of a call
// window's tiles: a 4:2:0 *image.YCbCr (from package call/codec/vpx or a
// camera) scaled with bilinear filtering and converted to RGBA in one
// pass, letterboxed (Fit) or cropped (Fill) to the tile's shape. The
// destination is the caller's and is reused frame after frame, so a tile
// refreshed at 30 fps allocates only a few tables of a row each per frame.
//
// It is pure Go with no state; it never touches the UI toolkit, the
// network or a codec, so package ui may use it.
package tile

import (
	"image"
	"image/color"
)

// Fit draws src into dst as large as it fits with its aspect ratio kept,
// centred, and fills the bars left above and below (or beside) it with
// bg. It returns the part of dst the picture covers (empty, with dst all
// bg, if either image is empty).
func Fit(dst *image.RGBA, src *image.YCbCr, bg color.RGBA) image.Rectangle {
	db, sb := dst.Bounds(), src.Bounds()
	if db.Empty() || sb.Empty() {
		fill(dst, db, bg)
		return image.Rectangle{}
	}
	w, h := db.Dx(), db.Dy()
	// Compare the aspect ratios without division: sw/sh > w/h.
	if sb.Dx()*h > w*sb.Dy() {
		h = max(1, sb.Dy()*w/sb.Dx())
	} else {
		w = max(1, sb.Dx()*h/sb.Dy())
	}
	at := db.Min.Add(image.Pt((db.Dx()-w)/2, (db.Dy()-h)/2))
	r := image.Rectangle{at, at.Add(image.Pt(w, h))}
	fill(dst, image.Rect(db.Min.X, db.Min.Y, db.Max.X, r.Min.Y), bg)
	fill(dst, image.Rect(db.Min.X, r.Max.Y, db.Max.X, db.Max.Y), bg)
	fill(dst, image.Rect(db.Min.X, r.Min.Y, r.Min.X, r.Max.Y), bg)
	fill(dst, image.Rect(r.Max.X, r.Min.Y, db.Max.X, r.Max.Y), bg)
	Scale(dst, r, src, sb)
	return r
}

// Fill draws the middle of src into all of dst, its aspect ratio kept:
// what does not fit dst's shape is cropped equally from both sides (the
// way a call's speaker tile shows a camera).
func Fill(dst *image.RGBA, src *image.YCbCr) {
	db, sb := dst.Bounds(), src.Bounds()
	if db.Empty() || sb.Empty() {
		return
	}
	w, h := sb.Dx(), sb.Dy()
	if w*db.Dy() > db.Dx()*h {
		w = max(1, db.Dx()*h/db.Dy())
	} else {
		h = max(1, db.Dy()*w/db.Dx())
	}
	at := sb.Min.Add(image.Pt((sb.Dx()-w)/2, (sb.Dy()-h)/2))
	Scale(dst, db, src, image.Rectangle{at, at.Add(image.Pt(w, h))})
}

func fill(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}

// tap is where one destination column or row samples its source: two
// neighbouring samples and the weight of the second, out of 256.
type tap struct {
	i0, i1 int32
	f      int32
}

// taps maps n destination positions onto a plane's samples covering
// pixels lo..hi-1 (relative to the image's origin, so never negative),
// sampling at pixel centres; sub is the plane's subsampling, sample k
// covering pixels k·sub to (k+1)·sub-1.
func taps(n, lo, hi, sub int) []tap {
	out := make([]tap, n)
	span := int64(hi - lo)
	kmin, kmax := int32(lo/sub), int32((hi-1)/sub)
	for i := range n {
		// The centre of destination pixel i, in source pixels times 256,
		// then in samples times 256 (sample k's centre is at k+0.5).
		c := int64(lo)*256 + int64(2*i+1)*span*128/int64(n)
		p := c/int64(sub) - 128
		k, f := int32(p>>8), int32(p&0xff)
		switch {
		case p < 0 || k < kmin:
			out[i] = tap{kmin, kmin, 0}
		case k >= kmax:
			out[i] = tap{kmax, kmax, 0}
		default:
			out[i] = tap{k, k + 1, f}
		}
	}
	return out
}

// Scale draws src's rectangle sr into dst's rectangle dr (both clipped
// to their images), scaled with bilinear filtering, converting with the
// same BT.601 full-range arithmetic as color.YCbCrToRGB.
func Scale(dst *image.RGBA, dr image.Rectangle, src *image.YCbCr, sr image.Rectangle) {
	dr, sr = dr.Intersect(dst.Rect), sr.Intersect(src.Rect)
	if dr.Empty() || sr.Empty() {
		return
	}
	cx, cy := 2, 2
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		cx, cy = 1, 1
	case image.YCbCrSubsampleRatio422:
		cx, cy = 2, 1
	case image.YCbCrSubsampleRatio440:
		cx, cy = 1, 2
	case image.YCbCrSubsampleRatio411:
		cx, cy = 4, 1
	case image.YCbCrSubsampleRatio410:
		cx, cy = 4, 2
	}
	// Planes are indexed from the image's origin.
	lo, hi := sr.Min.Sub(src.Rect.Min), sr.Max.Sub(src.Rect.Min)
	xs, xcs := taps(dr.Dx(), lo.X, hi.X, 1), taps(dr.Dx(), lo.X, hi.X, cx)
	ys, ycs := taps(dr.Dy(), lo.Y, hi.Y, 1), taps(dr.Dy(), lo.Y, hi.Y, cy)
	// Each destination row mixes its two source rows first (vertical
	// pass, over the columns the taps use), then each pixel its two
	// columns: 2 multiplications per sample and pixel instead of 4.
	ylo, yhi := int(xs[0].i0), int(xs[len(xs)-1].i1)+1
	clo, chi := int(xcs[0].i0), int(xcs[len(xcs)-1].i1)+1
	rowY := make([]int32, yhi)
	rowCb, rowCr := make([]int32, chi), make([]int32, chi)
	for j := range dr.Dy() {
		ty, tc := ys[j], ycs[j]
		mix(rowY[ylo:], src.Y[int(ty.i0)*src.YStride+ylo:int(ty.i0)*src.YStride+yhi], src.Y[int(ty.i1)*src.YStride+ylo:], ty.f)
		c0, c1 := int(tc.i0)*src.CStride, int(tc.i1)*src.CStride
		mix(rowCb[clo:], src.Cb[c0+clo:c0+chi], src.Cb[c1+clo:], tc.f)
		mix(rowCr[clo:], src.Cr[c0+clo:c0+chi], src.Cr[c1+clo:], tc.f)
		row := dst.Pix[dst.PixOffset(dr.Min.X, dr.Min.Y+j):dst.PixOffset(dr.Max.X, dr.Min.Y+j)]
		for i := range dr.Dx() {
			tx, tcx := xs[i], xcs[i]
			yy := (rowY[tx.i0]*(256-tx.f) + rowY[tx.i1]*tx.f + 1<<15) >> 16
			cb := (rowCb[tcx.i0]*(256-tcx.f) + rowCb[tcx.i1]*tcx.f + 1<<15) >> 16
			cr := (rowCr[tcx.i0]*(256-tcx.f) + rowCr[tcx.i1]*tcx.f + 1<<15) >> 16
			// color.YCbCrToRGB, inlined.
			yy1 := yy * 0x10101
			cb1 := cb - 128
			cr1 := cr - 128
			r := yy1 + 91881*cr1
			if uint32(r)&0xff000000 == 0 {
				r >>= 16
			} else {
				r = ^(r >> 31)
			}
			g := yy1 - 22554*cb1 - 46802*cr1
			if uint32(g)&0xff000000 == 0 {
				g >>= 16
			} else {
				g = ^(g >> 31)
			}
			b := yy1 + 116130*cb1
			if uint32(b)&0xff000000 == 0 {
				b >>= 16
			} else {
				b = ^(b >> 31)
			}
			p := row[4*i : 4*i+4 : 4*i+4]
			p[0], p[1], p[2], p[3] = uint8(r), uint8(g), uint8(b), 0xff
		}
	}
}

// mix sets out[k] to a[k] and b[k] mixed with weight f of b, out of 256,
// scaled by 256, for every k of a.
func mix(out []int32, a, b []byte, f int32) {
	out = out[:len(a)]
	b = b[:len(a)]
	if f == 0 {
		for k, v := range a {
			out[k] = int32(v) << 8
		}
		return
	}
	for k, v := range a {
		out[k] = int32(v)*(256-f) + int32(b[k])*f
	}
}
