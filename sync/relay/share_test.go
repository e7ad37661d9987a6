package relay

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestProbeOverShareSaysHoldsNothing: a community whose control log alone
// is over the relay's share, cut before its registration, is refused with
// a reason that says so and that the relay holds nothing of it, not a
// count of bytes "held" that the relay's stats never show.
func TestProbeOverShareSaysHoldsNothing(t *testing.T) {
	tm := newTeam(t, true)
	cid := tm.olivia.cid
	var ops []*crdt.Op
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { ops = append(ops, o) })
		return nil
	})
	slices.SortFunc(ops, func(a, b *crdt.Op) int { return cmp.Compare(a.Height, b.Height) })
	share := int64(len(ops[0].Bytes()) + len(ops[1].Bytes())) // the registration is the last
	rk := tm.relayKey.pub()
	r := openRelay(t, rk, store.NewMemory(), share)
	st, err := r.Pull(t.Context(), tm.olivia.remote(rk), cid)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(st.Unkept, ErrQuota) {
		t.Fatalf("unkept %v, want the quota", st.Unkept)
	}
	msg := st.Unkept.Error()
	if !strings.Contains(msg, "control log alone is over this relay's share") || !strings.Contains(msg, "holds nothing of community "+cid.Short()) || strings.Contains(msg, " of its share") {
		t.Fatalf("reason %q", msg)
	}
	if r.Keeps(cid) || len(r.Stats().Communities) != 0 {
		t.Fatalf("the relay keeps something: %+v", r.Stats())
	}
}
