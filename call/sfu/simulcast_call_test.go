package sfu

import (
	"errors"
	"maps"
	"slices"
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
// its 4th payload byte, a key frame every 30 frames or when asked, each
// frame of its layer's bitrate; every packet of a key frame has 1 in its
// 3rd byte) or receives on one video slot, recording the layer, sequence
// number and key-frame byte of what arrives.
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

func (c *call) scJoin(id, ip string, publish bool, downlink *vnet.TBFQueue) *scPeer {
	t := c.t
	t.Helper()
	p := &scPeer{id: id, stop: make(chan struct{}), asks: map[Layer]int{}}
	api := c.api(ip)
	if downlink != nil {
		api = c.apiBehind(ip, downlink)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
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
					p.got = append(p.got, fwd{Layer(pkt.Payload[3]), pkt.SequenceNumber, pkt.Timestamp, pkt.Payload[2] == 1})
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
					// a frame of the layer's bitrate, in packets of at most 1100 bytes
					size := DefaultLayers[l].Bitrate / 8 / 15
					for first := true; size > 0; first = false {
						payload := make([]byte, min(size, 1100))
						size -= len(payload)
						payload[0], payload[1], payload[3] = 0x00, 0x51, byte(l)
						if tag == 0x50 {
							payload[2] = 1 // every packet of a key frame says so, for the receiver's checks
						}
						if first {
							payload[0], payload[1] = 0x10, tag
						}
						pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq[l], Timestamp: uint32(n * 6000), Marker: size == 0},
							Payload: payload}
						seq[l]++
						_ = p.sc.WriteRTP(l, pkt)
					}
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
		pub := c.scJoin("pub", "10.0.0.10", true, nil)
		defer pub.close()
		sub := c.scJoin("sub", "10.0.0.11", false, nil)
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
		checkContinuous(t, got)
		// Until the low layer's first packets reach the SFU, the slot may
		// carry whichever layer arrived: what counts starts with the low one.
		start := slices.IndexFunc(got, func(f fwd) bool { return f.layer == LayerLow })
		if l := layersOf(got[start:]); len(l) != 3 || l[0] != LayerLow || l[1] != LayerHigh || l[2] != LayerLow {
			t.Errorf("received layers %v, want low, high, low", layersOf(got))
		}
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
		sub := c.scJoin("sub", "10.0.0.11", false, nil)
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

// apiBehind is call.api for a participant whose downlink is limited by
// a token bucket.
func (c *call) apiBehind(ip string, downlink *vnet.TBFQueue) *webrtc.API {
	c.t.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		c.t.Fatal(err)
	}
	q, err := vnet.NewQueue(nw, downlink)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = q.Close() })
	if err := c.wan.AddNet(q); err != nil {
		c.t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api, err := NewAPI(se)
	if err != nil {
		c.t.Fatal(err)
	}
	return api
}

// withEstimator replaces c's SFU with one at 10.0.0.2 that estimates
// each subscriber's downlink.
func (c *call) withEstimator() *BWE {
	t := c.t
	t.Helper()
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
	if err := c.sfu.Close(); err != nil {
		t.Fatal(err)
	}
	if c.sfu, err = New(Config{API: api, BWE: bwe}); err != nil {
		t.Fatal(err)
	}
	return bwe
}

// TestSimulcastFollowsDownlink: a subscriber that wants the high layer
// gets it while its downlink carries 5 Mbit/s and, when the link falls to
// 500 kbit/s, the SFU's estimate falls and the subscriber gets the low
// layer, switched at a key frame with no gap in its sequence numbers.
func TestSimulcastFollowsDownlink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCall(t, 0, 0)
		defer c.close()
		c.withEstimator()
		pub := c.scJoin("pub", "10.0.0.10", true, nil)
		defer pub.close()
		// A deep queue: the estimate falls with the delay it builds, and
		// what the SFU sends is delayed rather than lost.
		link := vnet.NewTBFQueue(5_000_000, 15_000, 300_000)
		sub := c.scJoin("sub", "10.0.0.11", false, link)
		defer sub.close()
		if err := c.sfu.SetShown("sub", []string{"pub"}); err != nil {
			t.Fatal(err)
		}
		if err := c.sfu.SetLayers("sub", LayerRequest{Want: map[string]Layer{"pub": LayerHigh}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the high layer on a 5 Mbit/s downlink", func() bool { return sub.lastLayer() == int(LayerHigh) })
		time.Sleep(5 * time.Second)
		if l := sub.lastLayer(); l != int(LayerHigh) {
			t.Fatalf("layer %d after 5 s on a 5 Mbit/s downlink, want the high one (estimate %d bit/s)", l, c.sfu.part("sub").sub.bandwidth.Load())
		}
		link.SetRate(500_000)
		waitFor(t, 15*time.Second, "the low layer on a 500 kbit/s downlink", func() bool { return sub.lastLayer() == int(LayerLow) })
		// The link drops packets, and NACK repairs them out of order: look
		// at what arrived in sequence order.
		got := sub.received()
		bySeq := map[int]fwd{}
		seq, last := 0, got[0].seq
		for _, f := range got {
			seq += int(int16(f.seq - last))
			last = f.seq
			bySeq[seq] = f
		}
		seqs := slices.Sorted(maps.Keys(bySeq))
		i := len(seqs)
		for i > 0 && bySeq[seqs[i-1]].layer == LayerLow {
			i--
		}
		if i == 0 || i == len(seqs) {
			t.Fatalf("no switch down to the low layer in %v", layersOf(got))
		}
		if first := bySeq[seqs[i]]; !first.key {
			t.Errorf("the switch down did not start at a key frame")
		}
		t.Logf("estimate %d bit/s, layers %v", c.sfu.part("sub").sub.bandwidth.Load(), layersOf(got))
	})
}
