package sfu

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
)

// layerSink records what a slot forwarded: the layer (the publisher's
// SSRC is 100+layer in these tests), sequence number, timestamp and
// whether the packet started a key frame.
type layerSink struct {
	mu   sync.Mutex
	pkts []fwd
}

type fwd struct {
	layer Layer
	seq   uint16
	ts    uint32
	key   bool
}

func (s *layerSink) WriteRTP(p *rtp.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pkts = append(s.pkts, fwd{Layer(p.SSRC - 100), p.SequenceNumber, p.Timestamp, vp8KeyFrameStart(p.Payload)})
	return nil
}

func (s *layerSink) got() []fwd {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fwd(nil), s.pkts...)
}

// simulcastRig is a router with one simulcast source "s0" and one
// subscriber showing it on its video slots.
type simulcastRig struct {
	r     *router
	src   *source
	sub   *subscriber
	sinks []*layerSink
	seq   [MaxLayers]uint16
	ts    [MaxLayers]uint32
	plis  []Layer
	clock time.Time
}

func newSimulcastRig(slots int) *simulcastRig {
	g := &simulcastRig{clock: time.Unix(1e9, 0)}
	g.r = newRouter(func() time.Time { return g.clock })
	g.src = &source{id: "s0", tag: SourceTag("s0")}
	for l := range Layer(MaxLayers) {
		kf := func() { g.plis = append(g.plis, l) }
		g.src.keyFrame[l].Store(&kf)
		g.seq[l] = uint16(l)*20000 + 65000 // the layers' numbering differs and wraps
		g.ts[l] = uint32(l) * 1e9
	}
	g.r.addSource(g.src)
	g.sub = &subscriber{id: "sub"}
	for range slots {
		s := &layerSink{}
		g.sinks = append(g.sinks, s)
		g.sub.video = append(g.sub.video, &slot{out: s})
	}
	g.sub.shown.Store(&map[string]struct{}{"s0": {}})
	g.r.addSubscriber(g.sub)
	return g
}

// frame publishes one packet of each layer in layers, a key frame's
// first when key, 1/15 s after the previous one.
func (g *simulcastRig) frame(key bool, layers ...Layer) {
	g.clock = g.clock.Add(time.Second / 15)
	for _, l := range layers {
		payload := []byte{0x10, 0x51, 0, 0}
		if key {
			payload[1] = 0x50
		}
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 100 + uint32(l), SequenceNumber: g.seq[l], Timestamp: g.ts[l]}, Payload: payload}
		g.seq[l]++
		g.ts[l] += 6000
		in := classify(g.src, Video, 0, p, g.clock)
		in.layer = l
		g.r.publish(in)
	}
	synctest.Wait()
}

func (g *simulcastRig) want(l Layer) {
	g.sub.want.Store(&map[string]Layer{"s0": l})
	g.sub.gen.Add(1)
}

var all = []Layer{LayerLow, LayerMid, LayerHigh}

// checkContinuous fails unless the packets' sequence numbers follow one
// another with no gap and their timestamps never go back, and every
// change of layer happens on a key frame.
func checkContinuous(t *testing.T, got []fwd) {
	t.Helper()
	for j := 1; j < len(got); j++ {
		a, b := got[j-1], got[j]
		if b.seq != a.seq+1 {
			t.Errorf("packet %d: sequence %d after %d", j, b.seq, a.seq)
		}
		if int32(b.ts-a.ts) < 0 {
			t.Errorf("packet %d: timestamp %d goes back from %d", j, b.ts, a.ts)
		}
		if b.layer != a.layer && !b.key {
			t.Errorf("packet %d: switched from layer %d to %d on a delta frame", j, a.layer, b.layer)
		}
	}
}

func layersOf(got []fwd) []Layer {
	var out []Layer
	for _, f := range got {
		if len(out) == 0 || out[len(out)-1] != f.layer {
			out = append(out, f.layer)
		}
	}
	return out
}

func TestSimulcastHighLayerAfterItsKeyFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newSimulcastRig(1)
		defer g.r.close()
		g.frame(true, all...) // no request yet: a grid tile, the low layer
		g.frame(false, all...)
		g.want(LayerHigh) // it becomes the speaker tile
		g.frame(false, all...)
		if len(g.plis) != 2 || g.plis[1] != LayerHigh {
			t.Fatalf("key frames asked of layers %v, want low then high", g.plis)
		}
		g.frame(false, all...)
		g.frame(true, LayerLow, LayerMid) // key frames of the other layers do not switch
		g.frame(true, LayerHigh)
		g.frame(false, all...)
		got := g.sinks[0].got()
		if l := layersOf(got); len(l) != 2 || l[0] != LayerLow || l[1] != LayerHigh {
			t.Fatalf("forwarded layers %v, want low then high", l)
		}
		if n := len(got); n != 7 {
			t.Errorf("forwarded %d packets, want 5 of the low layer and 2 of the high", n)
		}
		checkContinuous(t, got)
	})
}

func TestSimulcastBandwidthDropSwitchesDownAtKeyFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newSimulcastRig(1)
		defer g.r.close()
		g.frame(false, all...) // the SFU learns which layers the publisher sends
		g.want(LayerHigh)
		g.frame(true, all...)
		g.frame(false, all...)
		g.sub.setBandwidth(300_000) // carries the low layer, not the mid one
		g.frame(false, all...)
		g.frame(false, all...)
		g.frame(true, LayerLow)
		g.frame(false, all...)
		g.sub.setBandwidth(700_000) // carries the mid layer
		g.frame(true, all...)
		g.frame(false, all...)
		got := g.sinks[0].got()
		want := []Layer{LayerHigh, LayerLow, LayerMid}
		if l := layersOf(got); len(l) != len(want) || l[0] != want[0] || l[1] != want[1] || l[2] != want[2] {
			t.Fatalf("forwarded layers %v, want %v", l, want)
		}
		if len(got) != 9 { // the last key frame's low packet comes before its mid one
			t.Errorf("forwarded %d packets, want 4 high, 3 low, 2 mid", len(got))
		}
		checkContinuous(t, got)
	})
}

// TestSimulcastOneLayerPerSource drives a source's layers, key frames,
// the subscriber's wishes and its bandwidth at random: the subscriber
// gets one continuous stream of the source on one slot, whatever the
// layer.
func TestSimulcastOneLayerPerSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newSimulcastRig(3)
		defer g.r.close()
		rng := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			switch rng.IntN(20) {
			case 0:
				g.want(Layer(rng.IntN(MaxLayers)))
			case 1:
				g.sub.setBandwidth([]int{0, 100_000, 300_000, 800_000, 2_000_000}[rng.IntN(5)])
			}
			var ls []Layer
			for _, l := range all {
				if rng.IntN(4) != 0 {
					ls = append(ls, l)
				}
			}
			g.frame(rng.IntN(6) == 0, ls...)
		}
		used := 0
		for _, s := range g.sinks {
			if got := s.got(); len(got) > 0 {
				used++
				checkContinuous(t, got)
				if len(layersOf(got)) < 3 {
					t.Errorf("only %d layer switches in 2000 random frames", len(layersOf(got))-1)
				}
			}
		}
		if used != 1 {
			t.Errorf("the source went out on %d slots, want 1", used)
		}
	})
}

func TestLayerRequestRefusesBadInput(t *testing.T) {
	good := LayerRequest{Want: map[string]Layer{"peer01": LayerHigh, "peer02": LayerLow}}
	b, err := good.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back LayerRequest
	if err := back.UnmarshalBinary(b); err != nil || len(back.Want) != 2 || back.Want["peer01"] != LayerHigh {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	many := map[string]Layer{}
	for i := range MaxLayerRequests + 1 {
		many[peerName(i)] = LayerLow
	}
	for name, req := range map[string]LayerRequest{
		"layer 3":  {Want: map[string]Layer{"peer01": MaxLayers}},
		"empty id": {Want: map[string]Layer{"": LayerLow}},
		"long id":  {Want: map[string]Layer{strings.Repeat("x", MaxPeerIDSize+1): LayerLow}},
		"too many": {Want: many},
	} {
		if _, err := req.MarshalBinary(); !errors.Is(err, ErrBadLayer) {
			t.Errorf("%s: marshalled (%v)", name, err)
		}
	}
	for name, raw := range map[string][]byte{
		"empty":       {},
		"version":     {2, 0},
		"truncated":   b[:len(b)-1],
		"trailing":    append(append([]byte(nil), b...), 0),
		"duplicate":   {1, 2, 1, 'a', 0, 1, 'a', 1},
		"bad layer":   {1, 1, 1, 'a', 3},
		"count":       {1, MaxLayerRequests + 1},
		"oversized":   make([]byte, MaxLayerRequestSize+1),
		"length past": {1, 1, 200, 'a', 0},
	} {
		var r LayerRequest
		if err := r.UnmarshalBinary(raw); !errors.Is(err, ErrBadLayer) {
			t.Errorf("%s: decoded (%v)", name, err)
		}
	}
	if _, err := LayerOfRID("x"); !errors.Is(err, ErrBadLayer) {
		t.Errorf("unknown RID accepted: %v", err)
	}
}

func FuzzLayerRequest(f *testing.F) {
	b, _ := LayerRequest{Want: map[string]Layer{"peer01": LayerHigh, "peer02": LayerMid}}.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var r LayerRequest
		if err := r.UnmarshalBinary(raw); err != nil {
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("a decoded request does not encode: %v", err)
		}
		var r2 LayerRequest
		if err := r2.UnmarshalBinary(again); err != nil || len(r2.Want) != len(r.Want) {
			t.Fatalf("re-decoding: %v", err)
		}
	})
}

// TestSubscriberKeyFrameRequestReachesPublisher: a subscriber's key-frame
// request on a slot asks the publisher of what the slot carries for a key
// frame of that very layer; 31 subscribers asking at once make one
// request, and the next comes only KeyRequestEvery later.
func TestSubscriberKeyFrameRequestReachesPublisher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newSimulcastRig(1)
		defer g.r.close()
		g.want(LayerMid)
		g.frame(true, all...)
		g.clock = g.clock.Add(KeyRequestEvery) // past the switch's own request
		g.frame(true, all...)
		if l := layersOf(g.sinks[0].got()); len(l) != 1 || l[0] != LayerMid {
			t.Fatalf("forwarded layers %v, want the mid one", l)
		}
		asked := len(g.plis)
		sl := g.sub.video[0]
		for range MaxParticipants - 1 {
			g.r.keyFrameLost(sl)
		}
		if got := g.plis[asked:]; len(got) != 1 || got[0] != LayerMid {
			t.Fatalf("31 losses asked key frames of layers %v, want one of the mid layer", got)
		}
		g.clock = g.clock.Add(KeyRequestEvery - time.Millisecond)
		g.r.keyFrameLost(sl)
		if n := len(g.plis) - asked; n != 1 {
			t.Errorf("%d requests within %v, want 1", n, KeyRequestEvery)
		}
		g.clock = g.clock.Add(time.Millisecond)
		g.r.keyFrameLost(sl)
		if n := len(g.plis) - asked; n != 2 {
			t.Errorf("%d requests after %v, want 2", n, KeyRequestEvery)
		}
		if n := g.src.keyAsks.Load(); n != uint64(len(g.plis)) {
			t.Errorf("counted %d requests, sent %d", n, len(g.plis))
		}
		empty := &slot{out: &layerSink{}}
		if g.r.keyFrameLost(empty) {
			t.Error("a slot that carries nothing asked a publisher")
		}
	})
}
