package relay

import (
	"runtime"
	"testing"

	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestMemoryIndependentOfOps: the relay keeps nothing in memory per op it
// holds (its store has them, and where they are): a relay that took 6,000
// ops into Badger holds, once the store is closed and let go, no more heap
// than one that took 500, within maxIndexBytesPerOp per op more. (An index
// of every op, as the relay kept before, costs about 65 bytes each in
// this test: its id and 24 bytes, in a map.)
func TestMemoryIndependentOfOps(t *testing.T) {
	const few, many = 500, 6000
	small, large := relayHeap(t, few), relayHeap(t, many)
	t.Logf("heap kept: %d bytes with %d ops, %d with %d", small, few, large, many)
	if per := (large - small) / (many - few); per > maxIndexBytesPerOp {
		t.Fatalf("the relay's heap grows by %d bytes per op held (%d with %d ops, %d with %d), want at most %d",
			per, small, few, large, many, maxIndexBytesPerOp)
	}
}

// maxIndexBytesPerOp bounds what TestMemoryIndependentOfOps lets the
// relay's heap grow per op: GC and allocator noise, not an index.
const maxIndexBytesPerOp = 20

// relayHeap is the heap a relay that took n ops of one community into
// Badger keeps once the store is closed and let go.
func relayHeap(t *testing.T, n int) int64 {
	rk := newKey(7).pub()
	c := newBenchComm(t, 0, rk)
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = c.next(t)
	}
	runtime.GC()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	st, err := store.OpenBadger(t.TempDir(), store.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := openRelay(t, rk, st, 0)
	c.register(t, r)
	for s := 0; s < n; s += wire.MaxFetch {
		ingestAll(t, r, c.cid, raws[s:min(s+wire.MaxFetch, n)])
	}
	if got := r.Stats().Communities[0].Ops; got != n+len(c.control) {
		t.Fatalf("the relay holds %d ops, want %d", got, n+len(c.control))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, r.cfg.Store = nil, nil
	runtime.GC() // twice: what finalizers of the first let go goes too
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(r)
	runtime.KeepAlive(raws)
	return int64(after.HeapAlloc) - int64(base.HeapAlloc)
}
