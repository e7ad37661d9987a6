package node

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// storedOps returns what n's store keeps of community cid, clear bodies
// included where n opened them.
func storedOps(t *testing.T, n *testNode, cid crdt.ID) []crdt.Opened {
	t.Helper()
	var out []crdt.Opened
	logs, err := n.store.Logs(t.Context(), cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		if err := n.store.Ops(t.Context(), cid, l, func(x crdt.Opened) error { out = append(out, x); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestPrivateConversationIsForItsParticipants: Ben and Chloe talk
// privately; Olivia, the community's owner, holds the conversation's ops
// (handed to her whole) but opens none, lists neither the conversation
// nor its messages, and nothing she holds, written to Badger, contains the
// text. Chloe's node marks the message's event private.
func TestPrivateConversationIsForItsParticipants(t *testing.T) {
	const secret = "Your bonus this month is 1,240 euros"
	var outsider, participant []crdt.Opened
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see c", func() bool { ms, _ := b.Members(comm.ID); return len(ms) == 3 })
		events, stop := c.Subscribe()
		defer stop()
		dm, err := b.OpenPrivate(ctx, comm.ID, []string{c.Self().PeerID})
		if err != nil {
			t.Fatal(err)
		}
		id, err := b.Post(ctx, comm.ID, dm, secret)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to read the private message", func() bool { _, err := c.Message(comm.ID, dm, id); return err == nil })
		private := false
		for !private {
			select {
			case e := <-events:
				private = e.Kind == api.EventMessages && e.Group == dm && e.Private
			default:
				t.Fatal("no private message event on c")
			}
		}
		ps, err := c.Privates(comm.ID)
		if err != nil || len(ps) != 1 || ps[0].Group != dm || ps[0].Unread != 1 || len(ps[0].With) != 1 || ps[0].With[0].Name != "Ben" {
			t.Fatalf("c's private conversations %+v, %v", ps, err)
		}
		if again, err := c.OpenPrivate(ctx, comm.ID, []string{b.Self().PeerID}); err != nil || again != dm {
			t.Fatalf("c opens the conversation with b again: %s, %v", again.Short(), err)
		}
		// Olivia gets every op of the conversation, as a peer would send them.
		for _, o := range allOps(t, b.Node, comm.ID) {
			if o.Log != dm {
				continue
			}
			res, err := a.rep.Ingest(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != replica.Parked {
				t.Fatalf("the owner's node took %s op %s as %v: it cannot open it", o.Kind, o.ID().Short(), res.Outcome)
			}
			outsider = append(outsider, crdt.Opened{Op: o})
		}
		if len(outsider) == 0 {
			t.Fatal("no op of the conversation to hand the owner")
		}
		if ps, err := a.Privates(comm.ID); err != nil || len(ps) != 0 {
			t.Fatalf("the owner lists private conversations %+v, %v", ps, err)
		}
		gs, _ := a.Groups(comm.ID)
		if slices.ContainsFunc(gs, func(g api.Group) bool { return g.ID == dm }) {
			t.Fatal("the owner's group list shows the conversation")
		}
		if ms, _ := a.Messages(comm.ID, dm); len(ms) != 0 {
			t.Fatalf("the owner reads %v", ms)
		}
		if _, err := a.Post(ctx, comm.ID, dm, "Olivia here"); err == nil {
			t.Fatal("the owner posted in a private conversation")
		}
		outsider = append(outsider, storedOps(t, a, comm.ID)...)
		participant = storedOps(t, c, comm.ID)
	})
	scan := func(ops []crdt.Opened) []string {
		dir := t.TempDir()
		st, err := store.OpenBadger(dir, store.BadgerOptions{NoCompression: true})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortStableFunc(ops, func(x, y crdt.Opened) int { return int(x.Op.Height) - int(y.Op.Height) })
		if err := st.PutBatch(t.Context(), ops); err != nil {
			t.Fatal(err)
		}
		st.Close()
		return filesContaining(t, dir, secret)
	}
	if found := scan(outsider); len(found) > 0 {
		t.Fatalf("the owner's store holds the private text in %v", found)
	}
	if found := scan(participant); len(found) == 0 {
		t.Fatal("the participant's store scan found no text: the scan does not work")
	}
}

// TestPrivateSettingEnforcedByEveryNode: with members limited to messaging
// admins, Ben's node refuses his conversation with Chloe, and a create op
// his node signs anyway is refused by Chloe's node too.
func TestPrivateSettingEnforcedByEveryNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		s, _ := a.Settings(comm.ID)
		s.PrivateToAdminsOnly = true
		if err := a.UpdateSettings(ctx, comm.ID, s); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testNode{b, c} {
			waitFor(t, n.Node, "the setting to arrive", func() bool { s, _ := n.Settings(comm.ID); return s.PrivateToAdminsOnly })
		}
		waitFor(t, b.Node, "b to see c", func() bool { ms, _ := b.Members(comm.ID); return len(ms) == 3 })
		if cs := b.Communities(); len(cs) != 1 || cs[0].CanMessagePrivately {
			t.Fatalf("b may message members privately: %+v", cs)
		}
		for _, m := range must(b.Members(comm.ID)) {
			if want := m.Role == "owner"; m.CanMessage != want {
				t.Fatalf("b may message %s (%s): %v", m.Name, m.Role, m.CanMessage)
			}
		}
		if _, err := b.OpenPrivate(ctx, comm.ID, []string{c.Self().PeerID}); !errors.Is(err, api.ErrPrivateRestricted) {
			t.Fatalf("b opens a conversation with c: %v", err)
		}
		ck := c.selfKey()
		body, err := crdt.EncodeBody(&crdt.GroupCreateBody{Policy: crdt.PolicyPrivate, Participants: [][]byte{ck[:]}, Time: 1})
		if err != nil {
			t.Fatal(err)
		}
		caughtUp(t, c, b, comm.ID, crdt.ZeroID)
		var draft crdt.Op
		if err := b.rep.View(comm.ID, func(cc *crdt.Community) error {
			draft = cc.Draft(b.selfKey(), crdt.ZeroID, crdt.KindGroupCreate, body)
			draft.Author = b.selfKey()
			return b.keys.Seal(cc, &draft)
		}); err != nil {
			t.Fatal(err)
		}
		forged, err := crdt.Sign(draft, b.id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.rep.Ingest(ctx, forged); !errors.Is(err, api.ErrPrivateRestricted) {
			t.Fatalf("c's node took the forbidden conversation: %v", err)
		}
		if _, err := b.OpenPrivate(ctx, comm.ID, []string{a.Self().PeerID}); err != nil {
			t.Fatalf("b opens a conversation with the owner: %v", err)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestPrivateGroupGoesOnAfterARemoval: Ben, Chloe and Dev talk privately;
// Olivia, the owner, who is not in the conversation, removes Dev. She
// cannot renew the conversation's keys (she must not know them): Ben or
// Chloe does, and they go on talking under a key Dev never gets.
func TestPrivateGroupGoesOnAfterARemoval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		var ns []*testNode
		for _, name := range []string{"Olivia", "Ben", "Chloe", "Dev"} {
			n := sn.start(t.TempDir(), name, store.NewMemory())
			t.Cleanup(func() { n.Close() })
			ns = append(ns, n)
		}
		a, b, c, d := ns[0], ns[1], ns[2], ns[3]
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns[1:] {
			link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, b.Node, "b to see four members", func() bool { ms, _ := b.Members(comm.ID); return len(ms) == 4 })
		dm, err := b.OpenPrivate(ctx, comm.ID, []string{c.Self().PeerID, d.Self().PeerID})
		if err != nil {
			t.Fatal(err)
		}
		first, err := b.Post(ctx, comm.ID, dm, "Team call at 8")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, d.Node, "d to read the first message", func() bool { _, err := d.Message(comm.ID, dm, first); return err == nil })
		before := current(b.Node, comm.ID, dm)
		if err := a.RemoveMember(ctx, comm.ID, d.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		if e := current(a.Node, comm.ID, dm); e == nil || e.ID != before.ID {
			t.Fatal("the owner, outside the conversation, renewed its keys")
		}
		waitWithin(t, b.Node, 10*time.Minute, "a participant to renew the conversation's keys", func() bool {
			e := current(b.Node, comm.ID, dm)
			return e != nil && e.ID != before.ID && !stale(b.Node, comm.ID, dm)
		})
		e := current(b.Node, comm.ID, dm)
		if _, wrapped := e.Wraps[d.selfKey()]; wrapped {
			t.Fatal("the new key was wrapped to the removed member")
		}
		if _, wrapped := e.Wraps[a.selfKey()]; wrapped {
			t.Fatal("the new key was wrapped to the owner outside the conversation")
		}
		var next crdt.ID
		waitWithin(t, b.Node, 10*time.Minute, "b to post again", func() bool {
			next, err = b.Post(ctx, comm.ID, dm, "Dev has left us")
			return err == nil
		})
		waitFor(t, c.Node, "c to read it", func() bool { _, err := c.Message(comm.ID, dm, next); return err == nil })
		if ps, _ := c.Privates(comm.ID); len(ps) != 1 || ps[0].Closed || len(ps[0].With) != 1 || len(ps[0].Left) != 1 {
			t.Fatalf("c's conversation after the removal: %+v", ps)
		}
	})
}
