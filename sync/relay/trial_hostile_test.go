package relay

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// A plain member (Ben, who joined by a link) signs a relay op that takes
// the relay off. Members judge it invalid (only admins manage relays); the
// relay must not drop the community's content on its word.
func TestTrialMemberCannotUnregister(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	r := openRelay(t, rk, store.NewMemory(), 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	if !r.Keeps(cid) {
		t.Fatal("not kept")
	}
	var last *crdt.Op
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
			if last == nil || o.Height > last.Height {
				last = o
			}
		})
		return nil
	})
	op, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindRelay, Parents: []crdt.ID{last.ID()}, Height: last.Height + 1,
		Body: enc(t, &crdt.RelayBody{Peer: rk[:], Remove: true})}, tm.ben.k)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := r.Ingest(ctx, cid, [][]byte{op.Bytes()})
	t.Logf("ingest of Ben's relay removal: %v %v", errs, err)
	n, _ := r.DropUnregistered(ctx)
	if !r.Keeps(cid) || n > 0 {
		t.Fatalf("a plain member's forged removal made the relay drop the community (dropped %d)", n)
	}
}
