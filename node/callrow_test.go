package node

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestCallRowAfterRealCall: three members hold a real call (call/media
// Sessions with synthetic media on pion's vnet, signalling over simnet).
// While it runs, every member's Messages has its row, active, at the
// call start's place, and the call list counts the three taking part
// (the count the row shows); once the caller ends it, the row says it
// ended, who joined and how long it ran.
func TestCallRowAfterRealCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		vm := newVnetMedia(t)
		sn := newSimNet(t)
		sn.callMedia = vm.factory
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		c := sn.start(t.TempDir(), "Chloe", store.NewMemory())
		if err := vm.wan.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(); b.Close(); c.Close(); vm.close() })
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		cid, gid := comm.ID, general(t, a.Node, comm.ID)
		if err := c.host.Connect(ctx, peer.AddrInfo{ID: b.host.ID(), Addrs: b.host.Addrs()}); err != nil {
			t.Fatal(err)
		}
		all := []*testNode{a, b, c}
		for _, n := range all {
			waitFor(t, n.Node, "everyone to see three members", func() bool { ms, _ := n.Members(cid); return len(ms) == 3 })
		}
		if _, err := a.Post(ctx, cid, gid, "Call in five?"); err != nil {
			t.Fatal(err)
		}

		started := time.Now()
		id, err := a.StartCall(ctx, cid, gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, "the ring", func() bool { calls, _ := n.Calls(cid); return len(calls) == 1 && calls[0].Active })
			if err := n.JoinCall(ctx, cid, id, false, true); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range all {
			waitFor(t, n.Node, n.home+" to decrypt frames from both others", func() bool {
				return vm.decrypted(n, a)+vm.decrypted(n, b)+vm.decrypted(n, c) > 0 &&
					(n == a || vm.decrypted(n, a) >= 25) && (n == b || vm.decrypted(n, b) >= 25) && (n == c || vm.decrypted(n, c) >= 25)
			})
		}
		for _, n := range all {
			waitFor(t, n.Node, n.home+" to count three in the call", func() bool {
				calls, _ := n.Calls(cid)
				return len(calls) == 1 && len(calls[0].Participants) == 3
			})
			row := callRow(t, n, cid, gid, id)
			if !row.Call.Active || row.Call.Video || row.Call.StartedBy != a.Self().PeerID || row.AuthorName != "Olivia" {
				t.Fatalf("%s's row of the running call: %+v by %s", n.home, *row.Call, row.AuthorName)
			}
		}

		<-time.After(65 * time.Second) // a minute of call and more, in the bubble's time
		if err := a.EndCall(ctx, cid, id); err != nil {
			t.Fatal(err)
		}
		ended := time.Now()
		want := []string{a.Self().PeerID, b.Self().PeerID, c.Self().PeerID}
		slices.Sort(want)
		for _, n := range all {
			waitFor(t, n.Node, n.home+" to see the call end", func() bool { return !callRow(t, n, cid, gid, id).Call.Active })
			r := callRow(t, n, cid, gid, id).Call
			joined := slices.Sorted(slices.Values(r.Joined))
			if d := time.Duration(r.Duration); d < 65*time.Second || d > ended.Sub(started) || !slices.Equal(joined, want) || r.Lapsed {
				t.Fatalf("%s's row of the ended call: %s long (ran %s), joined %v (want %v), lapsed %v", n.home, d, ended.Sub(started), joined, want, r.Lapsed)
			}
		}
	})
}

// callRow is the row of call id in n's Messages of group gid: the one
// message of kind "call" there, right after the message before the call.
func callRow(t *testing.T, n *testNode, cid, gid, id crdt.ID) api.Message {
	t.Helper()
	msgs, err := n.Messages(cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	var rows []api.Message
	for _, m := range msgs {
		if m.Kind == "call" {
			rows = append(rows, m)
		}
	}
	if len(rows) != 1 || rows[0].Call == nil || rows[0].ID != id || msgs[len(msgs)-1].ID != id || msgs[len(msgs)-2].Text != "Call in five?" {
		t.Fatalf("%s's messages have call rows %+v, want one of call %s after the last message", n.home, rows, id)
	}
	return rows[0]
}
