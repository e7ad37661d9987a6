package node

import (
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestIdleStreamsDoNotStallReconciliation: a stranger who knows only the
// address an invite carries opens more reconcile streams than a node
// serves and sends nothing; a member opens more than its share and goes
// quiet. Neither holds a slot a joiner needs: the stranger takes none, the
// member at most its share and only until it has been idle for
// p2p.Idle; a newcomer joins through the node at once.
func TestIdleStreamsDoNotStallReconciliation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		m := sn.start(t.TempDir(), "Mallory", store.NewMemory())
		x := sn.start(t.TempDir(), "Stranger", store.NewMemory())
		d := sn.start(t.TempDir(), "Dev", store.NewMemory())
		for _, n := range []*testNode{a, m, x, d} {
			defer n.Close()
		}
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the join's own sessions have ended

		open := func(from *testNode, first *wire.Reconcile) []network.Stream {
			if err := from.host.Connect(ctx, a.host.Peerstore().PeerInfo(a.host.ID())); err != nil {
				t.Fatal(err)
			}
			var out []network.Stream
			for range p2p.MaxServedSessions + 2 {
				s, err := from.host.NewStream(ctx, a.host.ID(), reconcileProtocol)
				if err != nil {
					t.Fatal(err)
				}
				if first != nil {
					if err := wire.Write(s, first); err != nil {
						t.Fatal(err)
					}
				}
				out = append(out, s)
			}
			return out
		}
		// The stranger says nothing at all; the member names the community,
		// claims to hold nothing (so the node's reply asks for another
		// turn) and then never takes its turn.
		silent := open(x, nil)
		first := &wire.Reconcile{Community: comm.ID[:], Msg: reconcile.NewSet(nil).Initiate().Encode()}
		quiet := open(m, first)
		waitWithin(t, a.Node, 5*time.Second, "the member's sessions to start", func() bool {
			_, byM := a.proto.sessions.InUse(m.selfKey())
			return byM > 0
		})
		time.Sleep(time.Second) // virtual: every frame sent has arrived
		synctest.Wait()
		if total, byX := a.proto.sessions.InUse(x.selfKey()); byX != 0 || total > p2p.MaxSessionsPerPeer {
			t.Fatalf("slots taken: %d in all, %d by the stranger; want the stranger none and the member at most %d", total, byX, p2p.MaxSessionsPerPeer)
		}
		if _, byM := a.proto.sessions.InUse(m.selfKey()); byM != p2p.MaxSessionsPerPeer {
			t.Fatalf("member holds %d slots, want its share %d", byM, p2p.MaxSessionsPerPeer)
		}

		// A newcomer joins through the node while all of that is open.
		start := time.Now()
		if _, err := d.Join(ctx, link); err != nil {
			t.Fatalf("join while streams sit idle: %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("join took %v", took)
		}
		if c := communityOf(t, d.Node, comm.ID); c.Role != crdt.RoleMember.String() {
			t.Fatalf("newcomer's role %q", c.Role)
		}

		// The quiet member's slots come back once it has been idle.
		waitWithin(t, a.Node, p2p.Idle+2*time.Second, "the quiet member's slots to be freed", func() bool {
			total, _ := a.proto.sessions.InUse(m.selfKey())
			return total == 0
		})
		for _, s := range append(silent, quiet...) {
			s.Reset()
		}

		// A stranger's first frame is read only up to what a first message
		// can be: an 8 MiB one is refused unread, not read whole and then
		// answered "not a member".
		big, err := x.host.NewStream(ctx, a.host.ID(), reconcileProtocol)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			wire.Write(big, &wire.Reconcile{Community: comm.ID[:], Msg: make([]byte, wire.MaxFrame-64)})
			big.CloseWrite()
		}()
		var answer wire.Reconcile
		if err := wire.Read(big, &answer, 0); err == nil {
			t.Fatalf("a stranger's 8 MiB first frame was read and answered %+v", answer.Error)
		}
		big.Reset()

		// A pull or join request that never comes whole is given up as soon.
		for _, proto := range []protocol.ID{syncProtocol, joinProtocol} {
			s, err := x.host.NewStream(ctx, a.host.ID(), proto)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Reset()
			if _, err := s.Write([]byte{0x20}); err != nil { // announces 32 bytes and sends none
				t.Fatal(err)
			}
			start = time.Now()
			io.Copy(io.Discard, s) // until the node resets or closes it
			if took := time.Since(start); took > p2p.Idle+time.Second {
				t.Fatalf("an idle %s stream was held for %v", proto, took)
			}
		}
	})
}
