package act

import (
	"bytes"
	"image"
	"image/jpeg"
	"strings"

	_ "image/gif" // thumbnails of GIF images too

	xdraw "golang.org/x/image/draw"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Thumbnail makes the preview a file message carries of image src: a JPEG
// whose longest side is at most ThumbSide pixels, within crdt.MaxThumbSize
// bytes and accepted by crdt.CheckImage. It returns nil when src is not a
// JPEG, PNG or GIF image, is larger than MaxSourcePixels (checked in its
// header before decoding), or cannot be made small enough: a file is
// shared without a thumbnail then.
func Thumbnail(src []byte) []byte {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(src))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > MaxSourcePixels {
		return nil
	}
	img, _, err := image.Decode(bytes.NewReader(src))
	if err != nil {
		return nil
	}
	b := img.Bounds()
	for side := ThumbSide; side >= 64; side = side * 3 / 4 {
		w, h := b.Dx(), b.Dy()
		if l := max(w, h); l > side {
			w, h = max(1, w*side/l), max(1, h*side/l)
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
		for q := 75; q >= 45; q -= 15 {
			var buf bytes.Buffer
			if jpeg.Encode(&buf, dst, &jpeg.Options{Quality: q}) != nil {
				return nil
			}
			if buf.Len() <= crdt.MaxThumbSize && buf.Len() <= crdt.MaxImageSize && crdt.CheckImage(buf.Bytes()) == nil {
				return buf.Bytes()
			}
		}
	}
	return nil
}

// thumbable reports whether SendFile makes a thumbnail of a file of media
// type mime and size bytes.
func thumbable(mime string, size int64) bool {
	switch strings.ToLower(mime) {
	case "image/jpeg", "image/png", "image/gif":
		return size > 0 && size <= MaxThumbSource
	}
	return false
}
