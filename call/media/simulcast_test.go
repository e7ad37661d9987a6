package media

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// layerSink records the layer of the last video frame from each sender
// (the byte after the codec header of the frames layerFrames sends), and
// the layers whose key frames were asked for.
type layerSink struct {
	mu    sync.Mutex
	last  map[string]int
	count map[string]map[int]int
	asked map[uint8]int
}

func newLayerSink() *layerSink {
	return &layerSink{last: map[string]int{}, count: map[string]map[int]int{}, asked: map[uint8]int{}}
}

func (k *layerSink) Frame(from string, f Frame) {
	if f.Kind != Video {
		return
	}
	n := 3
	if f.KeyFrame {
		n = 10
	}
	if len(f.Data) <= n {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.last[from] = int(f.Data[n])
	if k.count[from] == nil {
		k.count[from] = map[int]int{}
	}
	k.count[from][int(f.Data[n])]++
}

func (k *layerSink) KeyFrameRequest(string) {}

func (k *layerSink) LayerKeyFrameRequest(_ string, l uint8) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asked[l]++
}

func (k *layerSink) lastFrom(from string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l, ok := k.last[from]; ok {
		return l
	}
	return -1
}

// sendLayers sends, as a program encoding simulcast does, a VP8-like
// frame of every layer s sends every 1/15 s (a key frame every 15th),
// each of its layer's sfu.DefaultLayers bitrate, the layer in the byte
// after the codec header, until the function it returns is called. A
// layer to which VideoBitrates gives 0 is not sent (as call/vision does):
// the uplink does not carry it.
func sendLayers(s *callSession) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		layerFrames(s, done)
	}()
	return func() { close(done); wg.Wait() }
}

func layerFrames(s *callSession, stop <-chan struct{}) {
	video := time.NewTicker(VideoFrameInterval)
	defer video.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-video.C:
		}
		rates := s.VideoBitrates()
		for l := range s.VideoLayers() {
			if l < len(rates) && rates[l] == 0 {
				continue
			}
			size := sfu.DefaultLayers[l].Bitrate / 8 / 15
			head := []byte{0x31, 0x02, 0x00}
			if n%15 == 0 {
				head = []byte{0x30, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
			}
			data := append(head, byte(l))
			data = append(data, make([]byte, size)...)
			_ = s.Send(Frame{Kind: Video, Layer: uint8(l), KeyFrame: n%15 == 0, Data: data})
		}
	}
}

// newSimulcastCall is newSFUCallWith of n participants sending what the
// test sends, peer00 in two layers, each with a layerSink.
func newSimulcastCall(t *testing.T, n int, net func(*vnet.Router, string) webrtc.SettingEngine) (*sfuCall, map[string]*layerSink) {
	t.Helper()
	sinks := map[string]*layerSink{}
	c := newSFUCallWith(t, n, false, func(id string) Sink {
		sinks[id] = newLayerSink()
		return sinks[id]
	}, func(cfg *Config) {
		if cfg.Self == "peer00" {
			cfg.VideoLayers = 2
		}
	}, net)
	return c, sinks
}

// TestSimulcastThroughAnSFU: a participant that encodes two layers sends
// both through the SFU (one in a mesh); a subscriber showing it in the
// large tile receives the top layer, one showing it in a grid tile the
// low one, and one whose tile grows gets the top layer, asked of the
// publisher with a key frame.
func TestSimulcastThroughAnSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, sinks := newSimulcastCall(t, 4, nil)
		defer c.close()
		pub := c.sessions["peer00"]
		if n := pub.VideoLayers(); n != 1 {
			t.Errorf("%d layers to encode in a mesh, want 1", n)
		}
		c.toHost(t)
		defer sendLayers(pub)()
		big, small := c.sessions["peer01"], c.sessions["peer02"]
		if err := big.ShowLayers(map[string]sfu.Layer{"peer00": sfu.LayerHigh}); err != nil {
			t.Fatal(err)
		}
		if err := small.ShowLayers(map[string]sfu.Layer{"peer00": sfu.LayerLow}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "the large tile gets the top layer, the grid tile the low one", func() bool {
			return sinks["peer01"].lastFrom("peer00") == 1 && sinks["peer02"].lastFrom("peer00") == 0
		})
		if n := pub.VideoLayers(); n != 2 {
			t.Errorf("%d layers to encode through the SFU, want 2", n)
		}
		<-time.After(2 * time.Second)
		if l := sinks["peer01"].lastFrom("peer00"); l != 1 {
			t.Errorf("the large tile fell to layer %d", l)
		}
		if l := sinks["peer02"].lastFrom("peer00"); l != 0 {
			t.Errorf("the grid tile moved to layer %d", l)
		}
		if err := small.ShowLayers(map[string]sfu.Layer{"peer00": sfu.LayerHigh}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the grid tile made large gets the top layer", func() bool { return sinks["peer02"].lastFrom("peer00") == 1 })
		sinks["peer00"].mu.Lock()
		asked := sinks["peer00"].asked[1]
		sinks["peer00"].mu.Unlock()
		if asked == 0 {
			t.Error("the SFU never asked the publisher for a key frame of the top layer")
		}
	})
}

// TestSimulcastFollowsEachSubscribersLink: everyone shows the simulcast
// publisher large; the SFU's estimate of each subscriber's downlink gives
// those on a fast link the top layer and the one behind a 400 kbit/s link
// the low one.
func TestSimulcastFollowsEachSubscribersLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const slowIP = "10.0.0.13" // peer03
		c, sinks := newSimulcastCall(t, 4, func(wan *vnet.Router, ip string) webrtc.SettingEngine {
			if ip != slowIP {
				return vnetSettings(t, wan, ip)
			}
			return vnetSettingsBehind(t, wan, ip, vnet.NewTBFQueue(400_000, 15_000, 300_000))
		})
		defer c.close()
		c.toHost(t)
		for _, id := range c.ids[1:] {
			if err := c.sessions[id].ShowLayers(map[string]sfu.Layer{"peer00": sfu.LayerHigh}); err != nil {
				t.Fatal(err)
			}
		}
		defer sendLayers(c.sessions["peer00"])()
		waitFor(t, 20*time.Second, "the slow subscriber gets the low layer, the others the top one", func() bool {
			return sinks["peer01"].lastFrom("peer00") == 1 && sinks["peer02"].lastFrom("peer00") == 1 && sinks["peer03"].lastFrom("peer00") == 0
		})
		<-time.After(3 * time.Second)
		for id, want := range map[string]int{"peer01": 1, "peer02": 1, "peer03": 0} {
			if l := sinks[id].lastFrom("peer00"); l != want {
				t.Errorf("%s gets layer %d after 3 s more, want %d", id, l, want)
			}
		}
		for _, st := range c.host.Stats() {
			t.Logf("%s: forwarded %d, dropped %d", st.Peer, st.Forwarded, st.Dropped)
		}
	})
}

// TestSimulcastTopLayerStopsOnAPoorUplink: a publisher whose uplink
// carries 400 kbit/s (the host's link, which only its video uses) sees
// its estimate fall, stops its top layer, and its subscriber that wants
// the top layer gets the low one; nothing of the top layer is sent then.
func TestSimulcastTopLayerStopsOnAPoorUplink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, sinks := newSimulcastCall(t, 2, func(wan *vnet.Router, ip string) webrtc.SettingEngine {
			if ip != "10.0.0.1" {
				return vnetSettings(t, wan, ip)
			}
			return vnetSettingsBehind(t, wan, ip, vnet.NewTBFQueue(400_000, 15_000, 300_000))
		})
		defer c.close()
		c.toHost(t)
		pub := c.sessions["peer00"]
		if err := c.sessions["peer01"].ShowLayers(map[string]sfu.Layer{"peer00": sfu.LayerHigh}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "an uplink estimate", func() bool { return len(pub.VideoBitrates()) == 2 })
		if b := pub.VideoBitrates(); b[1] == 0 {
			t.Fatalf("the top layer is off before anything was sent: %v", b)
		}
		defer sendLayers(pub)()
		waitFor(t, 20*time.Second, "the top layer stops and the subscriber gets the low one", func() bool {
			b := pub.VideoBitrates()
			return b[1] == 0 && sinks["peer01"].lastFrom("peer00") == 0
		})
		t.Logf("uplink split %v", pub.VideoBitrates())
	})
}
