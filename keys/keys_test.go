package keys

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestJoinerGetsKeysFromAMember: a joiner holds nothing; it asks a member
// for the keys, and everything the member wrote opens, with no rekey op
// wrapped to it.
func TestJoinerGetsKeysFromAMember(t *testing.T) {
	w := newWorld(t)
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "Welcome, Ben!"})
	if !ben.m.NeedsKeys(cid) {
		t.Fatal("a joiner that holds nothing does not ask for keys")
	}
	olivia.admit(cid, ben)
	if ben.m.NeedsKeys(cid) {
		t.Fatal("Ben still lacks keys")
	}
	var texts []string
	_ = ben.rep.View(cid, func(c *crdt.Community) error {
		for _, e := range c.Entries(gid) {
			b, ok := c.Body(e.Op.ID()).(*crdt.MessageBody) // opened by this replica
			if !ok {
				t.Fatalf("message %s: no clear body", e.Op.ID().Short())
			}
			texts = append(texts, b.Text)
		}
		return nil
	})
	if len(texts) != 1 || texts[0] != "Welcome, Ben!" {
		t.Fatalf("Ben reads %q", texts)
	}
	if got := ben.state(cid).Prekeys[ben.pub]; got == nil {
		t.Fatal("Ben's prekey is not published")
	}
}

// TestAnswerKeysOnlyReadableLogs: a member is handed the epochs of the
// logs it may read, not those of a group it is not in.
func TestAnswerKeysOnlyReadableLogs(t *testing.T) {
	w := newWorld(t)
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	cid := olivia.found("Glow")
	leaders := olivia.author(cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Leaders", Policy: crdt.PolicyOpen}).ID()
	if err := olivia.m.Rotate(t.Context(), cid, leaders, crdt.RekeyInitial, nil); err != nil {
		t.Fatal(err)
	}
	olivia.admit(cid, ben)
	if e := olivia.state(cid).Current[leaders]; e == nil || ben.m.ring.Has(e.ID) {
		t.Fatalf("Ben was handed the keys of a group he is not in (epoch %v)", e)
	}
	for _, log := range []crdt.ID{crdt.ZeroID, cid} {
		if e := olivia.state(cid).Current[log]; e == nil || !ben.m.ring.Has(e.ID) {
			t.Fatalf("Ben lacks the keys of log %s", log.Short())
		}
	}
	resp := olivia.m.AnswerKeys(cid, ben.pub, &wire.Request{Kind: wire.KindKeys, Suite: 0x7777})
	if resp.Error == "" {
		t.Fatal("an unknown suite is answered")
	}
}

// TestFetchKeysDropsForged: a member that hands over a secret which does
// not match its rekey op's commitment gets it refused; the true ones are
// kept.
func TestFetchKeysDropsForged(t *testing.T) {
	w := newWorld(t)
	olivia, ben, mallory := w.add("olivia", 1, nil), w.add("ben", 2, nil), w.add("mallory", 3, nil)
	cid := olivia.found("Glow")
	olivia.admit(cid, ben)
	olivia.admit(cid, mallory)
	gid := olivia.general(cid)
	deliver(t, olivia, ben, cid)
	deliver(t, olivia, mallory, cid)
	e := olivia.state(cid).Current[gid]
	ben.m.ring.Forget(e.ID)
	mallory.m.ring.Forget(e.ID)
	_, forged := e2ee.NewEpoch()
	mallory.m.ring.AddEpoch(e2ee.EpochKey{ID: e.ID, Community: cid, Log: gid, Secret: forged})
	if _, err := ben.m.FetchKeys(t.Context(), mallory.id, cid); err == nil {
		t.Fatal("a forged secret is taken without complaint")
	}
	if ben.m.ring.Has(e.ID) {
		t.Fatal("Ben keeps a forged secret")
	}
	if n, err := ben.m.FetchKeys(t.Context(), olivia.id, cid); err != nil || n != 1 {
		t.Fatalf("from Olivia: %d new, %v; want the true secret", n, err)
	}
}

// TestDropForged: a forged secret taken before its rekey op arrived is
// dropped once the commitment is known.
func TestDropForged(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	e := olivia.state(cid).Current[gid]
	olivia.m.ring.Forget(e.ID)
	_, forged := e2ee.NewEpoch()
	olivia.m.ring.AddEpoch(e2ee.EpochKey{ID: e.ID, Community: cid, Log: gid, Secret: forged})
	olivia.m.dropForged(cid)
	if olivia.m.ring.Has(e.ID) {
		t.Fatal("a forged secret is kept")
	}
}

// TestSealRefuses: nothing is sealed in a log with no epoch (ErrNoKeys),
// nor under a stale epoch (ErrKeysRenewing).
func TestSealRefuses(t *testing.T) {
	w := newWorld(t)
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	cid := olivia.found("Glow")
	g := olivia.author(cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone}).ID()
	if _, err := olivia.Author(t.Context(), cid, g, crdt.KindMessage, encode(t, &crdt.MessageBody{Text: "hi"})); !errors.Is(err, api.ErrNoKeys) {
		t.Fatalf("posting to a group with no keys: %v, want ErrNoKeys", err)
	}
	if err := olivia.m.Rotate(t.Context(), cid, g, crdt.RekeyInitial, nil); err != nil {
		t.Fatal(err)
	}
	olivia.admit(cid, ben)
	if err := olivia.m.Rotate(t.Context(), cid, g, crdt.RekeyManual, nil); err != nil { // wrapped to Ben
		t.Fatal(err)
	}
	// Removed without a rotation first: Ben may hold the current epoch.
	olivia.author(cid, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: bytesOf(crdt.ID(ben.pub))})
	if !olivia.state(cid).Stale(g) {
		t.Fatal("the group is not stale after a removal without rotation")
	}
	if _, err := olivia.Author(t.Context(), cid, g, crdt.KindMessage, encode(t, &crdt.MessageBody{Text: "hi"})); !errors.Is(err, api.ErrKeysRenewing) {
		t.Fatalf("posting under a stale epoch: %v, want ErrKeysRenewing", err)
	}
	// The owner's turn is first: maintenance heals at once.
	olivia.m.maintain(t.Context(), cid)
	if olivia.state(cid).Stale(g) {
		t.Fatal("maintenance did not heal the stale group")
	}
	if _, err := olivia.Author(t.Context(), cid, g, crdt.KindMessage, encode(t, &crdt.MessageBody{Text: "hi"})); err != nil {
		t.Fatalf("posting after the heal: %v", err)
	}
}

// TestTurnsWait: of two admins, the one whose turn is second heals a stale
// log only after the first had HealStep to do it.
func TestTurnsWait(t *testing.T) {
	w := newWorld(t)
	olivia, ada, ben := w.add("olivia", 1, nil), w.add("ada", 2, nil), w.add("ben", 3, nil)
	cid := olivia.found("Glow")
	olivia.admit(cid, ada)
	olivia.author(cid, crdt.ZeroID, crdt.KindRole, &crdt.RoleBody{Member: bytesOf(crdt.ID(ada.pub)), Role: crdt.RoleAdmin})
	olivia.admit(cid, ben)
	if err := olivia.m.Rotate(t.Context(), cid, crdt.ZeroID, crdt.RekeyManual, nil); err != nil { // wrapped to all three
		t.Fatal(err)
	}
	olivia.author(cid, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: bytesOf(crdt.ID(ben.pub))})
	deliver(t, olivia, ada, cid)
	ada.m.absorbWraps(t.Context(), cid) // the removal is sealed under the rotation's epoch
	st := ada.state(cid)
	if !st.Stale(crdt.ZeroID) {
		t.Fatal("the control log is not stale")
	}
	e := st.Current[crdt.ZeroID]
	second := ada
	if AdminTurn(st, crdt.ZeroID, e, olivia.pub) == 1 {
		second = olivia
	}
	if AdminTurn(st, crdt.ZeroID, e, second.pub) != 1 {
		t.Fatalf("turns: olivia %d, ada %d", AdminTurn(st, crdt.ZeroID, e, olivia.pub), AdminTurn(st, crdt.ZeroID, e, ada.pub))
	}
	second.m.maintain(t.Context(), cid)
	if second.state(cid).Current[crdt.ZeroID].ID != e.ID {
		t.Fatal("the second admin rotated before its turn")
	}
	w.clock.add(HealStep - time.Second)
	second.m.maintain(t.Context(), cid)
	if second.state(cid).Current[crdt.ZeroID].ID != e.ID {
		t.Fatal("the second admin rotated before its turn")
	}
	w.clock.add(time.Second)
	second.m.maintain(t.Context(), cid)
	if got := second.state(cid).Current[crdt.ZeroID]; got.ID == e.ID || got.Reason != crdt.RekeyHeal {
		t.Fatalf("the second admin did not heal when its turn came: %+v", got)
	}
}

// TestRotateByCount: an epoch ends after RotateEvery ops sealed or opened
// under it, and at once: the count kicks maintenance.
func TestRotateByCount(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, func(c *Config) { c.RotateEvery = 3 })
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	e := olivia.state(cid).Current[gid]
	for i := range 2 {
		olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "tip", Time: int64(i)})
	}
	if d := olivia.m.keyDuties(cid); len(d) != 0 {
		t.Fatalf("duties after 2 ops: %+v", d)
	}
	// The third op makes the rotation due and kicks it at once, so the
	// duty may already be done when the author returns: wait for the kick
	// and look at its result.
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "tip", Time: 2})
	olivia.m.wg.Wait() // the kick the third op caused
	if got := olivia.state(cid).Current[gid]; got.ID == e.ID || got.Reason != crdt.RekeyTimer {
		t.Fatalf("the epoch was not renewed by count: %+v", got)
	}
}

// TestPrekeyLifetime: a prekey older than PrekeyLifetime is replaced and
// published in every community at the next tick; a younger one is not.
func TestPrekeyLifetime(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, nil)
	cid := olivia.found("Glow")
	first := olivia.m.ring.Prekey()
	w.clock.add(DefaultPrekeyLifetime - time.Hour)
	olivia.m.maybeRotatePrekey()
	if olivia.m.ring.Prekey() != first {
		t.Fatal("a young prekey was replaced")
	}
	w.clock.add(2 * time.Hour)
	olivia.m.maybeRotatePrekey()
	p := olivia.m.ring.Prekey()
	if p == first {
		t.Fatal("an old prekey was kept")
	}
	if got := olivia.state(cid).Prekeys[olivia.pub]; got == nil || !bytes.Equal(got.Key, p.Public) {
		t.Fatal("the new prekey is not published")
	}
}

// TestKeyringSurvivesRestart: epochs and prekeys are saved, and a manager
// on the same store holds them; a suite change draws a new prekey.
func TestKeyringSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, nil)
	cid := olivia.found("Glow")
	e := olivia.state(cid).Current[cid]
	pk := olivia.m.ring.Prekey()
	olivia.m.Close()
	again := w.open("olivia", 1, olivia.meta, nil)
	if !again.m.ring.Has(e.ID) || !bytes.Equal(again.m.ring.Prekey().Public, pk.Public) {
		t.Fatal("the keyring did not survive a restart")
	}
	if s, ok := again.m.Secret(cid); !ok || len(s) != wire.SecretSize {
		t.Fatal("the topic secret did not survive a restart")
	}
	again.m.Close()
	hybrid := w.open("olivia", 1, olivia.meta, func(c *Config) { c.Suite = e2ee.Hybrid })
	if p := hybrid.m.ring.Prekey(); p.Suite != e2ee.Hybrid || !hybrid.m.ring.Has(e.ID) {
		t.Fatal("a suite change did not draw a prekey of the new suite")
	}
}

// TestSealRefusesAfterGroupLeave: a member who leaves a group may hold its
// epoch (handed to them when they joined, not wrapped), so once the leave
// is held nothing is sealed under that epoch (ErrKeysRenewing); the
// owner's maintenance renews it, without the leaver, and posting resumes.
func TestSealRefusesAfterGroupLeave(t *testing.T) {
	w := newWorld(t)
	olivia, ben := w.add("olivia", 1, nil), w.add("ben", 2, nil)
	cid := olivia.found("Glow")
	g := olivia.author(cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Top sellers", Policy: crdt.PolicyOpen}).ID()
	if err := olivia.m.Rotate(t.Context(), cid, g, crdt.RekeyInitial, nil); err != nil {
		t.Fatal(err)
	}
	olivia.admit(cid, ben)
	ben.author(cid, crdt.ZeroID, crdt.KindGroupJoin, &crdt.GroupJoinBody{Group: bytesOf(g)})
	deliver(t, ben, olivia, cid)
	if _, err := ben.m.FetchKeys(t.Context(), olivia.id, cid); err != nil {
		t.Fatal(err)
	}
	old := olivia.state(cid).Current[g]
	if !ben.m.ring.Has(old.ID) {
		t.Fatal("ben was not handed the group's epoch")
	}
	ben.author(cid, crdt.ZeroID, crdt.KindGroupLeave, &crdt.GroupLeaveBody{Group: bytesOf(g)})
	deliver(t, ben, olivia, cid)
	if !olivia.state(cid).Stale(g) {
		t.Fatal("the group is not stale after a member left it")
	}
	if _, err := olivia.Author(t.Context(), cid, g, crdt.KindMessage, encode(t, &crdt.MessageBody{Text: "price list"})); !errors.Is(err, api.ErrKeysRenewing) {
		t.Fatalf("posting under the epoch the leaver holds: %v, want ErrKeysRenewing", err)
	}
	olivia.m.maintain(t.Context(), cid)
	e := olivia.state(cid).Current[g]
	if olivia.state(cid).Stale(g) || e.ID == old.ID {
		t.Fatal("maintenance did not renew the group's keys")
	}
	if _, ok := e.Wraps[ben.pub]; ok {
		t.Fatal("the renewed epoch is wrapped to the leaver")
	}
	op := olivia.author(cid, g, crdt.KindMessage, &crdt.MessageBody{Text: "price list"})
	fresh, _ := crdt.DecodeOp(op.Bytes())
	if _, err := ben.m.Open(fresh); err == nil {
		t.Fatal("the leaver opened what was written after the renewal")
	}
}

// TestAnswerKeysNotBeforeTheRotation: a member handed the secret of the
// rotation that removes Ben before that rotation's rekey op reaches it
// does not know the rotation leaves Ben out, so it hands Ben nothing of
// it; once it holds the rotation (and not yet the removal), it still
// hands Ben nothing.
func TestAnswerKeysNotBeforeTheRotation(t *testing.T) {
	w := newWorld(t)
	olivia, ben, wendy := w.add("olivia", 1, nil), w.add("ben", 2, nil), w.add("wendy", 3, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	olivia.admit(cid, ben)
	olivia.admit(cid, wendy)
	deliver(t, olivia, ben, cid)
	deliver(t, olivia, wendy, cid)
	if err := olivia.m.Rotate(t.Context(), cid, gid, crdt.RekeyRemoval, &ben.pub); err != nil {
		t.Fatal(err)
	}
	e := olivia.state(cid).Current[gid]
	if _, err := wendy.m.FetchKeys(t.Context(), olivia.id, cid); err != nil {
		t.Fatal(err)
	}
	if !wendy.m.ring.Has(e.ID) {
		t.Fatal("Wendy was not handed the new epoch")
	}
	if wendy.state(cid).Epochs[e.ID] != nil {
		t.Fatal("Wendy already holds the rotation: the test sees nothing")
	}
	_, _ = ben.m.FetchKeys(t.Context(), wendy.id, cid)
	if ben.m.ring.Has(e.ID) {
		t.Fatal("Ben was handed the epoch of the rotation that removes him, by a member who had its secret but not its rekey op")
	}
	deliver(t, olivia, wendy, cid)
	_, _ = ben.m.FetchKeys(t.Context(), wendy.id, cid)
	if ben.m.ring.Has(e.ID) {
		t.Fatal("Ben was handed the epoch of the rotation that removes him")
	}
}
