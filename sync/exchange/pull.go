package exchange

import (
	"context"
	"fmt"
	"sync"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Remote is a peer to pull from, as the transport reaches it (package
// sync/p2p over a libp2p stream; a test over an in-process Server).
type Remote interface {
	// Reconcile runs one reconciliation of community cid over set, as
	// the initiator, and returns the items the remote holds that set
	// lacks and the frames this side sent. A message from the remote that
	// does not decode fails with an error wrapping ErrBadPeer.
	Reconcile(ctx context.Context, cid crdt.ID, set *reconcile.Set) (need []reconcile.Item, sent int, err error)
	// Fetch asks for the ops ids (at most wire.MaxFetch) and returns the
	// encodings the remote sent, unchecked. A refusal is an error.
	Fetch(ctx context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error)
	// String names the remote in logs and errors.
	String() string
}

// Stats describes one pull.
type Stats struct {
	Sessions int // reconciliations run
	// RoundTrips is the most any session took (messages this side sent).
	RoundTrips int
	Missing    int // ops found missing, over all sessions
}

// Progress counts the ops a pull receives and reports the running total
// after each batch. A nil *Progress counts nothing.
type Progress struct {
	Report func(total int)
	n      int
}

func (p *Progress) add(k int) {
	if p != nil && k > 0 {
		p.n += k
		if p.Report != nil {
			p.Report(p.n)
		}
	}
}

// Pull brings community cid up to date with r: it reconciles the two sets
// of ops, then fetches what it lacks, parents first, and the parents that
// parked ops still wait for.
func (s *Server) Pull(ctx context.Context, r Remote, cid crdt.ID, p *Progress) (Stats, error) {
	var stats Stats
	for session := 0; session < MaxSessionsPerPull; session++ {
		need, sent, err := r.Reconcile(ctx, cid, s.ReadableSet(cid, s.cfg.Self))
		if err != nil {
			return stats, err
		}
		stats.Sessions++
		stats.RoundTrips = max(stats.RoundTrips, sent)
		stats.Missing += len(need)
		reconcile.Sort(need)
		ids := make([]crdt.ID, len(need))
		for i, it := range need {
			ids[i] = it.ID
		}
		if err := s.Fetch(ctx, r, cid, ids, p); err != nil {
			return stats, err
		}
		// A Diff is cut at reconcile.MaxIDs ids, and only the side that cut
		// it knows: go again until a session finds nothing new.
		if len(need) == 0 {
			break
		}
	}
	// A joiner parks its own invite and join before it holds anything;
	// ops can also wait for parents of logs this node may not read yet.
	missing, err := s.cfg.Replica.Missing(ctx, cid, wire.MaxFetch)
	if err != nil {
		return stats, err
	}
	if len(missing) > 0 {
		if err := s.Fetch(ctx, r, cid, missing, p); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// Fetch asks r for ops ids in batches, in order, and ingests them; then it
// asks for what the fetched ops turn out to wait for, until nothing is
// left or MaxFetchPasses passes ran. An op that does not verify, or one of
// another community, fails the fetch with an error wrapping ErrBadPeer.
func (s *Server) Fetch(ctx context.Context, r Remote, cid crdt.ID, ids []crdt.ID, p *Progress) error {
	asked := make(map[crdt.ID]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	for pass := 0; len(ids) > 0 && pass < MaxFetchPasses; pass++ {
		more, err := s.fetchPass(ctx, r, cid, ids, asked, p)
		if err != nil {
			return err
		}
		ids = more
	}
	return nil
}

// fetchPass fetches ids from r as a pipeline: one goroutine requests
// batches, one verifies them on every core, and this one ingests each
// batch in a single store write, so the network, the cores and the disk
// work at once. It returns the parents and deps that fetched ops wait for
// and that were not asked for before.
func (s *Server) fetchPass(ctx context.Context, r Remote, cid crdt.ID, ids []crdt.ID, asked map[crdt.ID]bool, p *Progress) (more []crdt.ID, err error) {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		raws [][]byte
		ops  []*crdt.Op
		errs []error
		err  error
	}
	send := func(ch chan<- batch, b batch) bool {
		select {
		case ch <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	fetched, verified := make(chan batch, 2), make(chan batch, 1)
	wg.Go(func() {
		defer close(fetched)
		for start := 0; start < len(ids); start += wire.MaxFetch {
			raws, err := r.Fetch(ctx, cid, ids[start:min(start+wire.MaxFetch, len(ids))])
			if !send(fetched, batch{raws: raws, err: err}) {
				return
			}
		}
	})
	wg.Go(func() {
		defer close(verified)
		for b := range fetched {
			if b.err == nil {
				b.ops, b.errs = replica.DecodeOps(b.raws)
			}
			if !send(verified, b) {
				return
			}
		}
	})
	for b := range verified {
		if b.err != nil {
			return nil, b.err
		}
		for i, op := range b.ops {
			if err := b.errs[i]; err != nil {
				return nil, fmt.Errorf("peer %s sent a bad op: %w: %w", r, ErrBadPeer, err)
			}
			if op.CommunityID() != cid {
				return nil, fmt.Errorf("peer %s sent an op of another community: %w", r, ErrBadPeer)
			}
		}
		results, errs, err := s.cfg.Replica.IngestBatch(ctx, b.ops)
		if err != nil {
			return nil, err
		}
		p.add(len(b.ops))
		for i, res := range results {
			if errs[i] != nil {
				s.log.Debug("pull: op refused", "peer", r, "op", b.ops[i].ID().Short(), "err", errs[i])
				continue
			}
			if s.cfg.Observer != nil {
				s.cfg.Observer.Ingested(res)
				if po, ok := s.cfg.Observer.(ParkObserver); ok && res.Outcome == replica.Parked {
					po.Parked(b.ops[i])
				}
			}
			for _, m := range res.Missing {
				if has, _ := s.cfg.Replica.Has(ctx, m); !has && !asked[m] {
					asked[m] = true
					more = append(more, m)
				}
			}
		}
	}
	return more, ctx.Err()
}

// PullControl is the pull from a former member: it reconciles community
// cid with r once and fetches the control ops this replica lacks, parents
// first, then the parents those wait for — at most MaxFormerOps of each,
// and only control ops that were asked for. What a former member wrote in
// groups before it went is in its remover's past already (a removal
// records the remover's view of every group, crdt.RemoveBody.Seen), or
// concurrent with the removal and so hidden by it; its control ops can
// still count — a removal or demotion of its remover — or be struck.
func (s *Server) PullControl(ctx context.Context, r Remote, cid crdt.ID) error {
	need, _, err := r.Reconcile(ctx, cid, s.ReadableSet(cid, s.cfg.Self))
	if err != nil {
		return err
	}
	reconcile.Sort(need)
	var ids []crdt.ID
	for _, it := range need {
		if it.Key < reconcile.Rank(true, 0) && len(ids) < MaxFormerOps {
			ids = append(ids, it.ID)
		}
	}
	asked := map[crdt.ID]bool{}
	for pass := 0; pass < 2 && len(ids) > 0; pass++ {
		for _, id := range ids {
			asked[id] = true
		}
		raws, err := r.Fetch(ctx, cid, ids)
		if err != nil {
			return err
		}
		ops, errs := replica.DecodeOps(raws)
		var keep []*crdt.Op
		for i, op := range ops {
			if errs[i] != nil || op.CommunityID() != cid {
				return fmt.Errorf("peer %s sent a bad op or one of another community: %w: %v", r, ErrBadPeer, errs[i])
			}
			if op.Log.IsZero() && asked[op.ID()] {
				keep = append(keep, op)
			}
		}
		results, errs, err := s.cfg.Replica.IngestBatch(ctx, keep)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for i, res := range results {
			if errs[i] != nil {
				s.log.Debug("pull from a former member: op refused", "peer", r, "op", keep[i].ID().Short(), "err", errs[i])
				continue
			}
			if s.cfg.Observer != nil {
				s.cfg.Observer.Ingested(res)
			}
			for _, m := range res.Missing {
				if !asked[m] && len(ids) < MaxFormerOps {
					ids = append(ids, m)
				}
			}
		}
	}
	return nil
}
