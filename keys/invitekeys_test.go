package keys

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
)

// inviteKeyOps returns the encodings of the invite-keys ops of invite inv
// that mb holds, in log order: what a relay hands a joiner.
func inviteKeyOps(mb *member, cid, inv crdt.ID) [][]byte {
	var out [][]byte
	_ = mb.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if o.Kind != crdt.KindInviteKeys {
				return
			}
			if b, err := crdt.DecodeBody(o); err == nil && crdt.ID(b.(*crdt.InviteKeysBody).Invite) == inv {
				out = append(out, o.Bytes())
			}
		})
		return nil
	})
	return out
}

// texts returns the messages of group gid that mb reads.
func texts(mb *member, cid, gid crdt.ID) []string {
	var out []string
	_ = mb.rep.View(cid, func(c *crdt.Community) error {
		for _, e := range c.Entries(gid) {
			if b, ok := c.Body(e.Op.ID()).(*crdt.MessageBody); ok {
				out = append(out, b.Text)
			}
		}
		return nil
	})
	return out
}

// makeInvite has mb make an invite with link secret seed and key it.
func makeInvite(t *testing.T, mb *member, cid crdt.ID, seed []byte) *crdt.Op {
	t.Helper()
	inv := mb.author(cid, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: "team"})
	if err := mb.m.KeyInvite(t.Context(), cid, inv.ID(), seed); err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestJoinerReadsHistoryFromInviteKeys: Dev, holding only the link, opens
// the epoch secrets its invite-keys ops wrap and reads what was posted
// before, with no member to ask; an epoch rotated later reaches him too
// while the invite is live.
func TestJoinerReadsHistoryFromInviteKeys(t *testing.T) {
	w := newWorld(t)
	olivia, dev := w.add("olivia", 1, nil), w.add("dev", 3, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "Monday training at 7"})
	seed := bytes.Repeat([]byte{0x42}, 32)
	inv := makeInvite(t, olivia, cid, seed)

	// The relay takes Dev's join; Olivia holds it once she syncs.
	j := testworld.JoinOp(t, cid, inv, ed25519.NewKeyFromSeed(seed), dev.s, "Dev", 0)
	if _, err := olivia.rep.Ingest(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	// A rotation of General after the invite wraps to it too.
	if err := olivia.m.Rotate(t.Context(), cid, gid, crdt.RekeyManual, nil); err != nil {
		t.Fatal(err)
	}
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "New epoch"})

	dev.rep.Expect(cid)
	if _, err := dev.m.OpenInviteKeys(t.Context(), inv, bytes.Repeat([]byte{0x43}, 32), inviteKeyOps(olivia, cid, inv.ID())); !errors.Is(err, ErrNoInviteKeys) {
		t.Fatalf("another link's secret opened the keys: %v", err)
	}
	n, err := dev.m.OpenInviteKeys(t.Context(), inv, seed, inviteKeyOps(olivia, cid, inv.ID()))
	if err != nil || n == 0 {
		t.Fatalf("open invite keys: %d, %v", n, err)
	}
	// A join tried again (the first was cut short after the keys) opens
	// nothing new and goes on: the keys are here.
	if n, err := dev.m.OpenInviteKeys(t.Context(), inv, seed, inviteKeyOps(olivia, cid, inv.ID())); err != nil || n != 0 {
		t.Fatalf("open invite keys again: %d, %v", n, err)
	}
	deliver(t, olivia, dev, cid)
	if got := texts(dev, cid, gid); len(got) != 2 || got[0] != "Monday training at 7" || got[1] != "New epoch" {
		t.Fatalf("Dev reads %q", got)
	}
	if st := dev.state(cid); st.Role(dev.pub) != crdt.RoleMember {
		t.Fatalf("Dev's role %s", st.Role(dev.pub))
	}
}

// TestJoinerGetsTopicSecretFromInviteKeys: the invite's first keys op
// wraps the community's topic secret, which Dev, holding only the link,
// opens and keeps, so he follows the community's topics with no member
// to ask; another link's secret opens nothing.
func TestJoinerGetsTopicSecretFromInviteKeys(t *testing.T) {
	w := newWorld(t)
	olivia, dev, eve := w.add("olivia", 1, nil), w.add("dev", 3, nil), w.add("eve", 4, nil)
	cid := olivia.found("Glow")
	seed := bytes.Repeat([]byte{0x42}, 32)
	inv := makeInvite(t, olivia, cid, seed)
	ops := inviteKeyOps(olivia, cid, inv.ID())

	eve.rep.Expect(cid)
	if _, err := eve.m.OpenInviteKeys(t.Context(), inv, bytes.Repeat([]byte{0x43}, 32), ops); !errors.Is(err, ErrNoInviteKeys) {
		t.Fatalf("another link's secret opened the keys: %v", err)
	}
	if _, ok := eve.m.Secret(cid); ok {
		t.Fatal("another link's secret opened the topic secret")
	}
	dev.rep.Expect(cid)
	if _, err := dev.m.OpenInviteKeys(t.Context(), inv, seed, ops); err != nil {
		t.Fatal(err)
	}
	want, _ := olivia.m.Secret(cid)
	if got, ok := dev.m.Secret(cid); !ok || !bytes.Equal(got, want) {
		t.Fatalf("Dev's topic secret %x (held %v), want Olivia's %x", got, ok, want)
	}
}

// TestRevokedInviteGetsNoNewEpochs: after an invite is revoked, rotations
// wrap nothing more to it, so a leaked link opens only epochs from before
// and reads nothing posted after the rotation that followed.
func TestRevokedInviteGetsNoNewEpochs(t *testing.T) {
	w := newWorld(t)
	olivia, eve := w.add("olivia", 1, nil), w.add("eve", 4, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "before"})
	seed := bytes.Repeat([]byte{0x42}, 32)
	inv := makeInvite(t, olivia, cid, seed)
	before := len(inviteKeyOps(olivia, cid, inv.ID()))

	olivia.author(cid, crdt.ZeroID, crdt.KindInviteRevoke, &crdt.InviteRevokeBody{Invite: bytesOf(inv.ID())})
	for _, log := range []crdt.ID{crdt.ZeroID, gid} {
		if err := olivia.m.Rotate(t.Context(), cid, log, crdt.RekeyManual, nil); err != nil {
			t.Fatal(err)
		}
	}
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "after"})
	ops := inviteKeyOps(olivia, cid, inv.ID())
	if len(ops) != before {
		t.Fatalf("a revoked invite got %d more keys ops", len(ops)-before)
	}

	// Eve holds the leaked link and everything the relay holds.
	eve.rep.Expect(cid)
	if _, err := eve.m.OpenInviteKeys(t.Context(), inv, seed, ops); err != nil {
		t.Fatal(err)
	}
	deliver(t, olivia, eve, cid)
	for _, s := range texts(eve, cid, gid) {
		if s == "after" {
			t.Fatal("a link revoked before reads a message posted after")
		}
	}
}

// TestApprovalInviteGetsNoKeys: in a community that admits by approval
// the invite's keys op says so and wraps nothing.
func TestApprovalInviteGetsNoKeys(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, nil)
	cid := olivia.found("Glow")
	olivia.general(cid)
	olivia.author(cid, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow", JoinPolicy: crdt.JoinByApproval})
	seed := bytes.Repeat([]byte{0x42}, 32)
	inv := makeInvite(t, olivia, cid, seed)
	ops := inviteKeyOps(olivia, cid, inv.ID())
	if len(ops) != 1 {
		t.Fatalf("%d keys ops", len(ops))
	}
	op, _ := crdt.DecodeOp(ops[0])
	b, _ := crdt.DecodeBody(op)
	if kb := b.(*crdt.InviteKeysBody); !kb.Approval || len(kb.Keys) != 0 {
		t.Fatalf("keys op %+v", kb)
	}
}

// TestApprovalStopsWrapping: once a community admits by approval, its
// rotations wrap nothing more to invites keyed before.
func TestApprovalStopsWrapping(t *testing.T) {
	w := newWorld(t)
	olivia := w.add("olivia", 1, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	inv := makeInvite(t, olivia, cid, bytes.Repeat([]byte{0x42}, 32))
	before := len(inviteKeyOps(olivia, cid, inv.ID()))
	olivia.author(cid, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow", JoinPolicy: crdt.JoinByApproval})
	if err := olivia.m.Rotate(t.Context(), cid, gid, crdt.RekeyManual, nil); err != nil {
		t.Fatal(err)
	}
	if got := len(inviteKeyOps(olivia, cid, inv.ID())); got != before {
		t.Fatalf("a rotation after approval was turned on wrapped to the invite: %d keys ops, had %d", got, before)
	}
}

// TestForgedInviteKeysLoseToTheMakers: a keys op a plain member forged
// (a relay cannot tell; crdt refuses it), handed first, wraps a false
// secret for the control log's epoch; the maker's op still wins, and Dev
// reads the history.
func TestForgedInviteKeysLoseToTheMakers(t *testing.T) {
	w := newWorld(t)
	olivia, ben, dev := w.add("olivia", 1, nil), w.add("ben", 2, nil), w.add("dev", 3, nil)
	cid := olivia.found("Glow")
	gid := olivia.general(cid)
	olivia.author(cid, gid, crdt.KindMessage, &crdt.MessageBody{Text: "Monday training at 7"})
	seed := bytes.Repeat([]byte{0x42}, 32)
	inv := makeInvite(t, olivia, cid, seed)
	genuine := inviteKeyOps(olivia, cid, inv.ID())

	op, _ := crdt.DecodeOp(genuine[0])
	b, _ := crdt.DecodeBody(op)
	forged := *b.(*crdt.InviteKeysBody)
	var ctl crdt.EpochID
	_ = olivia.rep.View(cid, func(c *crdt.Community) error { ctl = c.State().Current[crdt.ZeroID].ID; return nil })
	_, fake := e2ee.NewEpoch()
	ib, _ := crdt.DecodeBody(inv)
	wrapped, err := e2ee.Wrap(e2ee.Suite(forged.KEM), forged.Key, e2ee.WrapInfo(cid, crdt.ZeroID, ctl, inviteRecipient(ib.(*crdt.InviteBody).Key)), fake)
	if err != nil {
		t.Fatal(err)
	}
	forged.Keys = []crdt.InviteKey{{Epoch: ctl[:], Secret: wrapped}}
	fop, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindInviteKeys, Parents: []crdt.ID{op.ID()}, Height: op.Height + 1, Body: encode(t, &forged)}, ben.s)
	if err != nil {
		t.Fatal(err)
	}
	j := testworld.JoinOp(t, cid, inv, ed25519.NewKeyFromSeed(seed), dev.s, "Dev", 0)
	if _, err := olivia.rep.Ingest(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	dev.rep.Expect(cid)
	if _, err := dev.m.OpenInviteKeys(t.Context(), inv, seed, append([][]byte{fop.Bytes()}, genuine...)); err != nil {
		t.Fatal(err)
	}
	deliver(t, olivia, dev, cid)
	if got := texts(dev, cid, gid); len(got) != 1 || got[0] != "Monday training at 7" {
		t.Fatalf("Dev reads %q", got)
	}
}
