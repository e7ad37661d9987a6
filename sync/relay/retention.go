package relay

import (
	"context"
	"fmt"
)

// Expire drops the content ops the relay stored longer than
// Config.Retention ago, in every community, and returns how many it
// dropped. It never drops a control op (they are never stamped), and a
// dropped op keeps its place: later ops still link to it, the relay's own
// pulls count it as held (so members are never asked to push it again),
// and members are no longer offered it (see the package doc). Without a
// retention it does nothing.
func (r *Relay) Expire(ctx context.Context) (int, error) {
	ret, ok := r.cfg.Store.(Retainer)
	if r.cfg.Retention <= 0 || !ok {
		return 0, nil
	}
	before := r.cfg.Now().Add(-r.cfg.Retention)
	total := 0
	for _, cid := range r.Communities() {
		for {
			// r.mu is held across the store's pruning so that an Ingest
			// cannot interleave with the bookkeeping.
			r.mu.Lock()
			c := r.comms[cid]
			if c == nil {
				r.mu.Unlock()
				break
			}
			ids, err := ret.PruneBefore(ctx, cid, before, MaxPruneBatch)
			if err != nil {
				r.mu.Unlock()
				return total, fmt.Errorf("relay: retention of %s: %w", cid.Short(), err)
			}
			for _, id := range ids {
				m, ok := c.ops[id]
				if !ok || m.dropped {
					continue
				}
				c.bytes -= int64(m.size)
				r.total -= int64(m.size)
				m.size, m.dropped = 0, true
				c.ops[id] = m
				c.dropped++
				r.stats.dropped++
				total++
			}
			r.mu.Unlock()
			if len(ids) < MaxPruneBatch {
				if len(ids) > 0 {
					r.log.Info("retention dropped old ops", "community", cid.Short(), "ops", len(ids))
				}
				break
			}
		}
	}
	return total, nil
}
