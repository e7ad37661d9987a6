package vision_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call/codec/vpx"
	"github.com/umbrella-p2p/umbrella/call/device/camera"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/vision"
)

// This test runs the app's real video path between two participants on a
// pion vnet LAN: alice's camera (the test pattern) is VP8-encoded by
// libvpx, sent through her Session (SFrame, RTP), received by bob's
// Session, decoded and drawn into a tile, which must show the pattern's
// colour bars. Alice's encoder makes key frames only on request, and bob
// loses the first one: he sees her only because his decoder's need of a
// key frame reached her encoder. (This test binary uses cgo, for libvpx;
// package vision itself does not.)

// losing is bob's Sink: it loses the first video key frame.
type losing struct {
	media.Sink
	lost atomic.Bool
}

func (l *losing) Frame(from string, f media.Frame) {
	if f.KeyFrame && l.lost.CompareAndSwap(false, true) {
		return
	}
	l.Sink.Frame(from, f)
}

func newVision(t *testing.T, send bool, requests *atomic.Int64) *vision.Pipeline {
	t.Helper()
	p, err := vision.New(vision.Config{
		Send: send,
		OpenCamera: func() (vision.Camera, vision.Encoder, error) {
			src, err := camera.NewTestPattern(camera.Request{Width: 320, Height: 180, FrameRate: 30})
			if err != nil {
				return nil, nil, err
			}
			m := src.Mode()
			cfg := vpx.DefaultEncoderConfig()
			cfg.Width, cfg.Height, cfg.FrameRate = m.Width, m.Height, int(m.FrameRate)
			cfg.Bitrate = 300_000
			cfg.KeyFrameInterval = 0 // key frames only at the start and on request
			enc, err := vpx.NewEncoder(cfg)
			if err != nil {
				_ = src.Close()
				return nil, nil, err
			}
			return src, countingEncoder{enc, requests}, nil
		},
		NewDecoder:   func() (vision.Decoder, error) { return vpx.NewDecoder() },
		NeedKeyFrame: vpx.ErrNeedKeyFrame,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// countingEncoder counts the forced key frames.
type countingEncoder struct {
	*vpx.Encoder
	forced *atomic.Int64
}

func (e countingEncoder) Encode(img *image.YCbCr, force bool) ([]byte, bool, error) {
	if force && e.forced != nil {
		e.forced.Add(1)
	}
	return e.Encoder.Encode(img, force)
}

func TestVP8VideoOverVnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 10 * time.Millisecond,
			LoggerFactory: logging.NewDefaultLoggerFactory()})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		sessions := map[string]*media.Session{}
		newSession := func(id string, ip int, sink media.Sink) *media.Session {
			se := vnetSettings(t, wan, fmt.Sprintf("10.0.0.%d", ip))
			s, err := media.New(media.Config{Self: id, Video: true, Sink: sink, API: webrtc.NewAPI(webrtc.WithSettingEngine(se)),
				Signal: func(to string, blob []byte) {
					mu.Lock()
					dst := sessions[to]
					mu.Unlock()
					if dst != nil {
						if err := dst.HandleSignal(id, blob); err != nil {
							t.Errorf("signal %s -> %s: %v", id, to, err)
						}
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			sessions[id] = s
			mu.Unlock()
			return s
		}
		var forced atomic.Int64
		aliceVid := newVision(t, true, &forced)
		bobVid := newVision(t, false, nil)
		alice := newSession("alice", 10, aliceVid)
		bob := newSession("bob", 11, &losing{Sink: bobVid})
		if err := wan.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			for _, c := range []interface{ Close() error }{aliceVid, bobVid, alice, bob} {
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			}
			if err := wan.Stop(); err != nil {
				t.Error(err)
			}
		}()
		key := bytes.Repeat([]byte{7}, 16)
		if err := bob.SetRecvKey("alice", 1, key); err != nil {
			t.Fatal(err)
		}
		if err := alice.Connect("bob"); err != nil {
			t.Fatal(err)
		}
		if err := bob.Connect("alice"); err != nil {
			t.Fatal(err)
		}
		if err := aliceVid.Start(alice); err != nil {
			t.Fatal(err)
		}
		if err := bobVid.Start(bob); err != nil {
			t.Fatal(err)
		}
		if err := alice.SetSendKey(1, key); err != nil {
			t.Fatal(err)
		}
		dst := image.NewRGBA(image.Rect(0, 0, 320, 180))
		var seq uint64
		for i := 0; ; i++ {
			if i > 200 {
				t.Fatalf("bob never sees alice in 10 s (%d key frames forced)", forced.Load())
			}
			<-time.After(50 * time.Millisecond)
			var drew bool
			if seq, drew = bobVid.Draw("alice", dst, color.RGBA{A: 255}, seq); drew && seq >= 10 {
				break
			}
		}
		if n := forced.Load(); n < 2 {
			t.Fatalf("%d key frames forced: bob's lost key frame was never asked for again", n)
		}
		// The bars, in the top third: each one's colour, within the
		// codec's and the scaler's error.
		for i, b := range camera.Bars {
			r, g, bl := color.YCbCrToRGB(b[0], b[1], b[2])
			x := (2*i + 1) * 320 / 14
			got := dst.RGBAAt(x, 30)
			if d := max(diff(got.R, r), diff(got.G, g), diff(got.B, bl)); d > 32 {
				t.Errorf("bar %d at x=%d is %v, the pattern's is (%d,%d,%d)", i, x, got, r, g, bl)
			}
		}
	})
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
