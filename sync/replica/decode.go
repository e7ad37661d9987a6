package replica

import (
	"github.com/umbrella-p2p/umbrella/crdt"
)

// DecodeEach decodes raws in batches on every core while fn applies the
// ops of earlier batches in order on the calling goroutine, so verifying
// and applying overlap. At most two batches wait decoded; fn gets each op
// (or its decode error) in the order of raws, and an error from fn stops
// the work.
func DecodeEach(raws [][]byte, batch int, fn func(*crdt.Op, error) error) error {
	type result struct {
		ops  []*crdt.Op
		errs []error
	}
	ch := make(chan result, 2)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(ch)
		for start := 0; start < len(raws); start += batch {
			ops, errs := crdt.DecodeOps(raws[start:min(start+batch, len(raws))])
			select {
			case ch <- result{ops, errs}:
			case <-stop:
				return
			}
		}
	}()
	for r := range ch {
		for i, op := range r.ops {
			if err := fn(op, r.errs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
