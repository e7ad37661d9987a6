package replica

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// DecodeOps decodes and verifies ops received from peers on every core:
// signature checks dominate the cost of ingesting and are independent of
// one another, while accepting ops (IngestBatch) stays sequential. ops[i]
// and errs[i] answer raws[i]. crdt itself starts no goroutines, so the
// replica spreads crdt.DecodeOp over the cores here.
func DecodeOps(raws [][]byte) (ops []*crdt.Op, errs []error) {
	ops, errs = make([]*crdt.Op, len(raws)), make([]error, len(raws))
	parallel(len(raws), func(i int) { ops[i], errs[i] = crdt.DecodeOp(raws[i]) })
	return ops, errs
}

// parallelChunk is how many items a worker takes at a time: enough that
// workers rarely meet on the counter or write next to each other.
const parallelChunk = 16

// parallel calls fn(0) … fn(n-1) spread over the available cores, and
// returns when all calls have.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+parallelChunk-1)/parallelChunk)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(parallelChunk)) - parallelChunk
				if start >= n {
					return
				}
				for i := start; i < min(start+parallelChunk, n); i++ {
					fn(i)
				}
			}
		})
	}
	wg.Wait()
}
