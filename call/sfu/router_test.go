package sfu

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
)

// sink is a slot's output that records what was written.
type sink struct {
	mu    sync.Mutex
	pkts  []rtp.Header
	voice []bool        // by packet: an audio packet's payload says it held voice (testRouter.publish)
	block chan struct{} // when set, WriteRTP waits on it
}

func (s *sink) WriteRTP(p *rtp.Packet) error {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pkts = append(s.pkts, p.Header)
	s.voice = append(s.voice, len(p.Payload) > 1 && p.Payload[1] == 1)
	return nil
}

func (s *sink) headers() []rtp.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pkts)
}

// voiced returns, by packet, whether what s received held voice.
func (s *sink) voiced() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.voice)
}

// sourceOf is the owner of the SourceTag h carries ("" if none).
func sourceOf(h *rtp.Header, names map[[4]byte]string) string {
	tag, ok := Source(h)
	if !ok {
		return ""
	}
	return names[tag]
}

// from returns the tags' owners of what s received, in order, one entry
// per run of packets from the same source.
func (s *sink) from(names map[[4]byte]string) []string {
	var out []string
	for _, h := range s.headers() {
		name := sourceOf(&h, names)
		if len(out) == 0 || out[len(out)-1] != name {
			out = append(out, name)
		}
	}
	return out
}

// testRouter is a router with n sources "s0"… and one subscriber "sub"
// with audio and video slots recorded by sinks.
type testRouter struct {
	r       *router
	src     []*source
	sub     *subscriber
	audio   []*sink
	video   []*sink
	names   map[[4]byte]string
	seq, ts []uint32
	clock   time.Time // the router's clock, moved by the test
}

func newTestRouter(n, videoSlots int) *testRouter {
	tr := &testRouter{names: map[[4]byte]string{}, seq: make([]uint32, n), ts: make([]uint32, n), clock: time.Unix(1e9, 0)}
	tr.r = newRouter(func() time.Time { return tr.clock })
	for i := range n {
		id := fmt.Sprintf("s%d", i)
		src := &source{id: id, tag: SourceTag(id)}
		tr.src = append(tr.src, src)
		tr.names[src.tag] = id
		tr.r.addSource(src)
		tr.seq[i] = uint32(i * 10000)
	}
	sub := &subscriber{id: "sub"}
	for range MaxAudioSlots {
		s := &sink{}
		tr.audio = append(tr.audio, s)
		sub.audio = append(sub.audio, &slot{out: s})
	}
	for range videoSlots {
		s := &sink{}
		tr.video = append(tr.video, s)
		sub.video = append(sub.video, &slot{out: s})
	}
	tr.sub = sub
	tr.r.addSubscriber(sub)
	return tr
}

// send publishes one packet of source i: audio at level, with voice
// activity, or video (a key frame's first packet when key).
func (tr *testRouter) send(i int, kind Kind, level int, key bool) {
	tr.publish(i, kind, level, key, true)
}

// quiet publishes one audio packet of source i at level whose V flag says
// it holds no voice.
func (tr *testRouter) quiet(i, level int) { tr.publish(i, Audio, level, false, false) }

func (tr *testRouter) publish(i int, kind Kind, level int, key, voice bool) {
	payload := []byte{0x10, 0x51, 0, 0} // VP8: S, partition 0; frame tag P=1
	if key {
		payload[1] = 0x50
	}
	if kind == Audio {
		payload = []byte{0xf8, 0, 2, 3}
		if voice {
			payload[1] = 1
		}
	}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(tr.seq[i]), Timestamp: tr.ts[i]}, Payload: payload}
	tr.seq[i]++
	tr.ts[i] += 960
	in := classify(tr.src[i], kind, 0, p, tr.clock)
	in.level = -1
	if kind == Audio {
		in.level, in.voice = level, voice
	}
	tr.r.publish(in)
}

// TestRouterForwardsOnlySpeech: audio without voice activity is not
// forwarded, however loud, but for one packet every AudioKeepAlive to a
// subscriber that gets no speech; a source that starts to speak is
// forwarded from its first voiced packet (not at the next election); and
// a speaker's silence leaves no gap in its slot's sequence numbers, while
// its timestamps keep the time that passed.
func TestRouterForwardsOnlySpeech(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newTestRouter(5, 0)
		defer tr.r.close()
		frame := func(speaking map[int]bool) {
			for i := range tr.src {
				if speaking[i] {
					tr.send(i, Audio, 30, false)
				} else {
					tr.quiet(i, 10) // loud, but no voice: noise
				}
			}
			synctest.Wait()
			tr.clock = tr.clock.Add(20 * time.Millisecond)
		}
		// heard counts the voiced packets forwarded by source, and the
		// others ("-").
		heard := func() map[string]int {
			got := map[string]int{}
			for _, s := range tr.audio {
				voiced := s.voiced()
				for j, h := range s.headers() {
					if !voiced[j] {
						got["-"]++
						continue
					}
					got[sourceOf(&h, tr.names)]++
				}
			}
			return got
		}
		for range 20 {
			frame(map[int]bool{1: true})
		}
		// s0's first packet came before anything was forwarded: one keep-alive.
		if got := heard(); len(got) != 2 || got["s1"] != 20 || got["-"] != 1 {
			t.Fatalf("heard %v, want s1's 20 packets and one keep-alive", got)
		}
		frame(map[int]bool{1: true, 3: true}) // s3 starts to speak
		if got := heard(); got["s3"] != 1 {
			t.Fatalf("heard %v, want s3's first voiced packet at once", got)
		}
		for range 30 { // s1 pauses
			frame(map[int]bool{3: true})
		}
		for range 5 {
			frame(map[int]bool{1: true, 3: true})
		}
		var s1 []rtp.Header
		for _, s := range tr.audio {
			if hs := s.headers(); len(hs) > 0 && sourceOf(&hs[0], tr.names) == "s1" {
				s1 = hs
			}
		}
		if len(s1) != 26 {
			t.Fatalf("s1's slot carried %d packets, want 26", len(s1))
		}
		for j := 1; j < len(s1); j++ {
			if s1[j].SequenceNumber != s1[j-1].SequenceNumber+1 {
				t.Errorf("s1's slot jumps from sequence %d to %d", s1[j-1].SequenceNumber, s1[j].SequenceNumber)
			}
			gap := uint32(960)
			if j == 21 {
				gap = 31 * 960 // the pause
			}
			if d := s1[j].Timestamp - s1[j-1].Timestamp; d != gap {
				t.Errorf("s1's packet %d comes %d samples after the one before, want %d", j, d, gap)
			}
			if s1[j].Extension || len(s1[j].CSRC) != 1 {
				t.Errorf("s1's packet %d forwarded with extensions %v and CSRCs %x, want none and its source", j, s1[j].Extensions, s1[j].CSRC)
			}
		}
		if n := tr.src[0].silenced.Load(); n != 56 {
			t.Errorf("s0's silenced packets: %d, want 56", n)
		}
		before := heard()
		for range 30 { // 600 ms with nobody speaking
			frame(nil)
		}
		after := heard()
		if n := after["-"] - before["-"]; n < 2 || n > 3 {
			t.Errorf("%d keep-alive packets in 600 ms of silence, want one every 250 ms", n)
		}
		if after["s1"] != before["s1"] || after["s3"] != before["s3"] {
			t.Errorf("heard %v after silence, %v before: want no voice", after, before)
		}
	})
}

func TestRouterTopThreeSpeakers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newTestRouter(5, 0)
		defer tr.r.close()
		levels := []int{90, 10, 20, 30, 40} // s1, s2, s3 loudest
		for range 50 {
			for i, l := range levels {
				tr.send(i, Audio, l, false)
			}
			synctest.Wait()
			tr.clock = tr.clock.Add(20 * time.Millisecond) // the next packets, 20 ms later
		}
		got := map[string]bool{}
		for _, s := range tr.audio {
			for _, name := range s.from(tr.names) {
				got[name] = true
			}
		}
		if !got["s1"] || !got["s2"] || !got["s3"] || got["s4"] {
			t.Fatalf("heard %v, want s1 s2 s3 (and s0, s4 at most while the first election settled)", got)
		}
		// s0 gets loud, s3 quiet: s0 takes s3's slot, its sequence numbers
		// continuing the slot's.
		for _, s := range tr.audio {
			s.mu.Lock()
			s.pkts = nil
			s.mu.Unlock()
		}
		levels = []int{5, 10, 20, 120, 40}
		for range 50 {
			for i, l := range levels {
				tr.send(i, Audio, l, false)
			}
			synctest.Wait()
			tr.clock = tr.clock.Add(20 * time.Millisecond)
		}
		var final []string
		for _, s := range tr.audio {
			names := s.from(tr.names)
			final = append(final, names[len(names)-1])
			hs := s.headers()
			for j := 1; j < len(hs); j++ {
				if hs[j].SequenceNumber != hs[j-1].SequenceNumber+1 {
					t.Errorf("slot's sequence jumps from %d to %d at a switch", hs[j-1].SequenceNumber, hs[j].SequenceNumber)
				}
				if hs[j].Timestamp == hs[j-1].Timestamp {
					t.Errorf("slot's timestamp repeats at %d", hs[j].Timestamp)
				}
			}
			if h := hs[len(hs)-1]; h.Extension {
				t.Errorf("forwarded audio carries header extensions %v: the SFU forwards none", h.Extensions)
			}
		}
		slices.Sort(final)
		if want := []string{"s0", "s1", "s2"}; !slices.Equal(final, want) {
			t.Errorf("slots end with %v, want %v", final, want)
		}
	})
}

func TestRouterLastNSwitchesAtKeyFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newTestRouter(3, 1)
		defer tr.r.close()
		var plis []string
		for _, src := range tr.src {
			kf := func() { plis = append(plis, src.id) }
			src.keyFrame[LayerLow].Store(&kf)
		}
		tr.sub.shown.Store(&map[string]struct{}{"s0": {}})
		step := func(key bool) {
			for i := range tr.src {
				tr.send(i, Video, -1, key)
			}
			synctest.Wait()
		}
		step(false) // s0 is shown, but the slot waits for its key frame
		if n := len(tr.video[0].headers()); n != 0 {
			t.Fatalf("%d packets forwarded before a key frame", n)
		}
		step(true)
		step(false)
		tr.sub.shown.Store(&map[string]struct{}{"s2": {}}) // the tile changes
		step(false)
		step(false)
		step(true)
		step(false)
		if got, want := tr.video[0].from(tr.names), []string{"s0", "s2"}; !slices.Equal(got, want) {
			t.Fatalf("slot carried %v, want %v", got, want)
		}
		hs := tr.video[0].headers()
		if len(hs) != 4 {
			t.Fatalf("forwarded %d packets, want 2 of s0 and 2 of s2 from its key frame", len(hs))
		}
		for j := 1; j < len(hs); j++ {
			if hs[j].SequenceNumber != hs[j-1].SequenceNumber+1 {
				t.Errorf("sequence jumps from %d to %d", hs[j-1].SequenceNumber, hs[j].SequenceNumber)
			}
		}
		if !slices.Equal(plis, []string{"s0", "s2"}) {
			t.Errorf("key frames asked of %v, want s0 then s2", plis)
		}
		if tr.sub.dropped.Load() != 0 {
			t.Errorf("%d dropped", tr.sub.dropped.Load())
		}
	})
}

func TestRouterSlowSubscriberDelaysNobodyElse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRouter(time.Now)
		src := &source{id: "s", tag: SourceTag("s")}
		r.addSource(src)
		slow, fast := &sink{block: make(chan struct{})}, &sink{}
		show := map[string]struct{}{"s": {}}
		for i, s := range []*sink{slow, fast} {
			sub := &subscriber{id: fmt.Sprint("sub", i), video: []*slot{{out: s}}}
			sub.shown.Store(&show)
			r.addSubscriber(sub)
		}
		n := QueueLen + 100
		for i := range n {
			payload := []byte{0x10, 0x50, 0, 0}
			r.publish(inPacket{src: src, kind: Video, key: true, level: -1, arrived: time.Now(),
				pkt: &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i)}, Payload: payload}})
			synctest.Wait()
		}
		if got := len(fast.headers()); got != n {
			t.Errorf("the fast subscriber got %d of %d packets while the other was stuck", got, n)
		}
		subs := *r.subs.Load()
		if d := subs[0].dropped.Load(); d == 0 {
			t.Errorf("the stuck subscriber's full queue dropped nothing")
		}
		close(slow.block)
		r.close()
	})
}

func TestVP8KeyFrameStart(t *testing.T) {
	for _, c := range []struct {
		p    []byte
		want bool
	}{
		{[]byte{0x10, 0x50}, true},                   // S, PID 0, key frame tag
		{[]byte{0x10, 0x51}, false},                  // interframe
		{[]byte{0x00, 0x50}, false},                  // not a partition start
		{[]byte{0x11, 0x50}, false},                  // partition 1
		{[]byte{0x90, 0x80, 0x81, 0x02, 0x50}, true}, // X, I with a 15-bit picture id
		{[]byte{0x90, 0xf0, 0x05, 0x01, 0x02, 0x50}, true},
		{[]byte{0x90, 0x80, 0x81}, false}, // truncated
		{nil, false},
	} {
		if got := vp8KeyFrameStart(c.p); got != c.want {
			t.Errorf("vp8KeyFrameStart(% x) = %v, want %v", c.p, got, c.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte{0x90, 0x80, 0x81, 0x02, 0x50}, true)
	f.Add([]byte{0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 0x10, 0x85, 0, 0, 0xf8}, false)
	f.Fuzz(func(t *testing.T, raw []byte, video bool) {
		p := &rtp.Packet{}
		if err := p.Unmarshal(raw); err != nil {
			p.Payload = raw
		}
		kind := Audio
		if video {
			kind = Video
		}
		in := classify(&source{id: "x"}, kind, 1, p, time.Now())
		if in.level > 127 {
			t.Fatalf("level %d", in.level)
		}
	})
}

// TestRouterKeepAliveFromSenders: while nobody speaks, the keep-alive
// packets come from the sources that still send, even when louder ones
// went quiet for good (muted): those rank after the ones that send.
func TestRouterKeepAliveFromSenders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newTestRouter(5, 0)
		defer tr.r.close()
		for k := range 100 { // 2 s
			for i := range tr.src {
				switch {
				case i == 4:
					tr.quiet(i, 60) // the quietest, and it goes on sending
				case k < 25:
					tr.quiet(i, 10) // loud noise, then muted
				}
			}
			synctest.Wait()
			tr.clock = tr.clock.Add(20 * time.Millisecond)
		}
		got := map[string]int{}
		for _, s := range tr.audio {
			for _, h := range s.headers() {
				got[sourceOf(&h, tr.names)]++
			}
		}
		// The others are muted at 500 ms; s4 ranks above them from 950 ms
		// at the latest, and keeps the subscriber hearing something every
		// AudioKeepAlive from then on.
		if got["s4"] < 4 {
			t.Fatalf("keep-alives from %v, want 4 or more of s4's once the others went quiet", got)
		}
	})
}

// TestRouterForwardsOnlyWhatAllowSays: a subscriber restricted to some
// sources (a relay's Allow) gets nothing of the others, however loud, and
// they take none of its audio slots: it hears the three loudest of those
// it may; restricted to none, it gets nothing at all.
func TestRouterForwardsOnlyWhatAllowSays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newTestRouter(5, 2)
		defer tr.r.close()
		tr.sub.from.Store(&map[string]struct{}{"s2": {}, "s3": {}, "s4": {}})
		tr.sub.shown.Store(&map[string]struct{}{"s0": {}, "s2": {}})
		levels := []int{5, 10, 20, 30, 40} // s0 and s1 loudest
		for range 50 {
			for i, l := range levels {
				tr.send(i, Audio, l, false)
			}
			tr.send(0, Video, 0, true)
			tr.send(2, Video, 0, true)
			synctest.Wait()
			tr.clock = tr.clock.Add(20 * time.Millisecond)
		}
		got := map[string]bool{}
		for _, s := range append(slices.Clone(tr.audio), tr.video...) {
			for _, name := range s.from(tr.names) {
				got[name] = true
			}
		}
		if want := map[string]bool{"s2": true, "s3": true, "s4": true}; !maps.Equal(got, want) {
			t.Fatalf("restricted to s2, s3, s4, the subscriber got media of %v", got)
		}

		before := tr.sub.forwarded.Load()
		tr.sub.from.Store(&map[string]struct{}{})
		for range 10 {
			for i, l := range levels {
				tr.send(i, Audio, l, false)
				tr.send(i, Video, 0, true)
			}
			synctest.Wait()
			tr.clock = tr.clock.Add(20 * time.Millisecond)
		}
		if n := tr.sub.forwarded.Load() - before; n != 0 {
			t.Fatalf("restricted to no one, the subscriber got %d packets", n)
		}
	})
}
