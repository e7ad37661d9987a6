package media

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

func TestSplitBitrate(t *testing.T) {
	for _, c := range []struct {
		target, layers int
		want           []int
	}{
		{3_000_000, 3, []int{150_000, 500_000, 1_200_000}},
		{800_000, 3, []int{150_000, 500_000, 0}},
		{400_000, 3, []int{150_000, 0, 0}},
		{100_000, 3, []int{68_000, 0, 0}},
		{10_000, 3, []int{50_000, 0, 0}},
		{700_000, 2, []int{150_000, 500_000}},
		{700_000, 1, []int{668_000}},
		{5_000_000, 1, []int{1_200_000}},
	} {
		b, err := SplitBitrate(c.target, c.layers)
		if err != nil {
			t.Fatal(err)
		}
		for l := range c.want {
			if b.Layers[l] != c.want[l] {
				t.Errorf("%d bit/s in %d layers: %v, want %v", c.target, c.layers, b.Layers, c.want)
				break
			}
		}
	}
	for _, n := range []int{0, sfu.MaxLayers + 1} {
		if _, err := SplitBitrate(1e6, n); err == nil {
			t.Errorf("%d layers accepted", n)
		}
	}
}

// fakeEstimator is a bandwidth estimator whose target the test sets.
type fakeEstimator struct {
	cc.BandwidthEstimator // not called
	target                int
	on                    func(int)
}

func (f *fakeEstimator) GetTargetBitrate() int             { return f.target }
func (f *fakeEstimator) OnTargetBitrateChange(g func(int)) { f.on = g }
func (f *fakeEstimator) set(bps int) {
	f.target = bps
	if f.on != nil {
		f.on(bps)
	}
}

// TestUplinkFollowsEstimate: the split reported follows the estimate up
// and down, turning the high layers on and off.
func TestUplinkFollowsEstimate(t *testing.T) {
	est := &fakeEstimator{target: sfu.InitialBitrate}
	up, err := NewUplink(est, 3)
	if err != nil {
		t.Fatal(err)
	}
	if b := up.Bitrates(); b.Target != sfu.InitialBitrate || b.Layers[1] == 0 || b.Layers[2] != 0 {
		t.Errorf("at the start: %+v, want the low and mid layers", b)
	}
	var got []Bitrates
	up.OnChange(func(b Bitrates) { got = append(got, b) })
	est.set(2_500_000)
	est.set(300_000)
	if len(got) != 2 {
		t.Fatalf("%d changes reported, want 2", len(got))
	}
	if got[0].Layers[2] != sfu.DefaultLayers[sfu.LayerHigh].Bitrate {
		t.Errorf("at 2.5 Mbit/s: %v, want the high layer on", got[0].Layers)
	}
	if got[1].Layers[1] != 0 || got[1].Layers[2] != 0 || got[1].Layers[0] == 0 {
		t.Errorf("at 300 kbit/s: %v, want the low layer only", got[1].Layers)
	}
	if _, err := NewUplink(est, 0); err == nil {
		t.Error("an uplink of no layers accepted")
	}
}

// TestUplinkFollowsCapacity sends 3 Mbit/s of video (a 10-packet frame
// every 33 ms, as an encoder does) from a publisher with the estimator
// to a receiver behind a token bucket on vnet: the estimate rises above
// its start while the link carries 5 Mbit/s and falls when it carries
// only 500 kbit/s, and the split follows.
func TestUplinkFollowsCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 10 * time.Millisecond, LoggerFactory: logging.NewDefaultLoggerFactory()})
		if err != nil {
			t.Fatal(err)
		}
		var closers []func()
		settings := func(ip string, tbf *vnet.TBFQueue) webrtc.SettingEngine {
			nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
			if err != nil {
				t.Fatal(err)
			}
			var nic vnet.NIC = nw
			if tbf != nil {
				q, err := vnet.NewQueue(nw, tbf)
				if err != nil {
					t.Fatal(err)
				}
				nic = q
				closers = append(closers, func() { _ = q.Close() })
			}
			if err := wan.AddNet(nic); err != nil {
				t.Fatal(err)
			}
			se := webrtc.SettingEngine{}
			se.SetNet(nw)
			se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
			return se
		}
		tbf := vnet.NewTBFQueue(5_000_000, 15_000, 60_000)
		pubAPI, bwe, err := sfu.NewAPIWithBWE(settings("10.0.0.2", nil))
		if err != nil {
			t.Fatal(err)
		}
		subAPI, err := sfu.NewAPI(settings("10.0.0.3", tbf))
		if err != nil {
			t.Fatal(err)
		}
		if err := wan.Start(); err != nil {
			t.Fatal(err)
		}
		pub, est, err := bwe.NewPeerConnection(pubAPI, webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		up, err := NewUplink(est, 3)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := subAPI.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "pub")
		if err != nil {
			t.Fatal(err)
		}
		snd, err := pub.AddTrack(track)
		if err != nil {
			t.Fatal(err)
		}
		go func() { // RTCP must be read for the estimator to get its feedback
			for {
				if _, _, err := snd.Read(make([]byte, 1500)); err != nil {
					return
				}
			}
		}()
		sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			go func() {
				for {
					if _, _, err := tr.ReadRTP(); err != nil {
						return
					}
				}
			}()
		})
		offer, err := pub.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		g := webrtc.GatheringCompletePromise(pub)
		if err := pub.SetLocalDescription(offer); err != nil {
			t.Fatal(err)
		}
		<-g
		if err := sub.SetRemoteDescription(*pub.LocalDescription()); err != nil {
			t.Fatal(err)
		}
		answer, err := sub.CreateAnswer(nil)
		if err != nil {
			t.Fatal(err)
		}
		g = webrtc.GatheringCompletePromise(sub)
		if err := sub.SetLocalDescription(answer); err != nil {
			t.Fatal(err)
		}
		<-g
		if err := pub.SetRemoteDescription(*sub.LocalDescription()); err != nil {
			t.Fatal(err)
		}
		done, sent := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(sent)
			tick := time.NewTicker(time.Second / 30)
			defer tick.Stop()
			payload := make([]byte, 1200)
			payload[0] = 0x10
			seq := uint16(0)
			for n := uint32(0); ; n++ {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				for range 10 {
					_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: n * 3000}, Payload: payload})
					seq++
				}
			}
		}()
		time.Sleep(10 * time.Second)
		high := up.Bitrates()
		tbf.SetRate(500_000)
		time.Sleep(10 * time.Second)
		low := up.Bitrates()
		close(done)
		<-sent
		_ = pub.Close()
		_ = sub.Close()
		for _, c := range closers {
			c()
		}
		_ = wan.Stop()
		t.Logf("estimate %d bit/s at 5 Mbit/s (layers %v), %d at 500 kbit/s (layers %v)", high.Target, high.Layers, low.Target, low.Layers)
		if high.Target <= sfu.InitialBitrate || high.Layers[2] == 0 {
			t.Errorf("at 5 Mbit/s the estimate is %d bit/s (layers %v), want above %d with the high layer", high.Target, high.Layers, sfu.InitialBitrate)
		}
		if low.Target >= 600_000 || low.Layers[1] != 0 {
			t.Errorf("at 500 kbit/s the estimate is %d bit/s (layers %v), want below 600 kbit/s and the low layer only", low.Target, low.Layers)
		}
	})
}

// TestVideoBitratesFollowTheUplink: through an SFU a Session's video
// bitrates are the split of its uplink estimate, the top layer off when
// the estimate cannot carry it; in a mesh there are none.
func TestVideoBitratesFollowTheUplink(t *testing.T) {
	s, err := New(Config{Self: "me", Video: true, VideoLayers: 2, Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b := s.VideoBitrates(); b != nil {
		t.Fatalf("bitrates %v in a mesh", b)
	}
	est := &fakeEstimator{target: sfu.InitialBitrate}
	c := &sfuClient{s: s}
	c.followUplink(est)
	s.sfu.Store(c)
	if b := s.VideoBitrates(); !slices.Equal(b, []int{150_000, 500_000}) {
		t.Fatalf("at %d bit/s: %v", est.target, b)
	}
	est.set(400_000)
	if b := s.VideoBitrates(); !slices.Equal(b, []int{150_000, 0}) {
		t.Fatalf("at 400 kbit/s: %v, want the top layer off", b)
	}
	est.set(2_000_000)
	if b := s.VideoBitrates(); !slices.Equal(b, []int{150_000, 500_000}) {
		t.Fatalf("at 2 Mbit/s: %v", b)
	}
	if _, err := New(Config{Self: "me", Video: true, Synthetic: true, VideoLayers: len(SyntheticLayers) + 1, Signal: func(string, []byte) {}}); err == nil {
		t.Error("synthetic video of more layers than SyntheticLayers was accepted")
	}
}
