package media

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
	"github.com/umbrella-p2p/umbrella/call/internal/sdpsig"
)

// mesh is a call of Sessions on one pion vnet LAN, their media messages
// carried by a synchronous in-test bus.
//
// Every test runs inside testing/synctest: vnet, ICE, DTLS and the
// synthetic sources all run on timers and channels, so virtual time moves
// whenever every goroutine waits, a test of seconds of media takes well
// under a second, and synctest.Test fails if a Session leaves a goroutine
// behind after Close.
type mesh struct {
	t        *testing.T
	wan      *vnet.Router
	mu       sync.Mutex
	sessions map[string]*Session
	sigErrs  []error
}

func newMesh(t *testing.T) *mesh {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{
		CIDR:          "10.0.0.0/24",
		MinDelay:      10 * time.Millisecond,
		LoggerFactory: logging.NewDefaultLoggerFactory(),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &mesh{t: t, wan: wan, sessions: map[string]*Session{}}
	return m
}

// add makes a participant at 10.0.0.<ip> sending synthetic frames.
func (m *mesh) add(id string, ip int, video bool) *Session {
	m.t.Helper()
	return m.addWith(id, ip, Config{Video: video, Synthetic: true})
}

// addWith makes a participant at 10.0.0.<ip> configured as cfg (its Self,
// API and Signal filled in here).
func (m *mesh) addWith(id string, ip int, cfg Config) *Session {
	m.t.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{fmt.Sprintf("10.0.0.%d", ip)}})
	if err != nil {
		m.t.Fatal(err)
	}
	if err := m.wan.AddNet(nw); err != nil {
		m.t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 500*time.Millisecond)
	cfg.Self = id
	cfg.API = webrtc.NewAPI(webrtc.WithSettingEngine(se))
	cfg.Signal = func(to string, blob []byte) {
		m.mu.Lock()
		dst := m.sessions[to]
		m.mu.Unlock()
		if dst == nil {
			return
		}
		if err := dst.HandleSignal(id, blob); err != nil {
			m.mu.Lock()
			m.sigErrs = append(m.sigErrs, fmt.Errorf("%s -> %s: %w", id, to, err))
			m.mu.Unlock()
		}
	}
	s, err := New(cfg)
	if err != nil {
		m.t.Fatal(err)
	}
	m.mu.Lock()
	m.sessions[id] = s
	m.mu.Unlock()
	return s
}

func (m *mesh) start() {
	m.t.Helper()
	if err := m.wan.Start(); err != nil {
		m.t.Fatal(err)
	}
}

func (m *mesh) close() {
	for _, s := range m.sessions {
		if err := s.Close(); err != nil {
			m.t.Error(err)
		}
	}
	if err := m.wan.Stop(); err != nil {
		m.t.Error(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, err := range m.sigErrs {
		m.t.Errorf("signal: %v", err)
	}
}

// stats returns what s received from peer.
func stats(s *Session, peer string) PeerStats {
	for _, st := range s.Stats() {
		if st.Peer == peer {
			return st
		}
	}
	return PeerStats{Peer: peer}
}

// waitFor polls cond every 20 ms of (virtual) time until it holds or
// within elapses.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		<-tick.C
	}
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }

func TestMeshEveryoneDecryptsEveryone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t)
		ids := []string{"alice", "bob", "carol"}
		video := map[string]bool{"alice": false, "bob": true, "carol": true} // the first offerer sends no video
		for i, id := range ids {
			m.add(id, 10+i, video[id])
		}
		m.start()
		defer m.close()
		for i, id := range ids {
			s := m.sessions[id]
			if err := s.SetSendKey(1, key(byte(i+1))); err != nil {
				t.Fatal(err)
			}
			for j, other := range ids {
				if other != id {
					if err := s.SetRecvKey(other, 1, key(byte(j+1))); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		for _, id := range ids {
			for _, other := range ids {
				if other != id {
					if err := m.sessions[id].Connect(other); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		waitFor(t, 20*time.Second, "every participant decrypts 50 frames from every other", func() bool {
			for _, id := range ids {
				for _, other := range ids {
					if other == id {
						continue
					}
					st := stats(m.sessions[id], other)
					if st.FramesDecrypted < 50 || st.Video != video[other] {
						return false
					}
				}
			}
			return true
		})
		for _, id := range ids {
			for _, st := range m.sessions[id].Stats() {
				t.Logf("%s from %s: %+v", id, st.Peer, st)
				if st.DecryptFailures != 0 {
					t.Errorf("%s from %s: %d decrypt failures", id, st.Peer, st.DecryptFailures)
				}
				if st.LatencyP50 < 10*time.Millisecond || st.LatencyP99 > time.Second {
					t.Errorf("%s from %s: latency p50 %v p99 %v, want at least the link's 10 ms and under 1 s",
						id, st.Peer, st.LatencyP50, st.LatencyP99)
				}
			}
		}
	})
}

// decrypted is how many frames of kind k s decrypted from peer.
func decrypted(s *Session, peer string, k Kind) uint64 {
	s.mu.Lock()
	p := s.peers[peer]
	s.mu.Unlock()
	if p == nil {
		return 0
	}
	p.stats.mu.Lock()
	defer p.stats.mu.Unlock()
	return p.stats.decrypted[k]
}

// pairUp makes a two-person call, alice (video when aliceVideo) sending
// under kid 1 and key(1), and connects it; bob holds no keys.
func pairUp(t *testing.T, aliceVideo bool) (m *mesh, alice, bob *Session) {
	t.Helper()
	m = newMesh(t)
	alice = m.add("alice", 10, aliceVideo)
	bob = m.add("bob", 11, false)
	m.start()
	t.Cleanup(m.close)
	if err := alice.SetSendKey(1, key(1)); err != nil {
		t.Fatal(err)
	}
	if err := alice.Connect("bob"); err != nil {
		t.Fatal(err)
	}
	if err := bob.Connect("alice"); err != nil {
		t.Fatal(err)
	}
	return m, alice, bob
}

func TestReceiverWithoutKeyCountsFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, bob := pairUp(t, true)
		waitFor(t, 10*time.Second, "bob receives 30 frames he cannot decrypt", func() bool {
			return stats(bob, "alice").FramesReceived >= 30
		})
		st := stats(bob, "alice")
		if st.FramesDecrypted != 0 || st.DecryptFailures != st.FramesReceived {
			t.Fatalf("without a key: %+v, want every frame a failure", st)
		}
		// A wrong key under alice's kid fails too.
		if err := bob.SetRecvKey("alice", 1, key(99)); err != nil {
			t.Fatal(err)
		}
		before := stats(bob, "alice").DecryptFailures
		waitFor(t, 10*time.Second, "30 more failures under a wrong key", func() bool {
			return stats(bob, "alice").DecryptFailures >= before+30
		})
		if st := stats(bob, "alice"); st.FramesDecrypted != 0 {
			t.Fatalf("under a wrong key: %+v", st)
		}
		// With the right key, frames of both kinds decrypt.
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "bob decrypts alice's audio and video", func() bool {
			return decrypted(bob, "alice", Audio) >= 20 && decrypted(bob, "alice", Video) >= 5
		})
	})
}

func TestKeyChangeDropsOldKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, alice, bob := pairUp(t, false)
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "frames under kid 1", func() bool {
			return stats(bob, "alice").FramesDecrypted >= 20
		})
		// A new key: announced to bob first, then used, then the old dropped.
		if err := bob.SetRecvKey("alice", 2, key(2)); err != nil {
			t.Fatal(err)
		}
		if err := alice.SetSendKey(2, key(2)); err != nil {
			t.Fatal(err)
		}
		n := stats(bob, "alice").FramesDecrypted
		waitFor(t, 10*time.Second, "frames under kid 2", func() bool {
			return stats(bob, "alice").FramesDecrypted >= n+20
		})
		bob.DropRecvKeys("alice", 2)
		st := stats(bob, "alice")
		if st.DecryptFailures != 0 {
			t.Fatalf("failures before any frame under a dropped key: %+v", st)
		}
		// A sender still using the dropped key (one removed from the call
		// keeps sending under what it had) decrypts nowhere.
		if err := alice.SetSendKey(1, key(1)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "30 frames under the dropped kid fail", func() bool {
			return stats(bob, "alice").DecryptFailures >= 30
		})
		// In-flight frames under kid 2 may still land; then nothing more.
		if got := stats(bob, "alice").FramesDecrypted; got > st.FramesDecrypted+2 {
			t.Fatalf("decrypted %d frames after the switch back to a dropped key", got-st.FramesDecrypted)
		}
	})
}

func TestMuteStopsAudio(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, alice, bob := pairUp(t, true)
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "audio and video from alice", func() bool {
			return decrypted(bob, "alice", Audio) >= 20 && decrypted(bob, "alice", Video) >= 5
		})
		alice.SetMuted(true)
		a, v := decrypted(bob, "alice", Audio), decrypted(bob, "alice", Video)
		waitFor(t, 10*time.Second, "30 more video frames (2 s) while muted", func() bool {
			return decrypted(bob, "alice", Video) >= v+30
		})
		if got := decrypted(bob, "alice", Audio); got > a+2 {
			t.Fatalf("%d audio frames arrived in 2 s of mute", got-a)
		}
		alice.SetMuted(false)
		a = decrypted(bob, "alice", Audio)
		waitFor(t, 10*time.Second, "audio resumes", func() bool {
			return decrypted(bob, "alice", Audio) >= a+20
		})
	})
}

func TestBadSignals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t)
		bob := m.add("bob", 11, false)
		m.start()
		defer m.close()
		good, err := encodeSignal(sigOffer, "v=0\r\n")
		if err != nil {
			t.Fatal(err)
		}
		enc := func(v, typ uint, sdp string) []byte {
			b, err := sdpsig.Marshal(sdpsig.Message{Version: v, Type: typ, SDP: sdp})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		extra, err := sdpsig.Marshal(map[int]any{1: 1, 2: 1, 3: "v=0", 4: "x"})
		if err != nil {
			t.Fatal(err)
		}
		nonCanonical := append([]byte{0xa3, 0x01, 0x18, 0x01}, good[3:]...) // version as a 2-byte uint
		for _, tc := range []struct {
			name string
			from string
			blob []byte
			want error
		}{
			{"empty", "alice", nil, ErrBadSignal},
			{"garbage", "alice", []byte("not cbor at all"), ErrBadSignal},
			{"oversized", "alice", make([]byte, MaxSignalSize+1), ErrBadSignal},
			{"version 2", "alice", enc(2, sigOffer, "v=0"), ErrBadSignal},
			{"unknown type", "alice", enc(1, 7, "v=0"), ErrBadSignal},
			{"no SDP", "alice", enc(1, sigOffer, ""), ErrBadSignal},
			{"unknown field", "alice", extra, ErrBadSignal},
			{"not canonical", "alice", nonCanonical, ErrBadSignal},
			{"offer from the answering side", "carol", good, ErrBadSignal},
			{"answer from the offering side", "alice", enc(1, sigAnswer, "v=0"), ErrBadSignal},
			{"answer from a stranger", "carol", enc(1, sigAnswer, "v=0"), ErrBadPeer},
			{"from self", "bob", good, ErrBadPeer},
			{"from nobody", "", good, ErrBadPeer},
		} {
			if err := bob.HandleSignal(tc.from, tc.blob); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		// A well-formed message whose SDP is not SDP, from a connected peer.
		if err := bob.Connect("alice"); err != nil {
			t.Fatal(err)
		}
		if err := bob.HandleSignal("alice", enc(1, sigOffer, "this is not SDP")); !errors.Is(err, ErrBadSignal) {
			t.Errorf("offer of garbage SDP: %v, want ErrBadSignal", err)
		}
		// Before Connect, an offer waits; more than MaxPeers of them do not.
		for i := range MaxPeers {
			if err := bob.HandleSignal(fmt.Sprintf("a%02d", i), good); err != nil {
				t.Fatalf("offer %d before Connect: %v", i, err)
			}
		}
		if err := bob.HandleSignal("a99", good); !errors.Is(err, ErrTooManyPeers) {
			t.Errorf("offer past the limit: %v, want ErrTooManyPeers", err)
		}
		// bob holds alice; MaxPeers-1 more fit (ids sorting below bob's, so
		// bob waits for their offers), and no more.
		for i := range MaxPeers - 1 {
			if err := bob.Connect(fmt.Sprintf("b%02d", i)); err != nil {
				t.Fatalf("connect %d: %v", i, err)
			}
		}
		if err := bob.Connect("b99"); !errors.Is(err, ErrTooManyPeers) {
			t.Errorf("connect past the limit: %v, want ErrTooManyPeers", err)
		}
		if err := bob.Connect("bob"); !errors.Is(err, ErrBadPeer) {
			t.Errorf("connect to self: %v", err)
		}
	})
}

func FuzzDecodeSignal(f *testing.F) {
	for _, typ := range []uint{sigOffer, sigAnswer} {
		b, err := encodeSignal(typ, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSignal(b)
		if err != nil {
			return
		}
		again, err := encodeSignal(s.Type, s.SDP)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded %+v from %x, which encodes to %x (%v)", s, b, again, err)
		}
	})
}

func TestReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, alice, bob := pairUp(t, true)
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "video from alice", func() bool {
			return decrypted(bob, "alice", Video) >= 5
		})
		// The offering side alone restarts: bob answers the new offer on
		// a new connection.
		alice.Disconnect("bob")
		if err := alice.Connect("bob"); err != nil {
			t.Fatal(err)
		}
		v := decrypted(bob, "alice", Video)
		waitFor(t, 10*time.Second, "video again after alice reconnects", func() bool {
			return decrypted(bob, "alice", Video) >= v+10
		})
		// Both leave and come back: stats start again from zero.
		bob.Disconnect("alice")
		alice.Disconnect("bob")
		if len(bob.Stats()) != 0 {
			t.Fatalf("stats of a disconnected peer: %+v", bob.Stats())
		}
		if err := bob.Connect("alice"); err != nil {
			t.Fatal(err)
		}
		if err := alice.Connect("bob"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "video again after both reconnect", func() bool {
			return decrypted(bob, "alice", Video) >= 10 && decrypted(bob, "alice", Audio) >= 20
		})
		if err := bob.Close(); err != nil {
			t.Fatal(err)
		}
		if err := bob.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := bob.Connect("carol"); !errors.Is(err, ErrClosed) {
			t.Fatalf("connect after Close: %v", err)
		}
	})
}

// delivered is the share of kind k's synthetic frames from peer that s
// decrypted, between the first and the last it decrypted.
func delivered(s *Session, peer string, k Kind) float64 {
	s.mu.Lock()
	p := s.peers[peer]
	s.mu.Unlock()
	p.stats.mu.Lock()
	defer p.stats.mu.Unlock()
	if p.stats.decrypted[k] == 0 {
		return 0
	}
	return float64(p.stats.decrypted[k]) / float64(p.stats.highest[k]-p.stats.lowest[k]+1)
}

func TestLossyLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t)
		// Drop one in 20 media packets (SRTP, by RFC 7983's first byte,
		// larger than RTCP's) on the way: lost video packets come back by
		// NACK, lost audio frames are gone.
		var rngMu sync.Mutex
		rng := rand.New(rand.NewPCG(1, 2))
		var dropped atomic.Int64
		m.wan.AddChunkFilter(func(c vnet.Chunk) bool {
			b := c.UserData()
			if len(b) <= 100 || b[0] < 128 || b[0] > 191 {
				return true
			}
			rngMu.Lock()
			drop := rng.IntN(20) == 0
			rngMu.Unlock()
			if drop {
				dropped.Add(1)
				return false
			}
			return true
		})
		alice := m.add("alice", 10, true)
		bob := m.add("bob", 11, false)
		m.start()
		defer m.close()
		if err := alice.SetSendKey(1, key(1)); err != nil {
			t.Fatal(err)
		}
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][2]*Session{{alice, bob}, {bob, alice}} {
			if err := c[0].Connect(c[1].cfg.Self); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 20*time.Second, "90 video frames (6 s) from alice", func() bool {
			return decrypted(bob, "alice", Video) >= 90
		})
		st := stats(bob, "alice")
		a, v := delivered(bob, "alice", Audio), delivered(bob, "alice", Video)
		t.Logf("%d packets dropped; delivered: audio %.3f, video %.3f; %+v", dropped.Load(), a, v, st)
		if dropped.Load() < 20 {
			t.Fatalf("only %d packets dropped", dropped.Load())
		}
		if st.DecryptFailures != 0 {
			t.Errorf("%d frames failed to decrypt: a lost packet must lose a frame, not corrupt one", st.DecryptFailures)
		}
		if a < 0.9 || v < 0.95 {
			t.Errorf("delivered audio %.3f (want ≥ 0.9), video %.3f (want ≥ 0.95)", a, v)
		}
	})
}

func TestBadOfferKeepsMedia(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, bob := pairUp(t, false)
		if err := bob.SetRecvKey("alice", 1, key(1)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "audio from alice", func() bool {
			return decrypted(bob, "alice", Audio) >= 20
		})
		bad, err := sdpsig.Marshal(sdpsig.Message{Version: sdpsig.Version, Type: sigOffer, SDP: "v=0\r\nnot an offer"})
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.HandleSignal("alice", bad); !errors.Is(err, ErrBadSignal) {
			t.Fatalf("bad offer: %v, want ErrBadSignal", err)
		}
		a := decrypted(bob, "alice", Audio)
		waitFor(t, 10*time.Second, "audio from alice goes on after a bad offer", func() bool {
			return decrypted(bob, "alice", Audio) >= a+20
		})
	})
}

func TestFailedConnectCanBeRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMesh(t)
		bob := m.add("bob", 11, false)
		m.start()
		defer m.close()
		bad, err := sdpsig.Marshal(sdpsig.Message{Version: sdpsig.Version, Type: sigOffer, SDP: "v=0\r\nnot an offer"})
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.HandleSignal("alice", bad); err != nil {
			t.Fatalf("an offer before Connect waits: %v", err)
		}
		if err := bob.Connect("alice"); !errors.Is(err, ErrBadSignal) {
			t.Fatalf("connect answering a bad offer: %v, want ErrBadSignal", err)
		}
		if st := bob.Stats(); len(st) != 0 {
			t.Fatalf("a failed Connect left %+v", st)
		}
		if err := bob.Connect("alice"); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if st := bob.Stats(); len(st) != 1 {
			t.Fatalf("after the retry: %+v", st)
		}
	})
}
