package media

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/call/sframe"
)

func TestClearLen(t *testing.T) {
	now := time.Unix(1700000000, 123)
	for _, tc := range []struct {
		name  string
		kind  Kind
		frame []byte
		want  int
	}{
		{"opus", Audio, []byte{0xf8, 1, 2}, 1},
		{"vp8 key frame", Video, []byte{0x10, 0, 0, 0x9d, 0x01, 0x2a, 0, 0, 0, 0, 9}, 10},
		{"vp8 interframe", Video, []byte{0x11, 0, 0, 9}, 3},
	} {
		if got, err := clearLen(tc.kind, tc.frame); err != nil || got != tc.want {
			t.Errorf("%s: %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		kind  Kind
		frame []byte
	}{{Audio, nil}, {Video, []byte{0x11, 0}}, {Video, []byte{0x10, 0, 0, 0x9d}}} {
		if _, err := clearLen(tc.kind, tc.frame); !errors.Is(err, errShortFrame) {
			t.Errorf("%v %x: %v, want errShortFrame", tc.kind, tc.frame, err)
		}
	}
	// Synthetic frames: the clear header is what clearLen finds, and the
	// stamp reads back.
	for _, tc := range []struct {
		kind Kind
		n    uint64
		size int
	}{{Audio, 7, AudioFrameSize}, {Video, 0, VideoKeyFrameSize}, {Video, 1, VideoFrameSize}} {
		clear, plain := syntheticFrame(tc.kind, tc.n, now)
		if n, err := clearLen(tc.kind, append(clear, plain...)); err != nil || n != len(clear) {
			t.Errorf("%v %d: clearLen %d, %v; clear header is %d", tc.kind, tc.n, n, err, len(clear))
		}
		if len(clear)+len(plain) != tc.size {
			t.Errorf("%v %d: %d bytes, want %d", tc.kind, tc.n, len(clear)+len(plain), tc.size)
		}
		st, ok := parseStamp(plain)
		if !ok || st.kind != tc.kind || st.number != tc.n || !st.sent.Equal(now) {
			t.Errorf("%v %d: stamp %+v, %v", tc.kind, tc.n, st, ok)
		}
	}
	if _, ok := parseStamp(make([]byte, stampSize-1)); ok {
		t.Error("a short plaintext has a stamp")
	}
	// A real encoder's frame whose first byte happens to name a kind has
	// no stamp: the magic is missing.
	if _, ok := parseStamp(append([]byte{byte(Audio)}, bytes.Repeat([]byte{1}, 60)...)); ok {
		t.Error("a plaintext without the magic has a stamp")
	}
}

func TestPercentile(t *testing.T) {
	var l []time.Duration
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(l, 50); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(l, 99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v", p)
	}
	if p := percentile([]time.Duration{3}, 99); p != 3 {
		t.Errorf("p99 of one = %v", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("p50 of none = %v", p)
	}
	var ps peerStats
	for i := range MaxLatencySamples + 10 {
		ps.frame(Audio, true, time.Duration(i))
	}
	if len(ps.latencies) != MaxLatencySamples {
		t.Errorf("kept %d latencies, want %d", len(ps.latencies), MaxLatencySamples)
	}
	if s := ps.snapshot(time.Now()); s.FramesDecrypted != MaxLatencySamples+10 || s.LatencyP50 < 10 {
		t.Errorf("snapshot %+v", s)
	}
}

// FuzzReceive feeds arbitrary frames to the receive path: each is counted
// once, as decrypted only if it authenticates, and nothing panics.
func FuzzReceive(f *testing.F) {
	snd, err := sframe.NewSender(Suite, 1, bytes.Repeat([]byte{1}, 16))
	if err != nil {
		f.Fatal(err)
	}
	for _, k := range []Kind{Audio, Video} {
		for n := range uint64(2) {
			clear, plain := syntheticFrame(k, n, time.Unix(1, 0))
			fr, err := snd.Encrypt(bytes.Clone(clear), clear, plain)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(k), fr)
		}
	}
	f.Add(uint8(Video), []byte{0x10, 0, 0})
	f.Fuzz(func(t *testing.T, kind uint8, frame []byte) {
		k := Audio
		if kind%2 == 0 {
			k = Video
		}
		r, err := sframe.NewReceiver(Suite)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AddKey(1, bytes.Repeat([]byte{1}, 16)); err != nil {
			t.Fatal(err)
		}
		sink := &recorder{}
		s := &Session{cfg: Config{Sink: sink}, recv: map[string]*sframe.Receiver{"alice": r}, now: time.Now, log: slog.New(slog.DiscardHandler)}
		p := &peer{id: "alice"}
		s.receive(p, k, frame, 7, nil)
		st := p.stats.snapshot(time.Now())
		if st.FramesReceived != 1 || st.FramesDecrypted+st.DecryptFailures != 1 {
			t.Fatalf("one frame counted as %+v", st)
		}
		if got := len(sink.frames("alice", k)); uint64(got) != st.FramesDecrypted {
			t.Fatalf("the sink got %d frames, %d decrypted", got, st.FramesDecrypted)
		}
	})
}
