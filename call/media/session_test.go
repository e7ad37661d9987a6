package media

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
)

// mesh is a call of Sessions on one pion vnet LAN, their media messages
// carried by a synchronous in-test bus.
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

// add makes a participant at 10.0.0.<ip>.
func (m *mesh) add(id string, ip int, video bool) *Session {
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
	se.SetICEMulticastDNSMode(0 + 1) // ice.MulticastDNSModeDisabled
	se.SetICETimeouts(5*time.Second, 10*time.Second, 500*time.Millisecond)
	s, err := New(Config{
		Self:      id,
		Video:     video,
		Synthetic: true,
		API:       webrtc.NewAPI(webrtc.WithSettingEngine(se)),
		Signal: func(to string, blob []byte) {
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
		},
	})
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
		video := map[string]bool{"alice": true, "bob": true, "carol": false}
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
