package relay

import (
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// FuzzIngest offers arbitrary bytes as an op of a community the relay
// keeps: it never panics, and every refusal has one of the reasons.
func FuzzIngest(f *testing.F) {
	tm := newTeam(f, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	var seeds [][]byte
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { seeds = append(seeds, o.Bytes()) })
		return nil
	})
	seeds = sortedControlFirst(f, seeds)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := openRelay(t, rk, store.NewMemory(), 0)
		if errs, err := r.Ingest(t.Context(), cid, seeds); err != nil || firstErr(errs) != nil {
			t.Fatal(err, firstErr(errs))
		}
		errs, err := r.Ingest(t.Context(), cid, [][]byte{raw})
		if err != nil {
			t.Fatal(err)
		}
		if e := errs[0]; e != nil && !errors.Is(e, ErrForged) && !errors.Is(e, ErrRouting) && !errors.Is(e, ErrBrokenLink) &&
			!errors.Is(e, ErrUnknownAuthor) && !errors.Is(e, ErrNotRegistered) && !errors.Is(e, ErrQuota) {
			t.Fatalf("refusal without a reason: %v", e)
		}
	})
}
