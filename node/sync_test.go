package node

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// errNotMember is what a node tells a peer that may not do what it asked.
var errNotMember = exchange.ErrNotMember

// TestOfflineMemberCatchesUp: a member away while 1,000 ops are written
// gets every one of them when it returns, and finding them takes at most
// three round trips.
func TestOfflineMemberCatchesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		bHome := t.TempDir()
		b := sn.start(bHome, "Ben", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range 1000 {
			if _, err := a.Post(ctx, comm.ID, gid, fmt.Sprintf("tip %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		b2 := sn.start(bHome, "Ben", b.store)
		defer b2.Close()
		waitFor(t, b2.Node, "b to catch up", func() bool {
			s, ok := b2.LastSync(comm.ID)
			return len(texts(t, b2.Node, comm.ID, gid)) == 1000 && ok && s.Missing > 0
		})
		s, ok := b2.LastSync(comm.ID)
		t.Logf("catch-up: %+v", s)
		if !ok || s.Missing < 1000 || s.RoundTrips > 3 {
			t.Fatalf("catch-up: %+v, want ≥ 1000 missing found in ≤ 3 round trips", s)
		}
		var ah, bh [32]byte
		a.rep.View(comm.ID, func(c *crdt.Community) error { ah = c.Hash(); return nil })
		b2.rep.View(comm.ID, func(c *crdt.Community) error { bh = c.Hash(); return nil })
		if ah != bh {
			t.Fatal("after catching up the two nodes' states differ")
		}
	})
}

// TestGarbageReconcilerIsDisconnected: a member whose reconciliation
// message does not decode is cut off.
func TestGarbageReconcilerIsDisconnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		s, err := b.host.NewStream(ctx, a.host.ID(), reconcileProtocol)
		if err != nil {
			t.Fatal(err)
		}
		if err := wire.Write(s, &wire.Reconcile{Community: comm.ID[:], Msg: []byte{1, 0xff, 0xff}}); err != nil {
			t.Fatal(err)
		}
		var in wire.Reconcile
		_ = wire.Read(s, &in, 0)
		synctest.Wait()
		if a.host.Network().Connectedness(b.host.ID()) == network.Connected {
			t.Fatal("a peer that sent garbage is still connected")
		}
	})
}

// TestPrivateGroupStaysPrivate: a member outside an approval group gets
// none of its messages, by gossip or by reconciliation, until admitted.
func TestPrivateGroupStaysPrivate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		leaders, err := a.CreateGroup(ctx, comm.ID, "Leaders", "for team leaders", "approval")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Post(ctx, comm.ID, leaders.ID, "Bonus numbers for this month"); err != nil {
			t.Fatal(err)
		}
		gen := general(t, a.Node, comm.ID)
		if _, err := a.Post(ctx, comm.ID, gen, "Hello everyone"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see the public post", func() bool { return len(texts(t, b.Node, comm.ID, gen)) == 1 })
		if err := b.pulls.PullNow(ctx, a.host.ID(), comm.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := texts(t, b.Node, comm.ID, leaders.ID); len(got) != 0 {
			t.Fatalf("b, outside the group, holds %q", got)
		}
		if err := b.JoinGroup(ctx, comm.ID, leaders.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "b's request", func() bool { r, _ := a.GroupRequests(comm.ID, leaders.ID); return len(r) == 1 })
		if err := a.DecideGroupJoin(ctx, comm.ID, leaders.ID, b.Self().PeerID, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b, admitted, to get the group's history", func() bool {
			_ = b.pulls.PullNow(ctx, a.host.ID(), comm.ID, nil)
			return len(texts(t, b.Node, comm.ID, leaders.ID)) == 1
		})
	})
}

// TestPullAskedForDuringAPull: a pull asked for while one from the same peer
// runs (a nudge, an op parked for its parents) runs once that one ends. The
// running pull may have reconciled before the op it is asked for was
// written; dropping the request left the op to the next periodic sync.
func TestPullAskedForDuringAPull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, b.Node, comm.ID)
		// b holds back its answer to the last request of a pull, the peer
		// exchange, so a's pull from b stays under way after reconciling.
		asked, release := make(chan struct{}, 1), make(chan struct{})
		b.host.SetStreamHandler(syncProtocol, func(s network.Stream) {
			defer s.Close()
			var req wire.Request
			if err := wire.Read(s, &req, 64<<10); err != nil {
				s.Reset()
				return
			}
			if req.Kind == wire.KindPeers {
				select {
				case asked <- struct{}{}:
				default:
				}
				<-release
			}
			k, _ := peerkey.Key(s.Conn().RemotePeer())
			wire.Write(s, b.proto.x.AnswerSync(k, &req))
		})
		a.pulls.Pull(b.host.ID(), comm.ID)
		<-asked
		// An op gossip did not carry: written into b's replica only.
		body, err := crdt.EncodeAny(&crdt.MessageBody{Text: "written while a pulled", Time: b.now().UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.rep.Author(ctx, b.id, comm.ID, gid, crdt.KindMessage, body); err != nil {
			t.Fatal(err)
		}
		a.pulls.Pull(b.host.ID(), comm.ID) // as b's nudge would
		close(release)
		waitWithin(t, a.Node, 5*time.Second, "a to get the op written during its pull", func() bool {
			return len(texts(t, a.Node, comm.ID, gid)) == 1
		})
	})
}
