package crdt

import (
	"bytes"
	"crypto/ed25519"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLeftOut: a rotation that could have wrapped its secret to a member
// (the member's admission and a prekey of theirs were in its author's
// view) and did not, left that member out: they are being removed, and no
// member may hand them the epoch. Members wrapped, members with no prekey
// in the author's view, and members admitted later were not left out.
func TestLeftOut(t *testing.T) {
	w, general := setup(t, "ann", "ben", "dev", "fay")
	prekey := func(name string) *Op {
		return w.do(name, ZeroID, KindPrekey, &PrekeyBody{KEM: KEMX25519, Key: bytes.Repeat([]byte{1}, 32)})
	}
	prekey("olivia")
	prekey("ann")
	prekey("ben")
	w.syncAll()
	prekey("fay") // Olivia has not seen it when she rotates
	wrap := func(names ...string) []Wrap {
		var out []Wrap
		for _, n := range names {
			out = append(out, Wrap{Member: w.pk(n), KEM: KEMX25519, Prekey: make([]byte, 8), Secret: []byte{1}})
		}
		slices.SortFunc(out, func(a, b Wrap) int { return bytes.Compare(a.Member, b.Member) })
		return out
	}
	var eid EpochID
	eid[0] = 9
	w.do("olivia", ZeroID, KindRekey, &RekeyBody{Log: general[:], Epoch: eid[:], Part: 1, Parts: 1,
		Reason: RekeyRemoval, Check: make([]byte, 32), Wraps: wrap("olivia", "ann")})
	w.syncAll()
	w.member("eve", "olivia") // admitted after the rotation
	w.syncAll()

	c := w.final(rng())
	e := c.State().Epochs[eid]
	if e == nil {
		t.Fatal("the rotation was not applied")
	}
	for name, want := range map[string]bool{
		"ann": false, // wrapped
		"ben": true,  // admitted and with a prekey in view, not wrapped
		"dev": false, // no prekey to wrap to
		"fay": false, // her prekey was not in view
		"eve": false, // admitted after
	} {
		if got := c.LeftOut(e, w.pub(name)); got != want {
			t.Errorf("LeftOut(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestJoinUndoneIsDeparted: a join that took effect on the admitting
// admin's replica and is undone by a concurrent demotion of that admin (or
// revocation of the link) leaves a Departure naming the join and what
// undid it, in every replay order, so members can tell the joiner; a
// joiner who gets in again later is a member, not departed.
func TestJoinUndoneIsDeparted(t *testing.T) {
	for name, end := range map[string]func(w *world, inv *Op) *Op{
		"maker demoted": func(w *world, _ *Op) *Op { return w.promote("olivia", "ann", RoleMember) },
		"link revoked": func(w *world, inv *Op) *Op {
			return w.do("olivia", ZeroID, KindInviteRevoke, &InviteRevokeBody{Invite: idb(inv.ID())})
		},
	} {
		t.Run(name, func(t *testing.T) {
			w, general := setup(t, "ann")
			w.promote("olivia", "ann", RoleAdmin)
			w.rekey("olivia", general, RekeyInitial, 1)
			w.syncAll()
			inv := w.invite("ann")
			w.syncAll()
			ended := end(w, inv) // concurrent with:
			join, err := w.joinVia("dev", "ann", inv)
			if err != nil {
				t.Fatal(err)
			}
			w.syncAll()
			for seed := range uint64(5) {
				st := w.final(rand.New(rand.NewPCG(seed, 1))).State()
				d := st.Departed[w.pub("dev")]
				if st.Role(w.pub("dev")) != RoleNone || d == nil || d.Join != join.ID() || d.Op != ended.ID() || d.By != w.pub("olivia") {
					t.Fatalf("order %d: dev's role %v, departure %+v; want undone join %s by %s", seed, st.Role(w.pub("dev")), d, join.ID().Short(), ended.ID().Short())
				}
				if !st.Stale(general) { // dev was handed General's key while admitted
					t.Fatalf("order %d: General's epoch is not renewed after dev's join was undone", seed)
				}
			}
			// A fresh link of Olivia's, later: the same dev joins again.
			again := w.invite("olivia")
			w.sync("dev", "olivia")
			if _, err := w.try("dev", ZeroID, KindJoin, &JoinBody{Invite: idb(again.ID()), Proof: ed25519.Sign(w.invKey, JoinProofMessage(w.cid(), again.ID(), w.pub("dev"))), Name: "dev", Time: 200_000}); err != nil {
				t.Fatal(err)
			}
			w.syncAll()
			if st := w.final(rng()).State(); st.Role(w.pub("dev")) != RoleMember || st.Departed[w.pub("dev")] != nil {
				t.Fatalf("dev back in: role %v, departure %+v", st.Role(w.pub("dev")), st.Departed[w.pub("dev")])
			}
		})
	}
}

// TestJoinThroughFallenInviteIsDeparted: Ann makes a link while Olivia
// demotes her, and Dev joins through it at Ann's replica; the link itself
// falls with Ann's rank, and Dev's join with it. Dev is departed, undone
// by the demotion.
func TestJoinThroughFallenInviteIsDeparted(t *testing.T) {
	w, _ := setup(t, "ann")
	w.promote("olivia", "ann", RoleAdmin)
	w.syncAll()
	demotion := w.promote("olivia", "ann", RoleMember) // concurrent:
	inv := w.invite("ann")
	join, err := w.joinVia("dev", "ann", inv)
	if err != nil {
		t.Fatal(err)
	}
	w.syncAll()
	for seed := range uint64(8) {
		st := w.final(rand.New(rand.NewPCG(seed, 2))).State()
		if st.Invites[inv.ID()] != nil {
			t.Fatal("the link made concurrently with its maker's demotion stands")
		}
		if d := st.Departed[w.pub("dev")]; st.Role(w.pub("dev")) != RoleNone || d == nil || d.Join != join.ID() || d.Op != demotion.ID() {
			t.Fatalf("order %d: dev: role %v, departure %+v; want undone join %s by %s", seed, st.Role(w.pub("dev")), d, join.ID().Short(), demotion.ID().Short())
		}
	}
}
