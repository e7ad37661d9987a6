package relay

import (
	"context"
	"fmt"
	"time"
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
	return r.prune(ctx, ret, r.cfg.Now().Add(-r.cfg.Retention), false)
}

// DropUnregistered drops the content ops of every community this relay
// was taken off (the newest relay op naming it removes it), as Expire
// drops old ones, and returns how many it dropped: removing the relay from
// a community lets it drop the data. It keeps the control log, which
// offline members need to learn of their removal and by which an admin may
// register the relay again; a dropped op keeps its place, so content
// pushed after a new registration still links. It needs a Store that is a
// Retainer (else it does nothing).
func (r *Relay) DropUnregistered(ctx context.Context) (int, error) {
	ret, ok := r.cfg.Store.(Retainer)
	if !ok {
		return 0, nil
	}
	return r.prune(ctx, ret, dropAll, true)
}

// dropAll is a time after every stamp: pruning before it drops every
// content op.
var dropAll = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// prune drops the content ops stamped before before, in every community
// (only those not registered when unregistered is set), and returns how
// many it dropped.
func (r *Relay) prune(ctx context.Context, ret Retainer, before time.Time, unregistered bool) (int, error) {
	total := 0
	for _, cid := range r.Communities() {
		for {
			// r.mu is held across the store's pruning so that an Ingest
			// cannot interleave with the bookkeeping.
			r.mu.Lock()
			c := r.comms[cid]
			if c == nil || (unregistered && c.registered()) {
				r.mu.Unlock()
				break
			}
			// The store answers only ops it held live, with their bytes.
			ids, size, err := ret.PruneBefore(ctx, cid, before, MaxPruneBatch)
			if err != nil {
				r.mu.Unlock()
				return total, fmt.Errorf("relay: drop ops of %s: %w", cid.Short(), err)
			}
			c.bytes -= size
			r.total -= size
			c.dropped += len(ids)
			r.stats.dropped += uint64(len(ids))
			total += len(ids)
			r.mu.Unlock()
			if len(ids) < MaxPruneBatch {
				if len(ids) > 0 {
					why := "retention dropped old ops"
					if unregistered {
						why = "taken off the community: content dropped"
					}
					r.log.Info(why, "community", cid.Short(), "ops", len(ids))
				}
				break
			}
		}
	}
	return total, nil
}
