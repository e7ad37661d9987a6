package node

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestCallEndReachesACutOffParticipant: Olivia, Ben and Chloe are in a
// call when Olivia and Chloe lose each other (a network split), so
// Olivia's End never reaches Chloe. The end's record does, through Ben:
// as it lands, Chloe's node leaves the call (its media stops), her status
// says the call ended, and her list shows it ended, her out of it.
func TestCallEndReachesACutOffParticipant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		media, sn, n := callNodes(t, "Olivia", "Ben", "Chloe")
		a, b, c := n[0], n[1], n[2]
		cid, gid := callCommunity(t, a, b, c)
		connect(t, [2]*testNode{c, b})
		waitFor(t, a.Node, "Olivia to see both members", func() bool { ms, _ := a.Members(cid); return len(ms) == 3 })
		id := startCall(t, a, cid, gid, b, c)
		waitFor(t, c.Node, "Chloe to hold Olivia's and Ben's keys", func() bool { return media.hasKey(c, a) && media.hasKey(c, b) })

		// Olivia and Chloe lose each other; Ben still reaches both.
		olivia, chloe := a.host.ID(), c.host.ID()
		sn.apart = func(x, y peer.ID) bool { return x == olivia && y == chloe || x == chloe && y == olivia }
		a.host.Network().ClosePeer(chloe)
		c.host.Network().ClosePeer(olivia)
		if err := a.EndCall(ctx, cid, id); err != nil {
			t.Fatal(err)
		}
		// Only the media is watched: listing the calls or asking the
		// status would end the call too (they read the record).
		waitFor(t, c.Node, "Chloe's node to stop her part as the end's record lands", func() bool {
			m := media.of(c)
			m.mu.Lock()
			defer m.mu.Unlock()
			return m.closed
		})
		if _, err := c.CallStatus(cid, id); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("Chloe's call status: %v, want %v", err, api.ErrCallEnded)
		}
		calls, err := c.Calls(cid)
		if err != nil || len(calls) != 1 || calls[0].Active || calls[0].Joined {
			t.Fatalf("Chloe's calls: %+v, %v; want the call ended, her out of it", calls, err)
		}
	})
}

// startCall has caller start a voice call in group gid of community cid
// and each of joiners join it once rung; it returns the call.
func startCall(t *testing.T, caller *testNode, cid, gid crdt.ID, joiners ...*testNode) crdt.ID {
	t.Helper()
	id, err := caller.StartCall(t.Context(), cid, gid, false, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range joiners {
		waitFor(t, n.Node, "the ring", func() bool {
			calls, _ := n.Calls(cid)
			return len(calls) == 1 && calls[0].ID == id && calls[0].Active
		})
		if err := n.JoinCall(t.Context(), cid, id, false, true); err != nil {
			t.Fatal(err)
		}
	}
	return id
}
