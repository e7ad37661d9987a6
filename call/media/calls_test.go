package media

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
)

func TestLoopbackOnly(t *testing.T) {
	lo4, lo6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	for _, c := range []struct {
		listen []string
		want   []netip.Addr
	}{
		{nil, nil},
		{[]string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}, []netip.Addr{lo4, lo4}},
		{[]string{"/ip6/::1/tcp/4001"}, []netip.Addr{lo6}},
		{[]string{"/ip4/127.0.0.1/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"}, nil},
		{[]string{"/ip4/0.0.0.0/tcp/0"}, nil},
		{[]string{"/ip4/192.168.1.4/tcp/0"}, nil},
		{[]string{"/dns4/localhost/tcp/0"}, nil},
		{[]string{"/ip6/127.0.0.1/tcp/0"}, nil},
		{[]string{"/ip4/::1/tcp/0"}, nil},
		{[]string{"ip4/127.0.0.1/tcp/0"}, nil},
		{[]string{"/ip4"}, nil},
		{[]string{"/ip4/localhost/tcp/0"}, nil},
	} {
		if got := LoopbackOnly(c.listen); !slices.Equal(got, c.want) {
			t.Errorf("LoopbackOnly(%q) = %v, want %v", c.listen, got, c.want)
		}
	}
}

// hostCandidates gathers the ICE candidates of an offer made with a and
// returns their addresses.
func hostCandidates(t *testing.T, a *webrtc.API) []string {
	t.Helper()
	pc, err := a.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sdp := gatheredOffer(t, pc, false)
	var addrs []string
	for _, l := range strings.Split(sdp, "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "a=")); len(f) >= 8 && strings.HasPrefix(f[0], "candidate:") {
			addrs = append(addrs, f[4])
		}
	}
	return addrs
}

// TestLoopbackAPIGathersLoopback: with loopback listen addresses, ICE
// offers host candidates on 127.0.0.1 and nowhere else (pion leaves
// loopback out by default).
func TestLoopbackAPIGathersLoopback(t *testing.T) {
	got := hostCandidates(t, NewAPI(LoopbackOnly([]string{"/ip4/127.0.0.1/tcp/0"})))
	if len(got) == 0 {
		t.Fatal("no candidates")
	}
	for _, a := range got {
		if a != "127.0.0.1" {
			t.Fatalf("candidates %q: want only 127.0.0.1", got)
		}
	}
}

// TestForCalls: the adapter refuses a call that is not synthetic when the
// program has no devices, with an error that is api.ErrNoMedia, and
// otherwise returns a Session whose stats come out as call.PeerStats.
func TestForCalls(t *testing.T) {
	newMedia := ForCalls(CallOptions{SyntheticOnly: true})
	if _, err := newMedia(call.MediaConfig{Self: "a", Signal: func(string, []byte) {}}); !errors.Is(err, ErrNotSynthetic) || !errors.Is(err, api.ErrNoMedia) {
		t.Fatalf("a call that is not synthetic: %v", err)
	}
	m, err := newMedia(call.MediaConfig{Self: "a", Synthetic: true, Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Connect("a"); !errors.Is(err, ErrBadPeer) {
		t.Fatalf("connect to itself: %v", err)
	}
	if st := m.Stats(); len(st) != 0 {
		t.Fatalf("stats of a session with nobody: %v", st)
	}
	if _, err := ForCalls(CallOptions{})(call.MediaConfig{Self: "a", Signal: func(string, []byte) {}}); err != nil {
		t.Fatalf("a program with devices: %v", err)
	}
}

// fakeLocal is a Local that records its life.
type fakeLocal struct {
	recorder
	started *Session
	closed  int
	failOn  string // "start": Start fails
}

func (l *fakeLocal) Start(s *Session) error {
	l.started = s
	if l.failOn == "start" {
		return errors.New("no device")
	}
	return nil
}

func (l *fakeLocal) Close() error { l.closed++; return nil }

// TestForCallsLocal: a call that is not synthetic gets the program's
// Local, started with the call's Session (whose Sink it is) and closed
// with it; a synthetic call gets none; a Local that fails to start fails
// the call and is closed.
func TestForCallsLocal(t *testing.T) {
	var made []*fakeLocal
	fail := ""
	newMedia := ForCalls(CallOptions{Local: func(c call.MediaConfig) (Local, error) {
		if c.Self != "a" {
			t.Errorf("Local for %q", c.Self)
		}
		l := &fakeLocal{failOn: fail}
		made = append(made, l)
		return l, nil
	}})
	m, err := newMedia(call.MediaConfig{Self: "a", Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 1 || made[0].started == nil || made[0].started.cfg.Sink != made[0] {
		t.Fatalf("the Local was not started with a Session whose Sink it is: %+v", made)
	}
	if made[0].started.video == nil {
		t.Fatal("a voice call with a Local has no video track: its camera cannot turn on")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if made[0].closed != 1 || !made[0].started.isClosed() {
		t.Fatalf("Close: Local closed %d times, session closed %t", made[0].closed, made[0].started.isClosed())
	}
	s, err := newMedia(call.MediaConfig{Self: "a", Synthetic: true, Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if len(made) != 1 {
		t.Fatal("a synthetic call got a Local")
	}
	fail = "start"
	if _, err := newMedia(call.MediaConfig{Self: "a", Signal: func(string, []byte) {}}); err == nil {
		t.Fatal("a Local that fails to start: no error")
	}
	if made[1].closed != 1 || !made[1].started.isClosed() {
		t.Fatal("a Local that failed to start was not closed with its Session")
	}
}

// routedLocal is a fakeLocal that records what ThroughSFU told it.
type routedLocal struct {
	fakeLocal
	mu    sync.Mutex
	route []bool
}

func (l *routedLocal) ThroughSFU(sfu bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.route = append(l.route, sfu)
}

// TestSetHostTellsTheLocal: a Local that is Routed is told each move of
// its call between the mesh and an SFU (so that call/voice sizes its
// voice for an SFU), and only once the move is made.
func TestSetHostTellsTheLocal(t *testing.T) {
	l := &routedLocal{}
	newMedia := ForCalls(CallOptions{Listen: []string{"/ip4/127.0.0.1/tcp/0"},
		Local: func(call.MediaConfig) (Local, error) { return l, nil }})
	m, err := newMedia(call.MediaConfig{Self: "a", Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, host := range []string{"h", "", "h", "h"} {
		if err := m.SetHost(host); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SetHost(strings.Repeat("x", MaxPeerIDSize+1)); err == nil {
		t.Fatal("a host id that is too long: no error")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if want := []bool{true, false, true, true}; !slices.Equal(l.route, want) {
		t.Fatalf("ThroughSFU told %v, want %v", l.route, want)
	}
}
