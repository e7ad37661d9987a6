package node

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// allOps returns every op n holds in community cid, as a peer would
// receive them: the encodings alone, no clear bodies attached.
func allOps(t *testing.T, n *Node, cid crdt.ID) []*crdt.Op {
	t.Helper()
	var out []*crdt.Op
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		logs := []crdt.ID{crdt.ZeroID}
		for gid := range c.State().Groups {
			logs = append(logs, gid)
		}
		for _, l := range logs {
			c.EachOp(l, func(o *crdt.Op) { out = append(out, o) })
		}
		return nil
	})
	raws := encodings(t, n, out)
	for i := range out {
		fresh, err := crdt.DecodeOp(raws[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = fresh
	}
	return out
}

// encodings returns the encodings of ops that n holds: from memory, or
// from its store for those loaded at start (crdt.Op.Encoded).
func encodings(t testing.TB, n *Node, ops []*crdt.Op) [][]byte {
	t.Helper()
	out := make([][]byte, len(ops))
	var stored []*crdt.Op
	for i, o := range ops {
		if out[i] = o.Bytes(); !o.Encoded() {
			stored = append(stored, o)
		}
	}
	read, err := n.rep.Encodings(t.Context(), stored)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range ops {
		if !o.Encoded() {
			out[i], read = read[0], read[1:]
		}
	}
	return out
}

// split cuts the simulated network between the two sides (and their
// connections); heal lets them meet again.
type splitter struct {
	mu   sync.Mutex
	side map[peer.ID]int
}

func newSplitter(sn *simNet) *splitter {
	s := &splitter{side: map[peer.ID]int{}}
	sn.apart = func(a, b peer.ID) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.side[a] != s.side[b]
	}
	return s
}

func (s *splitter) split(nodes ...*testNode) {
	s.mu.Lock()
	for _, n := range nodes {
		s.side[n.host.ID()] = 1
	}
	s.mu.Unlock()
	for _, n := range nodes {
		for _, p := range n.host.Network().Peers() {
			if s.side[p] != 1 {
				n.host.Network().ClosePeer(p)
			}
		}
	}
}

func (s *splitter) heal() {
	s.mu.Lock()
	clear(s.side)
	s.mu.Unlock()
}

// TestRemovedMemberDecryptsNothing: a removed member's node keeps every
// key it ever had, stays connected and subscribed, and is handed every op
// written after its removal: it opens none of them, not even by trying
// each old epoch secret on each new ciphertext. It did learn of its
// removal, and the remaining members read everything.
func TestRemovedMemberDecryptsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, w, comm := ownerAndMember(t)
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := w.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		if _, err := a.Post(ctx, comm.ID, gid, "Welcome, Ben and Wendy"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to read the welcome", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 1 })

		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		before := map[crdt.ID]bool{}
		for _, o := range allOps(t, a.Node, comm.ID) {
			before[o.ID()] = true
		}
		waitFor(t, b.Node, "b to learn of its removal", func() bool {
			c, err := b.community(comm.ID)
			return err == nil && c.Role == crdt.RoleNone.String()
		})
		// Everything after: messages in every group, control changes.
		for _, s := range []string{"Promo code GLOW25 starts Monday", "Ben's leads go to Wendy"} {
			if _, err := a.Post(ctx, comm.ID, gid, s); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Post(ctx, comm.ID, comm.ID, s); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.CreateGroup(ctx, comm.ID, "Top sellers", "", "open"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, w.Node, "the witness to read them", func() bool { return len(texts(t, w.Node, comm.ID, gid)) == 3 })
		if _, err := w.Post(ctx, comm.ID, gid, "Thanks, I will call them"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to read the witness", func() bool { return len(texts(t, a.Node, comm.ID, gid)) == 4 })

		var held []e2ee.EpochKey
		logs := []crdt.ID{crdt.ZeroID, comm.ID, gid}
		for _, l := range logs {
			held = append(held, b.keys.Keyring().Epochs(comm.ID, l)...)
		}
		if len(held) < 3 {
			t.Fatalf("b holds %d epochs, want its old keys of every log", len(held))
		}
		later, sealed := 0, 0
		for _, o := range allOps(t, a.Node, comm.ID) {
			if before[o.ID()] {
				continue
			}
			later++
			if !o.Sealed() {
				if o.Kind.Sealable() {
					t.Fatalf("op %s (%s) written after the removal is not encrypted", o.ID().Short(), o.Kind)
				}
				if o.Kind == crdt.KindRekey {
					body, _ := crdt.DecodeBody(o)
					for _, wr := range body.(*crdt.RekeyBody).Wraps {
						if crdt.PublicKey(wr.Member) == b.selfKey() {
							t.Fatalf("a rotation after the removal wraps a key to the removed member")
						}
					}
				}
				continue
			}
			sealed++
			if plain, err := b.keys.Open(o); err == nil {
				t.Fatalf("the removed member opened op %s (%s): %q", o.ID().Short(), o.Kind, plain)
			}
			// Every old secret, presented as the op's epoch.
			s, _ := crdt.ParseSealed(o)
			for _, k := range held {
				try := e2ee.NewKeyring()
				try.AddEpoch(e2ee.EpochKey{ID: s.EpochOf(), Community: comm.ID, Log: o.Log, Secret: k.Secret})
				if _, err := try.Open(o); !errors.Is(err, e2ee.ErrDecrypt) {
					t.Fatalf("op %s under b's old secret of epoch %s: %v, want ErrDecrypt", o.ID().Short(), k.ID, err)
				}
			}
		}
		if sealed < 6 || later < sealed {
			t.Fatalf("%d ops after the removal, %d sealed: the test saw too little", later, sealed)
		}
		for _, txt := range texts(t, b.Node, comm.ID, gid) {
			if txt != "Olivia: Welcome, Ben and Wendy" {
				t.Fatalf("the removed member shows %q", txt)
			}
		}
	})
}

// TestNonMemberHoldsNoPlaintext: whatever a relay or any non-member stores
// of a community — every op, as it travels — holds none of its text: the
// ops are written to an unencrypted Badger store and its whole directory
// is scanned. The same scan of a store where a member keeps the opened
// bodies without encryption at rest does find them, so the scan works; a
// member's real database is encrypted at rest (TestDatabaseEncryptedAtRest).
func TestNonMemberHoldsNoPlaintext(t *testing.T) {
	secrets := []string{"Spring promo code GLOW25", "Olivia", "Glow Team", "Starter kits ship Friday"}
	var ops []*crdt.Op
	var opened []crdt.Opened // as the member's own store keeps them
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		for _, s := range secrets[:1] {
			if _, err := a.Post(ctx, comm.ID, gid, s); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.CreateGroup(ctx, comm.ID, secrets[3], "", "open"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to see b's group", func() bool { gs, _ := a.Groups(comm.ID); return len(gs) == 3 })
		ops = allOps(t, a.Node, comm.ID)
		logs, err := a.store.Logs(ctx, comm.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range logs {
			if err := a.store.Ops(ctx, comm.ID, l, func(x crdt.Opened) error { opened = append(opened, x); return nil }); err != nil {
				t.Fatal(err)
			}
		}
	})
	asTravelling := make([]crdt.Opened, len(ops))
	for i, o := range ops {
		asTravelling[i] = crdt.Opened{Op: o}
	}
	scan := func(ops []crdt.Opened) map[string][]string {
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
		found := map[string][]string{}
		for _, s := range secrets {
			if f := filesContaining(t, dir, s); len(f) > 0 {
				found[s] = f
			}
		}
		return found
	}
	if found := scan(asTravelling); len(found) > 0 {
		t.Fatalf("a non-member's store holds plaintext: %v", found)
	}
	if found := scan(opened); len(found) != len(secrets) {
		t.Fatalf("the control scan found only %v: the scan does not work", found)
	}
}

// TestKeyBundleFromNonAdminRejected: a member may not rotate a log's keys;
// its node refuses to, and a crafted rekey op is rejected by admins.
func TestKeyBundleFromNonAdminRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		if err := b.keys.Rotate(ctx, comm.ID, gid, crdt.RekeyManual, nil); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("a member rotating keys: %v, want ErrUnauthorized", err)
		}
		// Crafted by hand, delivered to the admin once it holds all b knows.
		caughtUp(t, a, b, comm.ID, crdt.ZeroID)
		var bodies []*crdt.RekeyBody
		id, secret := e2ee.NewEpoch()
		_ = b.rep.View(comm.ID, func(c *crdt.Community) error {
			var err error
			bodies, err = keys.RekeyBodies(keys.Targets(c.State(), gid, nil), comm.ID, gid, id, secret, crdt.RekeyManual, 1, keys.DefaultWrapBudget)
			return err
		})
		raw, _ := crdt.EncodeBody(bodies[0])
		var draft crdt.Op
		_ = b.rep.View(comm.ID, func(c *crdt.Community) error {
			draft = c.Draft(b.selfKey(), crdt.ZeroID, crdt.KindRekey, raw)
			return nil
		})
		op, err := crdt.Sign(draft, b.id)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := a.rep.Ingest(ctx, op); !errors.Is(err, crdt.ErrUnauthorized) {
			t.Fatalf("admin ingesting a member's rekey: %+v, %v, want ErrUnauthorized", res, err)
		}
	})
}

// TestReplayedAndTamperedCiphertextRejected: a member re-signs another's
// ciphertext as its own, flips a bit of it, or replays it elsewhere in
// the log: every member rejects those ops.
func TestReplayedAndTamperedCiphertextRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		id, err := a.Post(ctx, comm.ID, gid, "Bonus for the top seller")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to read it", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 1 })
		caughtUp(t, a, b, comm.ID, crdt.ZeroID, gid) // b's forgeries cite nothing a lacks
		var orig *crdt.Op
		_ = a.rep.View(comm.ID, func(c *crdt.Community) error { orig = c.Op(id); return nil })
		s, _ := crdt.ParseSealed(orig)
		forge := func(ct []byte) *crdt.Op {
			body, _ := crdt.EncodeSealed(s.EpochOf(), s.Index, ct)
			var draft crdt.Op
			_ = b.rep.View(comm.ID, func(c *crdt.Community) error {
				draft = c.Draft(b.selfKey(), gid, crdt.KindMessage, body)
				return nil
			})
			op, err := crdt.Sign(draft, b.id)
			if err != nil {
				t.Fatal(err)
			}
			fresh, _ := crdt.DecodeOp(op.Bytes())
			return fresh
		}
		flipped := slices.Clone(s.Ciphertext)
		flipped[len(flipped)/2] ^= 0x40
		for name, op := range map[string]*crdt.Op{"replayed": forge(s.Ciphertext), "tampered": forge(flipped)} {
			if _, err := a.rep.Ingest(ctx, op); !errors.Is(err, e2ee.ErrDecrypt) {
				t.Fatalf("%s ciphertext: %v, want ErrDecrypt", name, err)
			}
		}
		// The very op again is a duplicate, not a second message.
		again, _ := crdt.DecodeOp(orig.Bytes())
		if res, err := b.rep.Ingest(ctx, again); err != nil || res.Outcome != 2 {
			t.Fatalf("the same op again: %+v, %v", res, err)
		}
		if got := texts(t, a.Node, comm.ID, gid); len(got) != 1 {
			t.Fatalf("a shows %v", got)
		}
	})
}

// splitCommunity starts nodes with the given names on a simulated network
// that can be split, the first founding a community. Call it inside
// synctest.Test.
func splitCommunity(t *testing.T, names ...string) (*splitter, []*testNode, api.Community) {
	sn := newSimNet(t)
	cut := newSplitter(sn)
	var ns []*testNode
	for _, name := range names {
		n := sn.start(t.TempDir(), name, store.NewMemory())
		t.Cleanup(func() { n.Close() })
		ns = append(ns, n)
	}
	comm, err := ns[0].CreateCommunity(t.Context(), "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	return cut, ns, comm
}

// caughtUp waits until a holds every head b holds of the given logs.
func caughtUp(t *testing.T, a, b *testNode, cid crdt.ID, logs ...crdt.ID) {
	t.Helper()
	waitFor(t, a.Node, "a to hold what b holds", func() bool {
		for _, l := range logs {
			hb, _ := b.rep.Heads(cid, l)
			ha, _ := a.rep.Heads(cid, l)
			if !slices.Equal(ha, hb) {
				return false
			}
		}
		return true
	})
}

// current returns log's current epoch in n's view.
func current(n *Node, cid, log crdt.ID) *crdt.Epoch {
	var e *crdt.Epoch
	_ = n.rep.View(cid, func(c *crdt.Community) error { e = c.State().Current[log]; return nil })
	return e
}

func stale(n *Node, cid, log crdt.ID) bool {
	var s bool
	_ = n.rep.View(cid, func(c *crdt.Community) error { s = c.State().Stale(log); return nil })
	return s
}

// TestConcurrentRemovals: two admins, cut off from each other, each
// remove a different member. Each rotation still wraps to the other's
// target, so once the sides meet the logs are stale; writing waits, the
// first online admin rotates afresh, and neither removed member can read
// what is written next.
func TestConcurrentRemovals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Dana", "Ben", "Chloe", "Wendy")
		a, d, b, c, w := ns[0], ns[1], ns[2], ns[3], ns[4]
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		for _, n := range []*testNode{d, b, c, w} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.SetRole(ctx, comm.ID, d.Self().PeerID, "admin"); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		for _, n := range []*testNode{d, b, c, w} {
			waitFor(t, n.Node, "everyone to hold every key", func() bool {
				e := current(n.Node, comm.ID, gid)
				return e != nil && n.keys.Keyring().Has(e.ID) && !n.keys.NeedsKeys(comm.ID) && current(n.Node, comm.ID, crdt.ZeroID) != nil
			})
		}
		waitFor(t, d.Node, "d to be admin", func() bool { c, _ := d.community(comm.ID); return c.Role == "admin" })
		for _, n := range []*testNode{a, d} {
			waitFor(t, n.Node, "the admins to know every prekey", func() bool {
				var k int
				_ = n.rep.View(comm.ID, func(c *crdt.Community) error { k = len(c.State().Prekeys); return nil })
				return k == 5
			})
		}

		cut.split(d, c) // a, b, w | d, c
		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		if err := d.RemoveMember(ctx, comm.ID, c.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		cut.heal()
		for _, n := range []*testNode{a, d, w} {
			waitWithin(t, n.Node, 5*time.Minute, "both removals and healed keys", func() bool {
				ms, _ := n.Members(comm.ID)
				if len(ms) != 3 {
					return false
				}
				for _, l := range []crdt.ID{crdt.ZeroID, comm.ID, gid} {
					e := current(n.Node, comm.ID, l)
					if e == nil || stale(n.Node, comm.ID, l) || !n.keys.Keyring().Has(e.ID) {
						return false
					}
				}
				return true
			})
		}
		for _, l := range []crdt.ID{crdt.ZeroID, comm.ID, gid} {
			e := current(w.Node, comm.ID, l)
			if e.Reason != crdt.RekeyHeal {
				t.Fatalf("log %s: current epoch has reason %d, want a healing rotation", l.Short(), e.Reason)
			}
			if _, ok := e.Wraps[b.selfKey()]; ok {
				t.Fatalf("log %s: the healed epoch wraps to b", l.Short())
			}
			if _, ok := e.Wraps[c.selfKey()]; ok {
				t.Fatalf("log %s: the healed epoch wraps to c", l.Short())
			}
		}
		id, err := w.Post(ctx, comm.ID, gid, "Who takes Ben's and Chloe's customers?")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to read w", func() bool { _, err := a.Message(comm.ID, gid, id); return err == nil })
		var op *crdt.Op
		_ = w.rep.View(comm.ID, func(cc *crdt.Community) error { op = cc.Op(id); return nil })
		fresh, _ := crdt.DecodeOp(op.Bytes())
		for _, n := range []*testNode{b, c} {
			if _, err := n.keys.Open(fresh); err == nil {
				t.Fatalf("%s, removed, opened a message written after the heal", n.Self().Name)
			}
		}
	})
}

// TestRotationRacingJoin: an admin rotates a group's keys while, on the
// other side of a split, a newcomer joins through another admin. The
// rotation does not wrap to the newcomer; when the sides meet it gets the
// current epoch from a member and reads what is written under it.
func TestRotationRacingJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Dana", "Zoe")
		a, d, z := ns[0], ns[1], ns[2]
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := d.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		if err := a.SetRole(ctx, comm.ID, d.Self().PeerID, "admin"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, d.Node, "d to be admin", func() bool { c, _ := d.community(comm.ID); return c.Role == "admin" })
		gid := general(t, a.Node, comm.ID)
		dlink, err := d.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}

		cut.split(a) // a | d, z
		if err := a.keys.Rotate(ctx, comm.ID, gid, crdt.RekeyManual, nil); err != nil {
			t.Fatal(err)
		}
		rotated := current(a.Node, comm.ID, gid)
		if _, err := z.Join(ctx, dlink); err != nil {
			t.Fatal(err)
		}
		cut.heal()
		if _, ok := rotated.Wraps[z.selfKey()]; ok {
			t.Fatal("the rotation knew of the newcomer")
		}
		waitWithin(t, z.Node, 5*time.Minute, "the newcomer to hold the rotated epoch", func() bool {
			e := current(z.Node, comm.ID, gid)
			return e != nil && e.ID == rotated.ID && z.keys.Keyring().Has(rotated.ID)
		})
		id, err := a.Post(ctx, comm.ID, gid, "Welcome Zoe, here is your starter guide")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, z.Node, "the newcomer to read a", func() bool { _, err := z.Message(comm.ID, gid, id); return err == nil })
	})
}

// TestLostAndReorderedKeyBundle: a rotation spans several rekey ops. A
// member that gets them, and the messages sealed under the new epoch,
// in reverse order and with the first part lost, shows nothing it cannot
// open and accepts nothing out of order; when the lost part turns up,
// everything opens.
func TestLostAndReorderedKeyBundle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Ben", "Wendy")
		for _, n := range ns {
			n.keys.SetWrapBudget(1) // one wrap per rekey op
		}
		a, b, w := ns[0], ns[1], ns[2]
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		for _, n := range []*testNode{b, w} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		gid := general(t, a.Node, comm.ID)
		for _, n := range []*testNode{b, w} {
			waitFor(t, a.Node, "a to have every prekey", func() bool {
				var ok bool
				_ = a.rep.View(comm.ID, func(c *crdt.Community) error { ok = c.State().Prekeys[n.selfKey()] != nil; return nil })
				return ok
			})
		}
		// All three hold the same heads at once: b, cut off next, gets only
		// what a writes after, so a must hold nothing b lacks (what w wrote
		// while b caught up, say).
		waitFor(t, a.Node, "every node to hold what a holds", func() bool {
			for _, n := range []*testNode{b, w} {
				for _, l := range []crdt.ID{crdt.ZeroID, gid} {
					ha, _ := a.rep.Heads(comm.ID, l)
					hn, _ := n.rep.Heads(comm.ID, l)
					if !slices.Equal(ha, hn) {
						return false
					}
				}
			}
			return true
		})
		before := map[crdt.ID]bool{}
		for _, o := range allOps(t, a.Node, comm.ID) {
			before[o.ID()] = true
		}
		cut.split(b)
		if err := a.keys.Rotate(ctx, comm.ID, gid, crdt.RekeyManual, nil); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Week 1 winner: Maria", "Week 2 winner: Ben"} {
			if _, err := a.Post(ctx, comm.ID, gid, s); err != nil {
				t.Fatal(err)
			}
		}
		var later []*crdt.Op
		var parts []*crdt.Op
		for _, o := range allOps(t, a.Node, comm.ID) {
			if before[o.ID()] {
				continue
			}
			later = append(later, o)
			if o.Kind == crdt.KindRekey {
				parts = append(parts, o)
			}
		}
		if len(parts) < 3 {
			t.Fatalf("the rotation took %d ops, want one per member", len(parts))
		}
		slices.SortFunc(parts, func(x, y *crdt.Op) int { return int(x.Height) - int(y.Height) })
		lost := parts[0]
		slices.SortFunc(later, func(x, y *crdt.Op) int { return int(y.Height) - int(x.Height) }) // newest first
		deliver := func(o *crdt.Op) {
			fresh, _ := crdt.DecodeOp(o.Bytes())
			res, err := b.rep.Ingest(ctx, fresh)
			if err != nil {
				t.Fatalf("%s op: %v", o.Kind, err)
			}
			b.afterIngest(res)
		}
		for _, o := range later {
			if o.ID() != lost.ID() {
				deliver(o)
			}
		}
		synctest.Wait()
		if got := texts(t, b.Node, comm.ID, gid); len(got) != 0 {
			t.Fatalf("without the first part b shows %q", got)
		}
		if e := current(b.Node, comm.ID, gid); e != nil && e.ID == current(a.Node, comm.ID, gid).ID {
			t.Fatal("an epoch with a lost part became current")
		}
		deliver(lost)
		waitFor(t, b.Node, "b to open everything", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 2 })
		if e := current(b.Node, comm.ID, gid); e.ID != current(a.Node, comm.ID, gid).ID {
			t.Fatal("b's current epoch differs from a's")
		}
	})
}

// TestForgedKeyShareIsDropped: a member hands another a forged secret for
// an epoch (key shares come from any member). The rekey op's commitment
// exposes it; the node drops it, asks again, and reads the group.
func TestForgedKeyShareIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Ben")
		a, b := ns[0], ns[1]
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		cut.split(b)
		if err := a.keys.Rotate(ctx, comm.ID, gid, crdt.RekeyManual, nil); err != nil {
			t.Fatal(err)
		}
		e := current(a.Node, comm.ID, gid)
		_, forged := e2ee.NewEpoch()
		b.keys.Keyring().AddEpoch(e2ee.EpochKey{ID: e.ID, Community: comm.ID, Log: gid, Secret: forged})
		id, err := a.Post(ctx, comm.ID, gid, "New price list attached")
		if err != nil {
			t.Fatal(err)
		}
		cut.heal()
		waitWithin(t, b.Node, 5*time.Minute, "b to read a's post with the true key", func() bool {
			_, err := b.Message(comm.ID, gid, id)
			return err == nil
		})
		got, _ := b.keys.Keyring().Epoch(e.ID)
		if slices.Equal(got.Secret, forged) {
			t.Fatal("b still holds the forged secret")
		}
	})
}

// TestGroupJoinGetsKeys: a member who joins an open group after epochs
// were drawn without it gets every epoch from a member at once and reads
// the group, earlier messages included (the default). With history
// hidden, a later newcomer is shown only what was said after it came.
func TestGroupJoinGetsKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		g, err := a.CreateGroup(ctx, comm.ID, "Top sellers", "", "open")
		if err != nil {
			t.Fatal(err)
		}
		before, err := a.Post(ctx, comm.ID, g.ID, "Before Ben joined")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.keys.Rotate(ctx, comm.ID, g.ID, crdt.RekeyManual, nil); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see the group", func() bool { gs, _ := b.Groups(comm.ID); return len(gs) == 3 })
		if err := b.JoinGroup(ctx, comm.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		id, err := a.Post(ctx, comm.ID, g.ID, "Welcome to the top sellers, Ben")
		if err != nil {
			t.Fatal(err)
		}
		waitWithin(t, b.Node, 20*time.Second, "b to read the group", func() bool {
			_, err1 := b.Message(comm.ID, g.ID, id)
			_, err2 := b.Message(comm.ID, g.ID, before)
			return err1 == nil && err2 == nil
		})

		s, _ := a.Settings(comm.ID)
		s.HideHistory = true
		if err := a.UpdateSettings(ctx, comm.ID, s); err != nil {
			t.Fatal(err)
		}
		// Messages are hidden by their authors' clocks: Chloe's reads a
		// minute later than what was said, Olivia's two minutes later
		// when she welcomes her.
		c.skew.Store(int64(time.Minute))
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		if err := c.JoinGroup(ctx, comm.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		a.skew.Store(int64(2 * time.Minute))
		after, err := a.Post(ctx, comm.ID, g.ID, "Welcome, Chloe")
		if err != nil {
			t.Fatal(err)
		}
		waitWithin(t, c.Node, 20*time.Second, "c to read the new post", func() bool { _, err := c.Message(comm.ID, g.ID, after); return err == nil })
		if got := texts(t, c.Node, comm.ID, g.ID); len(got) != 1 {
			t.Fatalf("with history hidden the newcomer is shown %q", got)
		}
	})
}
