package vision

import (
	"image"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// LayerSpec is one simulcast layer a Pipeline encodes of the camera.
type LayerSpec struct {
	// Width and Height are the encoded picture's size (even).
	Width, Height int
	// Bitrate is the encoder's bitrate until the uplink estimate says
	// otherwise, in bits per second (0: the encoder's own).
	Bitrate int
}

// PlanLayers returns the n layers (smallest first) a Pipeline encodes of
// a camera's w×h pictures: the top layer is the camera's picture, and
// each one below it half the size of the one above — for a 640x360
// camera and two layers, 320x180 for the grid tiles and 640x360 for the
// speaker's. A layer is not made smaller than MinLayerWidth wide: a small
// camera has fewer layers. Through an SFU layer i is forwarded as
// sfu.Layer i, and starts at that layer's sfu.DefaultLayers bitrate; a
// single layer (a mesh) keeps the encoder's own.
func PlanLayers(w, h, n int) []LayerSpec {
	n = max(min(n, sfu.MaxLayers), 1)
	for n > 1 && w>>(n-1) < MinLayerWidth {
		n--
	}
	out := make([]LayerSpec, n)
	for i := range n {
		shift := n - 1 - i
		out[i] = LayerSpec{Width: (w >> shift) &^ 1, Height: (h >> shift) &^ 1}
		if n > 1 {
			out[i].Bitrate = sfu.DefaultLayers[i].Bitrate
		}
	}
	return out
}

// layerOfTile is the layer a tile dst pixels wide needs: the smallest
// whose pictures are at least as wide (sfu.DefaultLayers), else the top.
func layerOfTile(width int) sfu.Layer {
	for l := range sfu.Layer(sfu.MaxLayers) {
		if sfu.DefaultLayers[l].Width >= width {
			return l
		}
	}
	return sfu.MaxLayers - 1
}

// scaleInto shrinks src (4:2:0) into dst (4:2:0, smaller or equal),
// each destination sample the average of the source samples it covers.
// It allocates nothing.
func scaleInto(dst, src *image.YCbCr) {
	sr, dr := src.Rect, dst.Rect
	scalePlane(dst.Y, dst.YStride, dr.Dx(), dr.Dy(), src.Y, src.YStride, sr.Dx(), sr.Dy())
	cw, ch := (dr.Dx()+1)/2, (dr.Dy()+1)/2
	sw, sh := (sr.Dx()+1)/2, (sr.Dy()+1)/2
	scalePlane(dst.Cb, dst.CStride, cw, ch, src.Cb, src.CStride, sw, sh)
	scalePlane(dst.Cr, dst.CStride, cw, ch, src.Cr, src.CStride, sw, sh)
}

// scalePlane is scaleInto for one plane of dw×dh samples from sw×sh.
func scalePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int) {
	if dw <= 0 || dh <= 0 || sw < dw || sh < dh {
		return
	}
	if sw == 2*dw && sh == 2*dh { // the layers' usual halving
		for y := range dh {
			a := src[2*y*srcStride : 2*y*srcStride+sw]
			b := src[(2*y+1)*srcStride : (2*y+1)*srcStride+sw]
			row := dst[y*dstStride : y*dstStride+dw]
			for x := range row {
				row[x] = byte((int(a[2*x]) + int(a[2*x+1]) + int(b[2*x]) + int(b[2*x+1]) + 2) >> 2)
			}
		}
		return
	}
	for y := range dh {
		y0, y1 := y*sh/dh, (y+1)*sh/dh
		row := dst[y*dstStride : y*dstStride+dw]
		for x := range dw {
			x0, x1 := x*sw/dw, (x+1)*sw/dw
			sum := 0
			for yy := y0; yy < y1; yy++ {
				line := src[yy*srcStride:]
				for xx := x0; xx < x1; xx++ {
					sum += int(line[xx])
				}
			}
			n := (y1 - y0) * (x1 - x0)
			row[x] = byte((sum + n/2) / n)
		}
	}
}
