package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

static int umb_dec_new(vpx_codec_ctx_t *ctx, unsigned threads) {
	vpx_codec_dec_cfg_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.threads = threads;
	return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), &cfg, 0);
}

// umb_dec_frame decodes one frame from C memory and returns the picture it
// shows (owned by libvpx until the next call), or NULL with *rc set.
// *corrupt is libvpx's verdict on the decoded picture.
static vpx_image_t *umb_dec_frame(vpx_codec_ctx_t *ctx, const unsigned char *data, unsigned int n, int *rc, int *corrupt) {
	*corrupt = 0;
	*rc = vpx_codec_decode(ctx, data, n, NULL, 0);
	if (*rc != VPX_CODEC_OK) return NULL;
	if (vpx_codec_control(ctx, VP8D_GET_FRAME_CORRUPTED, corrupt) != VPX_CODEC_OK) *corrupt = 1;
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img, *last = NULL;
	while ((img = vpx_codec_get_frame(ctx, &iter)) != NULL) last = img;
	return last;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"unsafe"
)

// Errors a Decoder returns that a caller may branch on; after any error
// but ErrNotShown and ErrClosed the Decoder refuses delta frames until
// the next key frame (ErrNeedKeyFrame): the app asks the sender for one.
var (
	// ErrNeedKeyFrame: a delta frame came before the first key frame or
	// after a frame that failed, so there is nothing it can apply to.
	ErrNeedKeyFrame = errors.New("vpx: delta frame before a key frame")
	// ErrTooLarge: a frame is larger than MaxFrameSize bytes or its key
	// frame announces more than MaxWidth by MaxHeight pixels.
	ErrTooLarge = errors.New("vpx: frame too large")
	// ErrCorrupt: libvpx refused a frame or reported its picture corrupt.
	ErrCorrupt = errors.New("vpx: corrupt frame")
	// ErrNotShown: the frame decoded but is not meant to be displayed
	// (an alternate reference frame); there is no picture to show.
	ErrNotShown = errors.New("vpx: frame not shown")
)

// Decoder is a VP8 decoder for one sender's stream. Its methods are safe
// for concurrent use; Decode calls are serialised.
type Decoder struct {
	mu      sync.Mutex
	ctx     *C.vpx_codec_ctx_t // C memory; nil once closed; guarded by mu
	buf     unsafe.Pointer     // C copy of the frame being decoded; guarded by mu
	bufSize int                // bytes at buf; guarded by mu
	haveKey bool               // a key frame decoded and nothing failed since; guarded by mu
}

// bufPad is how many zero bytes follow a frame in the decoder's C buffer,
// so that no read ahead by libvpx's bit reader ever leaves the buffer.
const bufPad = 64

// NewDecoder opens a VP8 decoder.
func NewDecoder() (*Decoder, error) {
	ctx := (*C.vpx_codec_ctx_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vpx_codec_ctx_t{}))))
	if ctx == nil {
		return nil, errors.New("vpx: out of memory")
	}
	if rc := C.umb_dec_new(ctx, 1); rc != C.VPX_CODEC_OK {
		C.free(unsafe.Pointer(ctx))
		return nil, fmt.Errorf("vpx: open decoder: %s", C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc))))
	}
	return &Decoder{ctx: ctx}, nil
}

// Decode decompresses one frame into a new 4:2:0 picture, the caller's.
// It refuses a frame that is malformed (ErrMalformed), too large
// (ErrTooLarge), a delta frame with no key frame before it
// (ErrNeedKeyFrame) or one libvpx rejects (ErrCorrupt).
func (d *Decoder) Decode(frame []byte) (*image.YCbCr, error) { return d.DecodeTo(frame, nil) }

// DecodeTo is Decode writing into dst when dst is a 4:2:0 picture of the
// frame's size with its origin at (0, 0), and returning it; otherwise
// (nil, or the stream changed size) it returns a new picture. A caller
// that draws each picture into a tile at once reuses one picture per
// sender and allocates nothing per frame.
func (d *Decoder) DecodeTo(frame []byte, dst *image.YCbCr) (*image.YCbCr, error) {
	if len(frame) > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(frame))
	}
	h, err := ParseHeader(frame)
	if err != nil {
		d.lose()
		return nil, err
	}
	if h.Key && (h.Width > MaxWidth || h.Height > MaxHeight) {
		d.lose()
		return nil, fmt.Errorf("%w: key frame of %dx%d", ErrTooLarge, h.Width, h.Height)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx == nil {
		return nil, ErrClosed
	}
	if !h.Key && !d.haveKey {
		return nil, ErrNeedKeyFrame
	}
	if d.bufSize < len(frame)+bufPad {
		C.free(d.buf)
		d.bufSize = max(len(frame)+bufPad, 16<<10)
		d.buf = C.malloc(C.size_t(d.bufSize))
		if d.buf == nil {
			d.bufSize = 0
			return nil, errors.New("vpx: out of memory")
		}
	}
	b := unsafe.Slice((*byte)(d.buf), d.bufSize)
	copy(b, frame)
	clear(b[len(frame) : len(frame)+bufPad])
	var rc, corrupt C.int
	img := C.umb_dec_frame(d.ctx, (*C.uchar)(d.buf), C.uint(len(frame)), &rc, &corrupt)
	if rc != C.VPX_CODEC_OK {
		d.haveKey = false
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, codecError(d.ctx))
	}
	if corrupt != 0 {
		d.haveKey = false
		return nil, fmt.Errorf("%w: libvpx reports the picture corrupt", ErrCorrupt)
	}
	if h.Key {
		d.haveKey = true
	}
	if img == nil {
		return nil, ErrNotShown
	}
	out, err := copyImage(img, dst)
	if err != nil {
		d.haveKey = false
		return nil, err
	}
	return out, nil
}

// lose forgets the key frame after a frame that could not be decoded.
func (d *Decoder) lose() {
	d.mu.Lock()
	d.haveKey = false
	d.mu.Unlock()
}

// copyImage copies a picture libvpx owns into Go memory: into dst if it
// fits (see DecodeTo), else into a new picture.
func copyImage(img *C.vpx_image_t, dst *image.YCbCr) (*image.YCbCr, error) {
	w, h := int(img.d_w), int(img.d_h)
	if img.fmt != C.VPX_IMG_FMT_I420 || w < 1 || h < 1 || w > MaxWidth || h > MaxHeight {
		return nil, fmt.Errorf("%w: decoded picture of format %d, %dx%d", ErrCorrupt, int(img.fmt), w, h)
	}
	out := dst
	if !fits(dst, w, h) {
		out = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	copyPlane(out.Y, out.YStride, img.planes[0], int(img.stride[0]), w, h)
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(out.Cb, out.CStride, img.planes[1], int(img.stride[1]), cw, ch)
	copyPlane(out.Cr, out.CStride, img.planes[2], int(img.stride[2]), cw, ch)
	return out, nil
}

// fits reports whether p is a w by h 4:2:0 picture at (0, 0) whose
// planes hold all of it.
func fits(p *image.YCbCr, w, h int) bool {
	if p == nil || p.SubsampleRatio != image.YCbCrSubsampleRatio420 || p.Rect != image.Rect(0, 0, w, h) {
		return false
	}
	cw, ch := (w+1)/2, (h+1)/2
	return p.YStride >= w && p.CStride >= cw && len(p.Y) >= (h-1)*p.YStride+w &&
		len(p.Cb) >= (ch-1)*p.CStride+cw && len(p.Cr) >= (ch-1)*p.CStride+cw
}

func copyPlane(dst []byte, dstStride int, src *C.uchar, srcStride, w, h int) {
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), (h-1)*srcStride+w)
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], s[y*srcStride:])
	}
}

// Close frees the decoder. Closing it again does nothing.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx == nil {
		return nil
	}
	C.vpx_codec_destroy(d.ctx)
	C.free(unsafe.Pointer(d.ctx))
	C.free(d.buf)
	d.ctx, d.buf, d.bufSize = nil, nil, 0
	return nil
}
