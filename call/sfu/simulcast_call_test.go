package sfu

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
)

// scPeer is a participant of the simulcast call tests: it publishes three
// layers through AddSimulcast (a packet per layer and frame, the layer in
// its 4th payload byte, a key frame every 30 frames or when asked) or
// receives on one video slot, recording the layer and sequence number of
// what arrives.
type scPeer struct {
	id   string
	pc   *webrtc.PeerConnection
	sc   *Simulcast
	stop chan struct{}
	wg   sync.WaitGroup

	mu   sync.Mutex
	got  []fwd
	asks map[Layer]int
}

func (c *call) scJoin(id, ip string, publish bool) *scPeer {
	t := c.t
	t.Helper()
	p := &scPeer{id: id, stop: make(chan struct{}), asks: map[Layer]int{}}
	pc, err := c.api(ip).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p.pc = pc
	if publish {
		if p.sc, err = AddSimulcast(pc, id, MaxLayers); err != nil {
			t.Fatal(err)
		}
	} else {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
		pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				for {
					pkt, _, err := tr.ReadRTP()
					if err != nil {
						return
					}
					if len(pkt.Payload) < 4 {
						continue
					}
					p.mu.Lock()
					p.got = append(p.got, fwd{Layer(pkt.Payload[3]), pkt.SequenceNumber, pkt.Timestamp, vp8KeyFrameStart(pkt.Payload)})
					p.mu.Unlock()
				}
			}()
		})
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	answer, err := c.sfu.Join(id, pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	if publish {
		keys := make(chan Layer, 16)
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_ = p.sc.KeyFrames(func(l Layer) {
				p.mu.Lock()
				p.asks[l]++
				p.mu.Unlock()
				select {
				case keys <- l:
				default:
				}
			})
		}()
		go func() {
			defer p.wg.Done()
			tick := time.NewTicker(time.Second / 15)
			defer tick.Stop()
			var seq [MaxLayers]uint16
			var force [MaxLayers]bool
			for n := 0; ; n++ {
				select {
				case <-p.stop:
					return
				case l := <-keys:
					force[l] = true
					continue
				case <-tick.C:
				}
				for l := range Layer(MaxLayers) {
					tag := byte(0x51)
					if n%30 == 0 || force[l] {
						tag, force[l] = 0x50, false
					}
					pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq[l], Timestamp: uint32(n * 6000), Marker: true},
						Payload: []byte{0x10, tag, 0, byte(l), 1, 2, 3, 4}}
					seq[l]++
					_ = p.sc.WriteRTP(l, pkt)
				}
			}
		}()
	}
	return p
}

func (p *scPeer) received() []fwd {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]fwd(nil), p.got...)
}

func (p *scPeer) close() {
	close(p.stop)
	_ = p.pc.GracefulClose()
	p.wg.Wait()
}

// lastLayer is the layer of the last packet received, or -1.
func (p *scPeer) lastLayer() int {
	got := p.received()
	if len(got) == 0 {
		return -1
	}
	return int(got[len(got)-1].layer)
}

func TestSimulcastCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCall(t, 0, 0)
		defer c.close()
		pub := c.scJoin("pub", "10.0.0.10", true)
		defer pub.close()
		sub := c.scJoin("sub", "10.0.0.11", false)
		defer sub.close()
		if err := c.sfu.SetShown("sub", []string{"pub"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the low layer reaches the grid tile", func() bool { return sub.lastLayer() == int(LayerLow) })
		if err := c.sfu.SetLayers("sub", LayerRequest{Want: map[string]Layer{"pub": LayerHigh}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "the high layer reaches the speaker tile", func() bool { return sub.lastLayer() == int(LayerHigh) })
		if err := c.sfu.SetBandwidth("sub", 400_000); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 3*time.Second, "the low layer after the bandwidth drop", func() bool { return sub.lastLayer() == int(LayerLow) })
		time.Sleep(time.Second)
		got := sub.received()
		if l := layersOf(got); len(l) != 3 || l[0] != LayerLow || l[1] != LayerHigh || l[2] != LayerLow {
			t.Errorf("received layers %v, want low, high, low", l)
		}
		checkContinuous(t, got)
		pub.mu.Lock()
		asks := pub.asks[LayerHigh]
		pub.mu.Unlock()
		if asks == 0 {
			t.Error("the publisher was never asked for a key frame of the high layer")
		}
		for name, req := range map[string]LayerRequest{
			"layer 3":   {Want: map[string]Layer{"pub": MaxLayers}},
			"no source": {Want: map[string]Layer{"": LayerHigh}},
		} {
			if err := c.sfu.SetLayers("sub", req); !errors.Is(err, ErrBadLayer) {
				t.Errorf("%s: %v, want ErrBadLayer", name, err)
			}
		}
		if err := c.sfu.SetLayers("nobody", LayerRequest{}); !errors.Is(err, ErrBadPeer) {
			t.Errorf("a stranger's request: %v, want ErrBadPeer", err)
		}
	})
}

// TestSFUEstimatesEachSubscriber: an SFU built with NewAPIWithBWE gives
// every subscriber its own estimator, whose target caps the layers.
func TestSFUEstimatesEachSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCall(t, 0, 0)
		defer c.close()
		nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.2"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.wan.AddNet(nw); err != nil {
			t.Fatal(err)
		}
		se := webrtc.SettingEngine{}
		se.SetNet(nw)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		api, bwe, err := NewAPIWithBWE(se)
		if err != nil {
			t.Fatal(err)
		}
		old := c.sfu
		defer func() { _ = old.Close() }()
		if c.sfu, err = New(Config{API: api, BWE: bwe}); err != nil {
			t.Fatal(err)
		}
		sub := c.scJoin("sub", "10.0.0.11", false)
		defer sub.close()
		p := c.sfu.part("sub")
		if got := p.sub.bandwidth.Load(); got != InitialBitrate {
			t.Errorf("the subscriber's estimate is %d bit/s, want the estimator's %d", got, InitialBitrate)
		}
		if _, _, err := bwe.NewPeerConnection(c.api("10.0.0.3"), webrtc.Configuration{}); err == nil {
			t.Error("an API without the estimator gave a connection")
		}
	})
}
