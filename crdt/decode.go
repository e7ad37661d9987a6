package crdt

import (
	"runtime"
	"sync"
)

// DecodeOps decodes and verifies many ops on every core: signature checks
// dominate the cost of ingesting, and they are independent, while applying
// ops must stay sequential. ops[i] and errs[i] answer raws[i].
func DecodeOps(raws [][]byte) (ops []*Op, errs []error) {
	ops, errs = make([]*Op, len(raws)), make([]error, len(raws))
	parallel(len(raws), func(i int) { ops[i], errs[i] = DecodeOp(raws[i]) })
	return ops, errs
}

// DecodeStoredOps is DecodeOps for ops read back from this node's own
// store, whose signatures were checked when they arrived: see DecodeStored.
func DecodeStoredOps(raws [][]byte, ids []ID) (ops []*Op, errs []error) {
	ops, errs = make([]*Op, len(raws)), make([]error, len(raws))
	parallel(len(raws), func(i int) { ops[i], errs[i] = DecodeStored(raws[i], ids[i]) })
	return ops, errs
}

// parallel calls fn(0) … fn(n-1) spread over the available cores.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
