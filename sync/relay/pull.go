package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// PullStats describes one pull by the relay.
type PullStats struct {
	Stored  int   // ops stored now
	Refused int   // ops refused
	Reason  error // the last refusal's reason, if any
	// Unkept is the first refusal that keeps what the member pushed off
	// the relay for want of room or a failed write (ErrQuota, ErrStore),
	// if any: its answer to the member's nudge.
	Unkept error
}

// Pull brings what the relay holds of community cid up to date with
// member rm: it reconciles over every op it holds, fetches what it lacks
// in log order and ingests it, and goes again while a pass stores
// something (a batch cut by wire.MaxFetch, or ops that waited for others
// of the same pass). For a community it does not keep yet it takes one
// probe: the first MaxProbeOps control ops, in one batch.
func (r *Relay) Pull(ctx context.Context, rm exchange.Remote, cid crdt.ID) (PullStats, error) {
	var st PullStats
	for pass := 0; pass < MaxPullPasses; pass++ {
		probe := !r.holds(cid)
		set, err := r.Set(ctx, cid)
		if err != nil {
			return st, err
		}
		need, _, err := rm.Reconcile(ctx, cid, set)
		if err != nil {
			return st, fmt.Errorf("reconcile %s with %s: %w", cid.Short(), rm, err)
		}
		reconcile.Sort(need)
		var ids []crdt.ID
		for _, it := range need {
			if probe && (it.Key >= reconcile.Rank(true, 0) || len(ids) >= MaxProbeOps) {
				continue
			}
			ids = append(ids, it.ID)
		}
		if len(ids) == 0 {
			return st, nil
		}
		var raws [][]byte
		stored := 0
		for start := 0; start < len(ids); start += wire.MaxFetch {
			got, err := rm.Fetch(ctx, cid, ids[start:min(start+wire.MaxFetch, len(ids))])
			if err != nil {
				return st, fmt.Errorf("fetch from %s: %w", rm, err)
			}
			if probe {
				raws = append(raws, got...)
				continue
			}
			n, err := r.ingest(ctx, cid, got, &st)
			if err != nil {
				return st, err
			}
			stored += n
		}
		if probe {
			n, err := r.ingest(ctx, cid, raws, &st)
			if err != nil {
				return st, err
			}
			stored += n
		}
		if stored == 0 {
			return st, nil
		}
	}
	return st, nil
}

func (r *Relay) ingest(ctx context.Context, cid crdt.ID, raws [][]byte, st *PullStats) (int, error) {
	errs, err := r.Ingest(ctx, cid, raws)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range errs {
		if e != nil {
			st.Refused++
			st.Reason = e
			if st.Unkept == nil && (errors.Is(e, ErrQuota) || errors.Is(e, ErrStore)) {
				st.Unkept = e
			}
			r.log.Debug("refused an op", "community", cid.Short(), "err", e)
			continue
		}
		n++
	}
	st.Stored += n
	return n, nil
}

// holds reports whether the relay keeps community cid at all.
func (r *Relay) holds(cid crdt.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.comms[cid] != nil
}
