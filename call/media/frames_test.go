package media

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is a Sink that keeps what it gets.
type recorder struct {
	mu       sync.Mutex
	got      map[string][]Frame // by participant and kind ("alice/audio"); Data copied
	keyAsked []string
}

func (r *recorder) Frame(from string, f Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]Frame{}
	}
	f.Data = bytes.Clone(f.Data)
	k := from + "/" + f.Kind.String()
	r.got[k] = append(r.got[k], f)
}

func (r *recorder) KeyFrameRequest(from string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keyAsked = append(r.keyAsked, from)
}

func (r *recorder) frames(from string, k Kind) []Frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Frame(nil), r.got[from+"/"+k.String()]...)
}

func (r *recorder) asked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keyAsked...)
}

// programAudio is the i-th audio frame a test program sends: an Opus TOC
// byte, then bytes that name i.
func programAudio(i int) []byte {
	return append([]byte{0xfc}, bytes.Repeat([]byte{byte(i)}, 40+i%7)...)
}

// programVideo is the i-th video frame: a key frame every 10th.
func programVideo(i int) Frame {
	tag := uint32(200)<<5 | 1<<4
	var hdr []byte
	if i%10 == 0 {
		hdr = []byte{byte(tag), byte(tag >> 8), byte(tag >> 16), 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}
	} else {
		tag |= 1
		hdr = []byte{byte(tag), byte(tag >> 8), byte(tag >> 16)}
	}
	return Frame{Kind: Video, KeyFrame: i%10 == 0, Data: append(hdr, bytes.Repeat([]byte{byte(i)}, 3000)...)}
}

// TestProgramFramesReachTheSink: frames a program sends through Send (no
// synthetic source) arrive at the other side's Sink decrypted, byte for
// byte, by participant and kind, with RTP timestamps AudioFrameSamples
// apart; a key-frame request goes back to the sender's Sink.
func TestProgramFramesReachTheSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t)
		aliceSink, bobSink := &recorder{}, &recorder{}
		alice := m.addWith("alice", 10, Config{Video: true, Sink: aliceSink})
		bob := m.addWith("bob", 11, Config{Sink: bobSink})
		m.start()
		defer m.close()
		if err := alice.Send(Frame{Kind: Audio, Data: programAudio(0)}); !errors.Is(err, ErrNoSendKey) {
			t.Fatalf("Send before a send key: %v, want ErrNoSendKey", err)
		}
		if err := alice.SetSendKey(1, key(1)); err != nil {
			t.Fatal(err)
		}
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"alice", "bob"} {
			other := map[string]string{"alice": "bob", "bob": "alice"}[id]
			if err := m.sessions[id].Connect(other); err != nil {
				t.Fatal(err)
			}
		}
		// Send until the connection stands and frames start to arrive,
		// then a numbered run of frames.
		tick := time.NewTicker(AudioFrameInterval)
		defer tick.Stop()
		waitFor(t, 20*time.Second, "the first program frame arrives", func() bool {
			<-tick.C
			if err := alice.Send(Frame{Kind: Audio, Data: programAudio(0)}); err != nil {
				t.Fatal(err)
			}
			return len(bobSink.frames("alice", Audio)) > 0
		})
		<-tick.C // let the last warm-up frame land
		start := len(bobSink.frames("alice", Audio))
		const n = 50
		for i := 1; i <= n; i++ {
			<-tick.C
			if err := alice.Send(Frame{Kind: Audio, Data: programAudio(i)}); err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 {
				if err := alice.Send(programVideo(i / 3)); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitFor(t, 5*time.Second, "the run of frames arrives", func() bool {
			return len(bobSink.frames("alice", Audio)) >= start+n && len(bobSink.frames("alice", Video)) >= n/3-1
		}) // the last video frame waits in the sample builder for the next
		audio := bobSink.frames("alice", Audio)[start:]
		for i, f := range audio {
			if !bytes.Equal(f.Data, programAudio(i+1)) {
				t.Fatalf("audio frame %d: got % x, want % x", i+1, f.Data, programAudio(i+1))
			}
			if i > 0 && f.Timestamp-audio[i-1].Timestamp != AudioFrameSamples {
				t.Fatalf("audio frame %d: timestamp %d after %d, want %d apart", i+1, f.Timestamp, audio[i-1].Timestamp, AudioFrameSamples)
			}
		}
		for i, f := range bobSink.frames("alice", Video) {
			want := programVideo(i + 1)
			if !bytes.Equal(f.Data, want.Data) || f.KeyFrame != want.KeyFrame {
				t.Fatalf("video frame %d: %d bytes key %t, want %d bytes key %t", i+1, len(f.Data), f.KeyFrame, len(want.Data), want.KeyFrame)
			}
		}
		if st := stats(bob, "alice"); st.DecryptFailures != 0 || st.LatencyP99 != 0 {
			t.Fatalf("%+v: want no decrypt failures, and no latencies (which only synthetic frames carry)", st)
		}
		// Bob's decoder lost a key frame: alice's encoder is told.
		if err := bob.RequestKeyFrame("alice"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "alice hears bob's key-frame request", func() bool {
			return len(aliceSink.asked()) > 0
		})
		if got := aliceSink.asked(); got[0] != "bob" {
			t.Fatalf("key frame asked by %q, want bob", got[0])
		}
		if err := alice.RequestKeyFrame("bob"); !errors.Is(err, ErrBadPeer) {
			t.Fatalf("a key frame of bob, who sends no video: %v, want ErrBadPeer", err)
		}
	})
}

func TestSendRefusesBadFrames(t *testing.T) {
	s, err := New(Config{Self: "alice", Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetSendKey(1, key(1)); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]Frame{
		"empty audio":          {Kind: Audio},
		"video, audio only":    programVideo(1),
		"unknown kind":         {Kind: 9, Data: []byte{1, 2, 3}},
		"too large":            {Kind: Audio, Data: make([]byte, MaxSendFrameSize+1)},
		"video key flag wrong": {Kind: Video, Data: programVideo(1).Data, KeyFrame: true},
	} {
		if err := s.Send(f); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
	v, err := New(Config{Self: "alice", Video: true, Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.SetSendKey(1, key(1)); err != nil {
		t.Fatal(err)
	}
	bad := programVideo(1)
	bad.KeyFrame = true
	if err := v.Send(bad); !errors.Is(err, ErrBadFrame) {
		t.Errorf("a delta frame flagged key: %v, want ErrBadFrame", err)
	}
	if err := v.Send(programVideo(1)); err != nil {
		t.Errorf("a good delta frame: %v", err)
	}
	s.SetMuted(true)
	if err := s.Send(Frame{Kind: Audio, Data: programAudio(1)}); err != nil {
		t.Errorf("muted audio: %v, want nil (dropped)", err)
	}
	_ = s.Close()
	if err := s.Send(Frame{Kind: Audio, Data: programAudio(1)}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
