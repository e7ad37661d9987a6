package keys

import (
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
)

// shares lists the share ops in mb's control log of community cid.
func shares(t *testing.T, mb *member, cid crdt.ID) []*crdt.RekeyBody {
	t.Helper()
	var out []*crdt.RekeyBody
	_ = mb.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if o.Kind != crdt.KindRekey {
				return
			}
			b, err := crdt.DecodeBody(o)
			if err != nil {
				t.Fatal(err)
			}
			if rb := b.(*crdt.RekeyBody); rb.Reason == crdt.RekeyShare {
				out = append(out, rb)
			}
		})
		return nil
	})
	return out
}

// TestShareAtAdd: an admin who adds Ben to a group wraps him every epoch
// of the group in share ops, to his prekey only: Cat, another member,
// cannot open them, while Ben reads the group's history from the control
// log alone, with nobody answering him. The rotation that makes way for
// Ben's removal from the group is not wrapped to him, nor is any share
// made to him after it.
func TestShareAtAdd(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	olivia, ben, cat := w.add("olivia", 1, nil), w.add("ben", 2, nil), w.add("cat", 3, nil)
	cid := olivia.found("Glow")
	olivia.admit(cid, ben)
	olivia.admit(cid, cat)
	leaders := olivia.author(cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Leaders", Policy: crdt.PolicyApproval}).ID()
	if err := olivia.m.Rotate(ctx, cid, leaders, crdt.RekeyInitial, nil); err != nil {
		t.Fatal(err)
	}
	olivia.author(cid, leaders, crdt.KindMessage, &crdt.MessageBody{Text: "Targets for May"})
	if err := olivia.m.Rotate(ctx, cid, leaders, crdt.RekeyTimer, nil); err != nil {
		t.Fatal(err)
	}
	olivia.author(cid, leaders, crdt.KindMessage, &crdt.MessageBody{Text: "Targets for June"})
	epochs := olivia.state(cid).EpochsOf(leaders)
	if len(epochs) != 2 {
		t.Fatalf("the group has %d epochs, want 2", len(epochs))
	}
	olivia.author(cid, crdt.ZeroID, crdt.KindGroupAdd, &crdt.GroupAddBody{Group: leaders[:], Member: ben.pub[:], Time: 1})
	if err := olivia.m.Share(ctx, cid, ben.pub, []crdt.ID{leaders}); err != nil {
		t.Fatal(err)
	}
	got := shares(t, olivia, cid)
	if len(got) != len(epochs) {
		t.Fatalf("%d shares, want one per epoch (%d)", len(got), len(epochs))
	}
	for _, b := range got {
		if len(b.Wraps) != 1 || crdt.PublicKey(b.Wraps[0].Member) != ben.pub {
			t.Fatalf("a share wraps to %d members, or not to Ben", len(b.Wraps))
		}
		id := crdt.EpochID(b.Epoch)
		info := e2ee.WrapInfo(cid, leaders, id, ben.pub)
		if _, err := cat.m.ring.UnwrapAny(e2ee.X25519, info, b.Wraps[0].Secret); err == nil {
			t.Fatal("Cat's prekey opens a share made to Ben")
		}
		if _, err := cat.m.ring.UnwrapAny(e2ee.X25519, e2ee.WrapInfo(cid, leaders, id, cat.pub), b.Wraps[0].Secret); err == nil {
			t.Fatal("Cat's prekey opens a share made to Ben, under Cat's own name")
		}
	}
	// A second add's share hands nothing again.
	if err := olivia.m.Share(ctx, cid, ben.pub, []crdt.ID{leaders}); err != nil || len(shares(t, olivia, cid)) != len(epochs) {
		t.Fatalf("a second share: %v, %d share ops", err, len(shares(t, olivia, cid)))
	}

	// Ben and Cat get the control log, and nobody answers them: Ben reads
	// the group's history from the shares alone; Cat holds nothing of it.
	for _, mb := range []*member{ben, cat} {
		mb.peers = []peer.ID{olivia.id}
		deliver(t, olivia, mb, cid)
		mb.m.absorbWraps(ctx, cid)
	}
	// Ben now reads a log he never read: his node pulls it at once from a
	// member; Cat's, which opened nothing, does not.
	if len(ben.pulls) != 1 || ben.pulls[0] != olivia.id || len(cat.pulls) != 0 {
		t.Fatalf("pulls after the shares: Ben %v, Cat %v", ben.pulls, cat.pulls)
	}
	for _, e := range epochs {
		if !ben.m.ring.Has(e.ID) || cat.m.ring.Has(e.ID) {
			t.Fatalf("epoch %s: Ben holds it %v (want true), Cat %v (want false)", e.ID, ben.m.ring.Has(e.ID), cat.m.ring.Has(e.ID))
		}
	}
	var texts []string
	_ = ben.rep.View(cid, func(c *crdt.Community) error {
		for _, e := range c.Entries(leaders) {
			if b, ok := c.Body(e.Op.ID()).(*crdt.MessageBody); ok {
				texts = append(texts, b.Text)
			}
		}
		return nil
	})
	if len(texts) != 2 {
		t.Fatalf("Ben reads %q of the group's history", texts)
	}

	// Ben is taken out of the group: the rotation first, not wrapped to
	// him, then the removal. A share to him after it hands nothing.
	if err := olivia.m.Rotate(ctx, cid, leaders, crdt.RekeyRemoval, &ben.pub); err != nil {
		t.Fatal(err)
	}
	olivia.author(cid, crdt.ZeroID, crdt.KindGroupRemove, &crdt.GroupRemoveBody{Group: leaders[:], Member: ben.pub[:], Time: 2})
	st := olivia.state(cid)
	renewed := st.Current[leaders]
	if _, wrapped := renewed.Wraps[ben.pub]; wrapped || renewed.Reason != crdt.RekeyRemoval {
		t.Fatalf("the removal's rotation (reason %d) is wrapped to Ben", renewed.Reason)
	}
	if err := olivia.m.Share(ctx, cid, ben.pub, []crdt.ID{leaders}); err != nil || len(shares(t, olivia, cid)) != len(epochs) {
		t.Fatalf("a share to the removed member: %v, %d share ops", err, len(shares(t, olivia, cid)))
	}
	deliver(t, olivia, ben, cid)
	ben.m.absorbWraps(ctx, cid)
	if ben.m.ring.Has(renewed.ID) {
		t.Fatal("Ben holds the epoch made for his removal")
	}
	// A new epoch of a log already read is no reason to pull: Ben gets
	// the control log's next one and pulls nothing more.
	if err := olivia.m.Rotate(ctx, cid, crdt.ZeroID, crdt.RekeyTimer, nil); err != nil {
		t.Fatal(err)
	}
	deliver(t, olivia, ben, cid)
	ben.m.absorbWraps(ctx, cid)
	if !ben.m.ring.Has(olivia.state(cid).Current[crdt.ZeroID].ID) || len(ben.pulls) != 1 {
		t.Fatalf("after a rotation of the control log: Ben holds it %v, pulls %v", ben.m.ring.Has(olivia.state(cid).Current[crdt.ZeroID].ID), ben.pulls)
	}
}

// TestShareNeedsAPrekey: a member with no prekey anywhere this node holds
// gets no share, and that is no error (it asks a member for the keys).
func TestShareNeedsAPrekey(t *testing.T) {
	w := newWorld(t)
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	cid := olivia.found("Glow")
	olivia.author(cid, crdt.ZeroID, crdt.KindAdd, &crdt.AddBody{Member: ben.pub[:], Name: "Ben", Role: crdt.RoleMember, Time: 1})
	if err := olivia.m.Share(t.Context(), cid, ben.pub, []crdt.ID{crdt.ZeroID}); err != nil || len(shares(t, olivia, cid)) != 0 {
		t.Fatalf("share to a member without a prekey: %v, %d share ops", err, len(shares(t, olivia, cid)))
	}
}

// TestShareUsesAPrekeyFromAnotherCommunity: a peer added directly to a
// community has published no prekey there; the share wraps to the one it
// published in another community this node holds, and opens for it.
func TestShareUsesAPrekeyFromAnotherCommunity(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	team := olivia.found("Glow Team")
	olivia.admit(team, ben)
	customers := olivia.found("Glow Customers")
	olivia.author(customers, crdt.ZeroID, crdt.KindAdd, &crdt.AddBody{Member: ben.pub[:], Name: "Ben", Role: crdt.RoleMember, Time: 1})
	if err := olivia.m.Share(ctx, customers, ben.pub, olivia.state(customers).NewcomerLogs()); err != nil {
		t.Fatal(err)
	}
	got := shares(t, olivia, customers)
	if len(got) != 2 { // the control log's epoch and the announcement group's
		t.Fatalf("%d shares, want 2", len(got))
	}
	for _, b := range got {
		var log crdt.ID
		copy(log[:], b.Log)
		if _, err := ben.m.ring.UnwrapAny(e2ee.X25519, e2ee.WrapInfo(customers, log, crdt.EpochID(b.Epoch), ben.pub), b.Wraps[0].Secret); err != nil {
			t.Fatalf("Ben cannot open the share of log %s: %v", log.Short(), err)
		}
	}
}

// TestAskAtOnceForANewLack: a member that asked for keys a moment ago
// asks again at once when it is added to a group whose keys no share
// brought it (the admin did not hold its prekey yet), instead of waiting
// out the interval between asks.
func TestAskAtOnceForANewLack(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	cid := olivia.found("Glow")
	olivia.admit(cid, ben)
	ben.peers = []peer.ID{olivia.id}
	addTo := func(name string) crdt.ID {
		g := olivia.author(cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: name, Policy: crdt.PolicyApproval}).ID()
		if err := olivia.m.Rotate(ctx, cid, g, crdt.RekeyInitial, nil); err != nil {
			t.Fatal(err)
		}
		olivia.author(cid, crdt.ZeroID, crdt.KindGroupAdd, &crdt.GroupAddBody{Group: g[:], Member: ben.pub[:], Time: 1})
		deliver(t, olivia, ben, cid)
		return g
	}
	holds := func(g crdt.ID) bool { return ben.m.ring.Has(olivia.state(cid).Current[g].ID) }
	first := addTo("Leaders")
	ben.m.askKeys(cid)
	if !holds(first) {
		t.Fatal("Ben did not get the first group's keys")
	}
	w.clock.add(time.Second)
	second := addTo("Trainers")
	ben.m.askKeys(cid)
	if !holds(second) {
		t.Fatal("Ben waited out the interval between asks for a group he was just added to")
	}
}

// TestNoteParkedOpensShares: a peer added directly that holds nothing of
// the community gets its ops from a holder that hands no keys (a relay):
// everything parks, and the shares wrapped to it, read from the parked
// ops, open the control log and the announcement group. A rekey op
// whose secret does not match its commitment is not kept.
func TestNoteParkedOpensShares(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	team := olivia.found("Glow Team")
	olivia.admit(team, ben)
	customers := olivia.found("Glow Customers")
	olivia.author(customers, customers, crdt.KindMessage, &crdt.MessageBody{Text: "Spring catalogue is out"})
	olivia.author(customers, crdt.ZeroID, crdt.KindAdd, &crdt.AddBody{Member: ben.pub[:], Name: "Ben", Role: crdt.RoleMember, Time: 1})
	if err := olivia.m.Share(ctx, customers, ben.pub, olivia.state(customers).NewcomerLogs()); err != nil {
		t.Fatal(err)
	}
	var rekeys []*crdt.Op
	_ = olivia.rep.View(customers, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if o.Kind == crdt.KindRekey {
				rekeys = append(rekeys, o)
			}
		})
		return nil
	})
	ben.rep.Expect(customers)
	deliver(t, olivia, ben, customers)
	if slices.Contains(ben.rep.Communities(), customers) {
		t.Fatal("Ben replayed the community with no key")
	}
	// A forged secret (the commitment of another) is not kept.
	forged := rekeys[len(rekeys)-1]
	fb, _ := crdt.DecodeBody(forged)
	bad := *fb.(*crdt.RekeyBody)
	bad.Check = make([]byte, 32)
	raw, err := crdt.EncodeBody(&bad)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := crdt.Sign(crdt.Op{Community: forged.Community, Kind: crdt.KindRekey, Height: forged.Height, Parents: forged.Parents, Author: olivia.pub, Body: raw}, olivia.s)
	if err != nil {
		t.Fatal(err)
	}
	ben.m.NoteParked(ctx, fake)
	if ben.m.ring.Has(crdt.EpochID(bad.Epoch)) {
		t.Fatal("a secret that does not match its commitment was kept")
	}
	for _, o := range rekeys {
		ben.m.NoteParked(ctx, o)
	}
	if !slices.Contains(ben.rep.Communities(), customers) {
		t.Fatal("the shares did not open the control log")
	}
	ben.m.absorbWraps(ctx, customers) // as the node's kick after control ops are accepted
	var texts []string
	_ = ben.rep.View(customers, func(c *crdt.Community) error {
		if c.State().Role(ben.pub) != crdt.RoleMember {
			t.Errorf("Ben's role: %v", c.State().Role(ben.pub))
		}
		for _, e := range c.Entries(customers) {
			if b, ok := c.Body(e.Op.ID()).(*crdt.MessageBody); ok {
				texts = append(texts, b.Text)
			}
		}
		return nil
	})
	if !slices.Equal(texts, []string{"Spring catalogue is out"}) {
		t.Fatalf("Ben reads %q in the announcements", texts)
	}
}
