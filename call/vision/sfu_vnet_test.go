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

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/codec/vpx"
	"github.com/umbrella-p2p/umbrella/call/device/camera"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sfu"
	"github.com/umbrella-p2p/umbrella/call/vision"
)

// sizeDecoder is libvpx's decoder, noting the size of the pictures it
// decodes.
type sizeDecoder struct {
	*vpx.Decoder
	size *atomic.Value
}

func (d sizeDecoder) DecodeTo(frame []byte, dst *image.YCbCr) (*image.YCbCr, error) {
	pic, err := d.Decoder.DecodeTo(frame, dst)
	if err == nil {
		d.size.Store(pic.Rect.Size())
	}
	return pic, err
}

// TestVP8SimulcastThroughAnSFUOverVnet runs the app's real video path
// through an SFU on a pion vnet LAN: alice's camera (the test pattern,
// 640x360) is encoded by libvpx in two layers, 320x180 and 640x360. Bob
// draws her in the speaker's large tile and gets the 640x360 layer;
// carol draws her in a small grid tile and gets the 320x180 one, and
// loses its first key frame: alice's encoders make key frames only on
// request, so carol sees her only because her decoder's request went
// through the SFU to alice's low layer.
func TestVP8SimulcastThroughAnSFUOverVnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 10 * time.Millisecond,
			LoggerFactory: logging.NewDefaultLoggerFactory()})
		if err != nil {
			t.Fatal(err)
		}
		settings := func(ip string) webrtc.SettingEngine { return vnetSettings(t, wan, ip) }
		hostAPI, hostBWE, err := sfu.NewAPIWithBWE(settings("10.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		host, err := sfu.NewHost(sfu.Config{API: hostAPI, BWE: hostBWE})
		if err != nil {
			t.Fatal(err)
		}
		var forced atomic.Int64
		var mu sync.Mutex
		meds := map[string]call.Media{}
		sizes := map[string]*atomic.Value{}
		pipes := map[string]*vision.Pipeline{}
		var wg sync.WaitGroup
		join := func(id string, ip int, send bool, sink func(*vision.Pipeline) media.Local) call.Media {
			sizes[id] = &atomic.Value{}
			p, err := vision.New(vision.Config{Send: send,
				OpenCamera: func() (vision.Camera, vision.Encoder, error) {
					src, err := camera.NewTestPattern(camera.Request{Width: 640, Height: 360, FrameRate: 30})
					if err != nil {
						return nil, nil, err
					}
					cfg := vpx.DefaultEncoderConfig()
					cfg.KeyFrameInterval = 0 // key frames only at the start and on request
					enc, err := vpx.NewEncoder(cfg)
					if err != nil {
						_ = src.Close()
						return nil, nil, err
					}
					return src, countingEncoder{enc, &forced}, nil
				},
				NewLayerEncoder: func(s vision.LayerSpec) (vision.Encoder, error) {
					cfg := vpx.DefaultEncoderConfig()
					cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyFrameInterval = s.Width, s.Height, s.Bitrate, 0
					enc, err := vpx.NewEncoder(cfg)
					return countingEncoder{enc, &forced}, err
				},
				NewDecoder: func() (vision.Decoder, error) {
					d, err := vpx.NewDecoder()
					return sizeDecoder{d, sizes[id]}, err
				},
				NeedKeyFrame: vpx.ErrNeedKeyFrame,
			})
			if err != nil {
				t.Fatal(err)
			}
			pipes[id] = p
			se := settings(fmt.Sprintf("10.0.0.%d", ip))
			sfuAPI, bwe, err := sfu.NewAPIWithBWE(se)
			if err != nil {
				t.Fatal(err)
			}
			newMedia := media.ForCalls(media.CallOptions{API: webrtc.NewAPI(webrtc.WithSettingEngine(se)), SFUAPI: sfuAPI, SFUBWE: bwe,
				VideoLayers: 2, Local: func(call.MediaConfig) (media.Local, error) { return sink(p), nil }})
			med, err := newMedia(call.MediaConfig{Self: id, Video: send,
				Signal: func(to string, blob []byte) {
					wg.Add(1)
					go func() {
						defer wg.Done()
						answer, err := host.Offer(id, blob)
						if err != nil {
							t.Errorf("offer of %s: %v", id, err)
							return
						}
						mu.Lock()
						m := meds[id]
						mu.Unlock()
						if err := m.HandleSignal(to, answer); err != nil {
							t.Errorf("answer to %s: %v", id, err)
						}
					}()
				},
				Layers: func(blob []byte) error { return host.Layers(id, blob) }})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			meds[id] = med
			mu.Unlock()
			return med
		}
		plain := func(p *vision.Pipeline) media.Local { return p }
		alice := join("alice", 10, true, plain)
		bob := join("bob", 11, false, plain)
		carol := join("carol", 12, false, func(p *vision.Pipeline) media.Local { return &losingLocal{Local: p} })
		if err := wan.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			for _, c := range []interface{ Close() error }{alice, bob, carol, host} {
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			}
			wg.Wait()
			if err := wan.Stop(); err != nil {
				t.Error(err)
			}
		}()
		key := bytes.Repeat([]byte{7}, 16)
		for _, m := range []call.Media{bob, carol} {
			if err := m.SetRecvKey("alice", 1, key); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range []call.Media{alice, bob, carol} {
			if err := m.SetHost("sfuhost"); err != nil {
				t.Fatal(err)
			}
		}
		if err := alice.SetSendKey(1, key); err != nil {
			t.Fatal(err)
		}
		large, small := image.NewRGBA(image.Rect(0, 0, 640, 360)), image.NewRGBA(image.Rect(0, 0, 320, 180))
		var bobSeq, carolSeq uint64
		for i := 0; ; i++ {
			if i > 200 {
				t.Fatalf("after 10 s: bob's pictures %v (%d), carol's %v (%d); %d key frames forced",
					sizes["bob"].Load(), bobSeq, sizes["carol"].Load(), carolSeq, forced.Load())
			}
			<-time.After(50 * time.Millisecond)
			bobSeq, _ = pipes["bob"].Draw("alice", large, color.RGBA{A: 255}, bobSeq)
			carolSeq, _ = pipes["carol"].Draw("alice", small, color.RGBA{A: 255}, carolSeq)
			if bobSeq >= 10 && carolSeq >= 10 && sizes["bob"].Load() == image.Pt(640, 360) && sizes["carol"].Load() == image.Pt(320, 180) {
				break
			}
		}
		for i, b := range camera.Bars {
			r, g, bl := color.YCbCrToRGB(b[0], b[1], b[2])
			for _, tile := range []*image.RGBA{large, small} {
				w := tile.Rect.Dx()
				x := (2*i + 1) * w / 14
				got := tile.RGBAAt(x, tile.Rect.Dy()/6)
				if d := max(diff(got.R, r), diff(got.G, g), diff(got.B, bl)); d > 32 {
					t.Errorf("bar %d at x=%d of the %d-wide tile is %v, the pattern's is (%d,%d,%d)", i, x, w, got, r, g, bl)
				}
			}
		}
	})
}

// losingLocal is a Local that loses the first video key frame.
type losingLocal struct {
	media.Local
	lost atomic.Bool
}

func (l *losingLocal) Frame(from string, f media.Frame) {
	if f.Kind == media.Video && f.KeyFrame && l.lost.CompareAndSwap(false, true) {
		return
	}
	l.Local.Frame(from, f)
}

// vnetSettings is the setting engine of a participant at ip on wan.
func vnetSettings(t *testing.T, wan *vnet.Router, ip string) webrtc.SettingEngine {
	t.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(nw); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return se
}
