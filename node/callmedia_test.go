package node

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sfu"
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// vnetMedia gives each node real call/media Sessions on one pion vnet
// LAN, while signalling runs over simnet. Close on a node's media is
// recorded but deferred to the end of the test, as a node that does not
// stop its media when told would do: what it still decrypts is then up to
// the keys alone.
type vnetMedia struct {
	t   *testing.T
	wan *vnet.Router
	n   int

	mu   sync.Mutex
	by   map[string]call.Media // latest media by home
	open []call.Media
	sfu  map[string]*webrtc.API // by home: the API of its SFU connections and host
}

func newVnetMedia(t *testing.T) *vnetMedia {
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 10 * time.Millisecond,
		LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	return &vnetMedia{t: t, wan: wan, by: map[string]call.Media{}, sfu: map[string]*webrtc.API{}}
}

func (v *vnetMedia) factory(home string) call.NewMedia {
	v.n++
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{fmt.Sprintf("10.0.0.%d", v.n+1)}})
	if err != nil {
		v.t.Fatal(err)
	}
	if err := v.wan.AddNet(nw); err != nil {
		v.t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 500*time.Millisecond)
	sfuAPI, err := sfu.NewAPI(se)
	if err != nil {
		v.t.Fatal(err)
	}
	v.sfu[home] = sfuAPI
	newMedia := media.ForCalls(media.CallOptions{SyntheticOnly: true, API: webrtc.NewAPI(webrtc.WithSettingEngine(se)), SFUAPI: sfuAPI})
	return func(c call.MediaConfig) (call.Media, error) {
		m, err := newMedia(c)
		if err != nil {
			return nil, err
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		v.by[home] = m
		v.open = append(v.open, m)
		return keepOpen{m}, nil
	}
}

// keepOpen is a media whose Close the node cannot reach.
type keepOpen struct{ call.Media }

func (keepOpen) Close() error { return nil }

// decrypted is how many frames n's latest media decrypted from sender.
func (v *vnetMedia) decrypted(n, sender *testNode) uint64 {
	return v.stats(n, sender).FramesDecrypted
}

// stats are n's latest media's figures of frames from sender.
func (v *vnetMedia) stats(n, sender *testNode) call.PeerStats {
	v.mu.Lock()
	m := v.by[n.home]
	v.mu.Unlock()
	if m != nil {
		for _, s := range m.Stats() {
			if s.Peer == sender.Self().PeerID {
				return s
			}
		}
	}
	return call.PeerStats{}
}

func (v *vnetMedia) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, m := range v.open {
		if err := m.Close(); err != nil {
			v.t.Error(err)
		}
	}
	if err := v.wan.Stop(); err != nil {
		v.t.Error(err)
	}
}

// TestCallMediaOverVnet: three members call with real call/media
// Sessions on pion's vnet (signalling over simnet, both in one synctest
// bubble). Everyone decrypts synthetic frames from everyone, and `call
// status` shows it with latencies. Ben is removed from the community
// mid-call and his media kept running: from 3 s after the removal he
// decrypts nothing more from Olivia or Chloe, who go on hearing each
// other. A peer outside the community is refused and gets no media.
func TestCallMediaOverVnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		vm := newVnetMedia(t)
		sn := newSimNet(t)
		sn.callMedia = vm.factory
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		c := sn.start(t.TempDir(), "Chloe", store.NewMemory())
		d := sn.start(t.TempDir(), "Dev", store.NewMemory())
		if err := vm.wan.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(); b.Close(); c.Close(); d.Close(); vm.close() })
		cid, gid := callCommunity(t, a, b, c)
		connect(t, [2]*testNode{c, b}, [2]*testNode{d, a})
		for _, n := range []*testNode{a, b, c} {
			waitFor(t, n.Node, "everyone to see three members", func() bool { ms, _ := n.Members(cid); return len(ms) == 3 })
		}

		id, err := a.StartCall(ctx, cid, gid, true, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, "the ring", func() bool { calls, _ := n.Calls(cid); return len(calls) == 1 && calls[0].Active })
			if err := n.JoinCall(ctx, cid, id, true, true); err != nil {
				t.Fatal(err)
			}
		}
		all := []*testNode{a, b, c}
		for _, n := range all {
			waitFor(t, n.Node, n.home+" to decrypt frames from both others", func() bool {
				st, err := n.CallStatus(cid, id)
				if err != nil {
					return false
				}
				got := 0
				for _, p := range st.Participants {
					if !p.Self && p.Audio && p.Video && p.FramesDecrypted >= 100 && p.LatencyP50 > 0 && p.LatencyP99 >= p.LatencyP50 {
						got++
					}
				}
				return got == 2
			})
		}

		// A stranger's join is refused, and it gets no media.
		caller := a.selfKey()
		msg := &call.Message{Type: call.TypeJoin, Community: cid[:], Call: id[:], Group: gid[:], Caller: caller[:]}
		if r, err := calls.Send(ctx, d.proto.svc.Open, a.selfKey(), msg); err != nil || r.Error == "" {
			t.Fatalf("a stranger's join: %+v, %v", r, err)
		}
		vm.mu.Lock()
		strangerMedia := vm.by[d.home]
		vm.mu.Unlock()
		if strangerMedia != nil {
			t.Fatal("the stranger got media")
		}

		// Ben is removed mid-call; his media keeps running.
		if err := a.RemoveMember(ctx, cid, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		<-time.After(3 * time.Second) // 3 s of the bubble's virtual time: what the issue allows
		fromA, fromC := vm.decrypted(b, a), vm.decrypted(b, c)
		acBefore, caBefore := vm.decrypted(a, c), vm.decrypted(c, a)
		<-time.After(5 * time.Second) // and 5 s more of media
		if got, got2 := vm.decrypted(b, a), vm.decrypted(b, c); got != fromA || got2 != fromC {
			t.Fatalf("Ben, removed, decrypted %d more frames from Olivia and %d from Chloe 3 s after", got-fromA, got2-fromC)
		}
		if vm.decrypted(a, c) < acBefore+100 || vm.decrypted(c, a) < caBefore+100 {
			t.Fatalf("Olivia and Chloe stopped hearing each other: %d→%d, %d→%d", acBefore, vm.decrypted(a, c), caBefore, vm.decrypted(c, a))
		}
		if _, err := b.CallStatus(cid, id); err == nil {
			t.Fatal("Ben's node still takes part after his removal")
		}
		if err := a.EndCall(ctx, cid, id); err != nil {
			t.Fatal(err)
		}
	})
}
