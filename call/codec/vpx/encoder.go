package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
} umb_enc;

// umb_enc_new fills e's configuration from libvpx's defaults and the
// caller's choices and opens the encoder; it returns a vpx_codec_err_t.
static int umb_enc_new(umb_enc *e, unsigned w, unsigned h, int fps, unsigned kbps,
		int speed, unsigned kf_max, int resilient, unsigned threads) {
	vpx_codec_err_t err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0);
	if (err != VPX_CODEC_OK) return err;
	e->cfg.g_w = w;
	e->cfg.g_h = h;
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = fps;
	e->cfg.g_threads = threads;
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.g_lag_in_frames = 0;
	e->cfg.g_error_resilient = resilient ? VPX_ERROR_RESILIENT_DEFAULT : 0;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_target_bitrate = kbps;
	e->cfg.rc_min_quantizer = 2;
	e->cfg.rc_max_quantizer = 56;
	e->cfg.rc_undershoot_pct = 100;
	e->cfg.rc_overshoot_pct = 15;
	e->cfg.rc_buf_initial_sz = 500;
	e->cfg.rc_buf_optimal_sz = 600;
	e->cfg.rc_buf_sz = 1000;
	e->cfg.rc_dropframe_thresh = 0;
	e->cfg.rc_resize_allowed = 0;
	e->cfg.kf_mode = kf_max > 0 ? VPX_KF_AUTO : VPX_KF_DISABLED;
	e->cfg.kf_min_dist = 0;
	e->cfg.kf_max_dist = kf_max;
	err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0);
	if (err != VPX_CODEC_OK) return err;
	// Controls as WebRTC sets them for calls: no denoiser, skip static
	// blocks, and key frames at most 9 times an average frame's size (the
	// optimal buffer, in ms, times half the frame rate, over 10).
	if ((err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, speed)) != VPX_CODEC_OK ||
	    (err = vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0)) != VPX_CODEC_OK ||
	    (err = vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1)) != VPX_CODEC_OK ||
	    (err = vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, (unsigned)(e->cfg.rc_buf_optimal_sz * fps / 20))) != VPX_CODEC_OK) {
		vpx_codec_destroy(&e->ctx);
		return err;
	}
	return VPX_CODEC_OK;
}

// umb_enc_frame encodes one I420 picture whose planes the caller owns
// (libvpx copies them before it returns: there is no look-ahead) and
// points *buf at the first compressed frame it produced, valid until the
// next call; *n is how many bytes, 0 if the picture was dropped.
static int umb_enc_frame(umb_enc *e, unsigned char *y, unsigned char *u, unsigned char *v,
		int ystride, int cstride, long long pts, int force,
		const void **buf, size_t *n, int *key) {
	vpx_image_t img;
	vpx_img_wrap(&img, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, y);
	img.planes[VPX_PLANE_Y] = y;
	img.planes[VPX_PLANE_U] = u;
	img.planes[VPX_PLANE_V] = v;
	img.stride[VPX_PLANE_Y] = ystride;
	img.stride[VPX_PLANE_U] = cstride;
	img.stride[VPX_PLANE_V] = cstride;
	vpx_codec_err_t err = vpx_codec_encode(&e->ctx, &img, pts, 1, force ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
	if (err != VPX_CODEC_OK) return err;
	*buf = NULL;
	*n = 0;
	*key = 0;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
		if (pkt->kind == VPX_CODEC_CX_FRAME_PKT && *buf == NULL) {
			*buf = pkt->data.frame.buf;
			*n = pkt->data.frame.sz;
			*key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		}
	}
	return VPX_CODEC_OK;
}

static int umb_enc_set_bitrate(umb_enc *e, unsigned kbps) {
	e->cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg);
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

// Errors a caller may branch on.
var (
	// ErrClosed: the Encoder or Decoder was closed.
	ErrClosed = errors.New("vpx: closed")
	// ErrConfig: an EncoderConfig or a bitrate is outside the limits.
	ErrConfig = errors.New("vpx: bad configuration")
	// ErrPicture: a picture to encode is not 4:2:0 of the configured size.
	ErrPicture = errors.New("vpx: bad picture")
)

// EncoderConfig configures an Encoder.
type EncoderConfig struct {
	// Width and Height are every picture's size in pixels: even, at most
	// MaxWidth by MaxHeight.
	Width, Height int
	// FrameRate is the pictures per second Encode is called with, 1 to
	// MaxFrameRate; the rate controller spreads the bitrate over them.
	FrameRate int
	// Bitrate is the target in bits per second, MinBitrate to MaxBitrate
	// (libvpx counts whole kbit/s); SetBitrate changes it later.
	Bitrate int
	// Speed is libvpx's cpu-used for VP8, MinSpeed to MaxSpeed: higher is
	// faster at some cost in quality; negative values let libvpx adapt
	// the speed to the realtime deadline. Calls use 8 to 12.
	Speed int
	// KeyFrameInterval is the most frames between two key frames (0: key
	// frames only on request and at the start).
	KeyFrameInterval int
	// ErrorResilient makes each frame decodable after an earlier one was
	// lost, at a small cost in size (libvpx's error-resilient mode).
	ErrorResilient bool
	// Threads is how many threads libvpx encodes with, 1 to MaxThreads.
	Threads int
}

// DefaultEncoderConfig is a call's camera stream: 640x360 at 30 frames a
// second, 600 kbit/s, speed 10, a key frame at least every 3 s, error
// resilient, one thread.
func DefaultEncoderConfig() EncoderConfig {
	return EncoderConfig{
		Width:            640,
		Height:           360,
		FrameRate:        30,
		Bitrate:          600_000,
		Speed:            10,
		KeyFrameInterval: 90,
		ErrorResilient:   true,
		Threads:          1,
	}
}

// Validate reports the first setting outside the limits.
func (c EncoderConfig) Validate() error {
	switch {
	case c.Width < 2 || c.Width > MaxWidth || c.Width%2 != 0 || c.Height < 2 || c.Height > MaxHeight || c.Height%2 != 0:
		return fmt.Errorf("%w: size %dx%d (even, at most %dx%d)", ErrConfig, c.Width, c.Height, MaxWidth, MaxHeight)
	case c.FrameRate < 1 || c.FrameRate > MaxFrameRate:
		return fmt.Errorf("%w: frame rate %d", ErrConfig, c.FrameRate)
	case c.Bitrate < MinBitrate || c.Bitrate > MaxBitrate:
		return fmt.Errorf("%w: bitrate %d", ErrConfig, c.Bitrate)
	case c.Speed < MinSpeed || c.Speed > MaxSpeed:
		return fmt.Errorf("%w: speed %d", ErrConfig, c.Speed)
	case c.KeyFrameInterval < 0:
		return fmt.Errorf("%w: key frame interval %d", ErrConfig, c.KeyFrameInterval)
	case c.Threads < 1 || c.Threads > MaxThreads:
		return fmt.Errorf("%w: %d threads", ErrConfig, c.Threads)
	}
	return nil
}

// Encoder is a VP8 encoder. Its methods are safe for concurrent use;
// Encode calls are serialised.
type Encoder struct {
	cfg EncoderConfig

	mu      sync.Mutex
	c       *C.umb_enc // C memory; nil once closed; guarded by mu
	pts     int64      // the next picture's presentation time, in frames; guarded by mu
	bitrate int        // the current target, bits per second; guarded by mu
}

// NewEncoder opens a VP8 encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := (*C.umb_enc)(C.calloc(1, C.size_t(unsafe.Sizeof(C.umb_enc{}))))
	if c == nil {
		return nil, errors.New("vpx: out of memory")
	}
	resilient := 0
	if cfg.ErrorResilient {
		resilient = 1
	}
	if rc := C.umb_enc_new(c, C.uint(cfg.Width), C.uint(cfg.Height), C.int(cfg.FrameRate), C.uint(kbps(cfg.Bitrate)),
		C.int(cfg.Speed), C.uint(cfg.KeyFrameInterval), C.int(resilient), C.uint(cfg.Threads)); rc != C.VPX_CODEC_OK {
		err := fmt.Errorf("vpx: open encoder: %s", C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc))))
		C.free(unsafe.Pointer(c))
		return nil, err
	}
	return &Encoder{cfg: cfg, c: c, bitrate: cfg.Bitrate}, nil
}

func kbps(bps int) int { return (bps + 500) / 1000 }

// Config returns the configuration the Encoder was opened with (its
// Bitrate as set then; see Bitrate for the current one).
func (e *Encoder) Config() EncoderConfig { return e.cfg }

// Encode compresses one picture: a 4:2:0 *image.YCbCr of the configured
// size. With forceKey the frame is a key frame; key reports whether it
// is one (also at the start, at the interval, or when libvpx chooses).
// The returned frame is the caller's. It is nil only if libvpx produced
// nothing for the picture (it is configured never to drop one).
func (e *Encoder) Encode(img *image.YCbCr, forceKey bool) (frame []byte, key bool, err error) {
	y, u, v, err := e.planes(img)
	if err != nil {
		return nil, false, err
	}
	force := 0
	if forceKey {
		force = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil, false, ErrClosed
	}
	var buf unsafe.Pointer
	var n C.size_t
	var isKey C.int
	rc := C.umb_enc_frame(e.c, (*C.uchar)(unsafe.Pointer(y)), (*C.uchar)(unsafe.Pointer(u)), (*C.uchar)(unsafe.Pointer(v)),
		C.int(img.YStride), C.int(img.CStride), C.longlong(e.pts), C.int(force), &buf, &n, &isKey)
	if rc != C.VPX_CODEC_OK {
		return nil, false, fmt.Errorf("vpx: encode: %s", e.errorText())
	}
	e.pts++
	if n == 0 {
		return nil, false, nil
	}
	return C.GoBytes(buf, C.int(n)), isKey != 0, nil
}

// planes returns pointers to the first pixel of img's three planes after
// checking that the planes hold every row libvpx will read.
func (e *Encoder) planes(img *image.YCbCr) (y, u, v *byte, err error) {
	if img == nil {
		return nil, nil, nil, fmt.Errorf("%w: nil", ErrPicture)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, nil, nil, fmt.Errorf("%w: subsampling %v, not 4:2:0", ErrPicture, img.SubsampleRatio)
	}
	r := img.Rect
	if r.Dx() != e.cfg.Width || r.Dy() != e.cfg.Height {
		return nil, nil, nil, fmt.Errorf("%w: %dx%d, encoder is %dx%d", ErrPicture, r.Dx(), r.Dy(), e.cfg.Width, e.cfg.Height)
	}
	w, h := e.cfg.Width, e.cfg.Height
	cw, ch := (w+1)/2, (h+1)/2
	yo, co := img.YOffset(r.Min.X, r.Min.Y), img.COffset(r.Min.X, r.Min.Y)
	if img.YStride < w || img.CStride < cw || yo < 0 || co < 0 ||
		len(img.Y) < yo+(h-1)*img.YStride+w ||
		len(img.Cb) < co+(ch-1)*img.CStride+cw || len(img.Cr) < co+(ch-1)*img.CStride+cw {
		return nil, nil, nil, fmt.Errorf("%w: planes shorter than %dx%d", ErrPicture, w, h)
	}
	return &img.Y[yo], &img.Cb[co], &img.Cr[co], nil
}

// SetBitrate changes the target bitrate, in bits per second, from the
// next frame on (for bandwidth estimation).
func (e *Encoder) SetBitrate(bps int) error {
	if bps < MinBitrate || bps > MaxBitrate {
		return fmt.Errorf("%w: bitrate %d", ErrConfig, bps)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return ErrClosed
	}
	if rc := C.umb_enc_set_bitrate(e.c, C.uint(kbps(bps))); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("vpx: set bitrate %d: %s", bps, e.errorText())
	}
	e.bitrate = bps
	return nil
}

// Bitrate returns the current target bitrate, in bits per second.
func (e *Encoder) Bitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bitrate
}

// errorText is libvpx's description of the encoder's last error. e.mu
// is held.
func (e *Encoder) errorText() string {
	return codecError(&e.c.ctx)
}

// Close frees the encoder. Closing it again does nothing.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil
	}
	C.vpx_codec_destroy(&e.c.ctx)
	C.free(unsafe.Pointer(e.c))
	e.c = nil
	return nil
}

// codecError is libvpx's description of ctx's last error, with its
// detail when there is one.
func codecError(ctx *C.vpx_codec_ctx_t) string {
	msg := C.GoString(C.vpx_codec_error(ctx))
	if d := C.vpx_codec_error_detail(ctx); d != nil {
		msg += ": " + C.GoString(d)
	}
	return msg
}
