package crdt

import (
	"bytes"
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
