package node

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// recMedia is a call's media that records the keys it is given.
type recMedia struct {
	mu     sync.Mutex
	send   []uint64
	recv   map[string][]uint64
	closed bool
}

func (r *recMedia) Connect(string) error              { return nil }
func (r *recMedia) Disconnect(string)                 {}
func (r *recMedia) HandleSignal(string, []byte) error { return nil }
func (r *recMedia) SetHost(string) error              { return nil }
func (r *recMedia) DropRecvKeys(string, uint64)       {}
func (r *recMedia) SetMuted(bool)                     {}
func (r *recMedia) Stats() []call.PeerStats           { return nil }
func (r *recMedia) SetSendKey(kid uint64, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.send = append(r.send, kid)
	return nil
}

func (r *recMedia) SetRecvKey(from string, kid uint64, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recv[from] = append(r.recv[from], kid)
	return nil
}

func (r *recMedia) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

// callMedias holds every node's call media, latest last, by home.
type callMedias struct {
	mu sync.Mutex
	by map[string][]*recMedia
}

func (c *callMedias) factory(home string) call.NewMedia {
	return func(call.MediaConfig) (call.Media, error) {
		m := &recMedia{recv: map[string][]uint64{}}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.by[home] = append(c.by[home], m)
		return m, nil
	}
}

func (c *callMedias) of(n *testNode) *recMedia {
	c.mu.Lock()
	defer c.mu.Unlock()
	ms := c.by[n.home]
	if len(ms) == 0 {
		return nil
	}
	return ms[len(ms)-1]
}

// hasKey reports whether receiver holds sender's current send key.
func (c *callMedias) hasKey(receiver, sender *testNode) bool {
	s, r := c.of(sender), c.of(receiver)
	if s == nil || r == nil {
		return false
	}
	s.mu.Lock()
	kid := uint64(0)
	if len(s.send) > 0 {
		kid = s.send[len(s.send)-1]
	}
	s.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	return kid > 0 && slices.Contains(r.recv[sender.Self().PeerID], kid)
}

func (c *callMedias) lastSend(n *testNode) uint64 {
	m := c.of(n)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.send[len(m.send)-1]
}

// maxRecv is the newest key receiver got from sender.
func (c *callMedias) maxRecv(receiver, sender *testNode) uint64 {
	m := c.of(receiver)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.recv[sender.Self().PeerID]) == 0 {
		return 0
	}
	return slices.Max(m.recv[sender.Self().PeerID])
}

// callNodes starts nodes of the given names on a simulated network, each
// with call media that records what it is given (media), closed when the
// test ends; sn is their network. It runs inside a synctest bubble.
func callNodes(t *testing.T, names ...string) (media *callMedias, sn *simNet, nodes []*testNode) {
	t.Helper()
	media = &callMedias{by: map[string][]*recMedia{}}
	sn = newSimNet(t)
	sn.callMedia = media.factory
	nodes = make([]*testNode, len(names))
	for i, name := range names {
		nodes[i] = sn.start(t.TempDir(), name, store.NewMemory())
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Close()
		}
	})
	return media, sn, nodes
}

// callCommunity: a founds Glow Team and each of joiners joins it by one
// invite link (without waiting for the joins to land). It returns the
// community and its General.
func callCommunity(t *testing.T, a *testNode, joiners ...*testNode) (cid, gid crdt.ID) {
	t.Helper()
	comm, err := a.CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	link, err := a.CreateInvite(t.Context(), comm.ID, api.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range joiners {
		if _, err := n.Join(t.Context(), link); err != nil {
			t.Fatal(err)
		}
	}
	return comm.ID, general(t, a.Node, comm.ID)
}

// connect has the first node of each pair dial the second.
func connect(t *testing.T, pairs ...[2]*testNode) {
	t.Helper()
	for _, p := range pairs {
		if err := p[0].host.Connect(t.Context(), peer.AddrInfo{ID: p[1].host.ID(), Addrs: p[1].host.Addrs()}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCallOverSimnet: three members over a simulated network. The owner
// starts a call in General and it rings the others, who join; each
// participant holds every other's current key. One leaves: the others
// renew their keys and it gets none. A member removed from the community
// mid-call is dropped by every node as the removal reaches it, and gets
// no key made after; a peer outside the community is refused.
func TestCallOverSimnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		media, _, n := callNodes(t, "Olivia", "Ben", "Chloe", "Dev")
		a, b, c, d := n[0], n[1], n[2], n[3]
		cid, gid := callCommunity(t, a, b, c)
		// The mesh needs Ben and Chloe to reach each other, and Dev Olivia.
		connect(t, [2]*testNode{c, b}, [2]*testNode{d, a})
		waitFor(t, a.Node, "Olivia to see both members", func() bool { ms, _ := a.Members(cid); return len(ms) == 3 })

		id, err := a.StartCall(ctx, cid, gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, "the ring", func() bool {
				calls, _ := n.Calls(cid)
				return len(calls) == 1 && calls[0].ID == id && calls[0].Active
			})
			if err := n.JoinCall(ctx, cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		all := []*testNode{a, b, c}
		everyoneKeyed := func(ns ...*testNode) func() bool {
			return func() bool {
				for _, x := range ns {
					for _, y := range ns {
						if x != y && !media.hasKey(x, y) {
							return false
						}
					}
				}
				return true
			}
		}
		waitFor(t, a.Node, "every participant to hold every other's key", everyoneKeyed(all...))
		list, err := a.Calls(cid)
		if err != nil || len(list) != 1 || len(list[0].Participants) != 3 || !list[0].Joined || !list[0].CanEnd {
			t.Fatalf("Olivia's calls: %+v, %v", list, err)
		}
		if st, err := b.CallStatus(cid, id); err != nil || st.Topology != api.TopologyMesh || len(st.Participants) != 3 {
			t.Fatalf("Ben's call status: %+v, %v", st, err)
		}
		// Ben mutes and turns his camera on: Olivia's status shows both.
		if err := b.SetCallMuted(ctx, cid, id, true); err != nil {
			t.Fatal(err)
		}
		if err := b.AnnounceCallVideo(ctx, cid, id, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "Ben's mute and camera to show", func() bool {
			st, _ := a.CallStatus(cid, id)
			for _, p := range st.Participants {
				if p.PeerID == b.Self().PeerID {
					return p.Muted && p.Video
				}
			}
			return false
		})

		// Chloe leaves: Olivia and Ben renew their keys; she gets neither.
		before := media.lastSend(a)
		if err := c.LeaveCall(ctx, cid, id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "new keys after the leave", func() bool {
			return media.lastSend(a) > before && everyoneKeyed(a, b)()
		})
		if media.maxRecv(c, a) >= media.lastSend(a) || media.maxRecv(c, b) >= media.lastSend(b) {
			t.Fatal("Chloe got a key made after she left")
		}

		// Ben is removed from the community mid-call.
		if err := c.JoinCall(ctx, cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "Chloe back in", everyoneKeyed(all...))
		beforeA, beforeC := media.lastSend(a), media.lastSend(c)
		if err := a.RemoveMember(ctx, cid, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "Olivia and Chloe to drop Ben and renew their keys", func() bool {
			return media.lastSend(a) > beforeA && media.lastSend(c) > beforeC && everyoneKeyed(a, c)()
		})
		if media.maxRecv(b, a) >= media.lastSend(a) || media.maxRecv(b, c) >= media.lastSend(c) {
			t.Fatal("Ben got a key made after his removal")
		}
		for _, n := range []*testNode{a, c} {
			calls, _ := n.Calls(cid)
			if len(calls) != 1 || slices.Contains(calls[0].Participants, b.Self().PeerID) || len(calls[0].Participants) != 2 {
				t.Fatalf("participants after Ben's removal: %+v", calls)
			}
		}
		waitFor(t, b.Node, "Ben's node to stop his part", func() bool {
			m := media.of(b)
			m.mu.Lock()
			defer m.mu.Unlock()
			return m.closed
		})
		if err := b.JoinCall(ctx, cid, id, false, true); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("a removed member joins: %v", err)
		}

		// Dev, in no community with them, is refused.
		caller := a.selfKey()
		msg := &call.Message{Type: call.TypeJoin, Community: cid[:], Call: id[:], Group: gid[:], Caller: caller[:]}
		r, err := calls.Send(ctx, d.proto.svc.Open, a.selfKey(), msg)
		if err != nil || r.Error == "" {
			t.Fatalf("a stranger's join: %+v, %v", r, err)
		}

		// A malformed message costs Dev his connection.
		st, err := d.proto.svc.Open(ctx, a.host.ID(), calls.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := wire.Write(st, &call.Message{Type: 42, Community: cid[:], Call: id[:]}); err != nil {
			t.Fatal(err)
		}
		st.CloseWrite()
		waitFor(t, a.Node, "Olivia to drop Dev", func() bool {
			return a.host.Network().Connectedness(d.host.ID()) != network.Connected
		})
		st.Reset()

		// Olivia ends the call: Chloe stops, and the end is recorded.
		if err := a.EndCall(ctx, cid, id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "the recorded end", func() bool {
			calls, _ := c.Calls(cid)
			return len(calls) == 1 && !calls[0].Active && len(calls[0].Participants) == 3
		})
		if m := media.of(c); !m.closed {
			t.Fatal("Chloe's media still runs after the end")
		}
	})
}

// TestCallWithoutMediaRefuses: a node with no call media does not
// pretend: starting a call fails with api.ErrNoMedia and records nothing.
func TestCallWithoutMediaRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		t.Cleanup(func() { a.Close() })
		comm, err := a.CreateCommunity(t.Context(), "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.StartCall(t.Context(), comm.ID, general(t, a.Node, comm.ID), false, true); !errors.Is(err, api.ErrNoMedia) {
			t.Fatalf("start with no media: %v", err)
		}
		if calls, _ := a.Calls(comm.ID); len(calls) != 0 {
			t.Fatalf("calls recorded: %+v", calls)
		}
		// The app's remove button names a participant by peer id.
		if err := a.RemoveCallPeer(t.Context(), comm.ID, crdt.ID{1}, "not-a-peer-id"); !errors.Is(err, crdt.ErrInvalid) {
			t.Fatalf("remove by a malformed peer id: %v", err)
		}
		if err := a.SetCallMuted(t.Context(), comm.ID, crdt.ID{1}, true); err == nil {
			t.Fatal("muted in a call this node is not in")
		}
	})
}
