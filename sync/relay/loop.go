package relay

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
)

// Dial reaches peer k for a pull (the node's sync/p2p service).
type Dial func(k crdt.PublicKey) (exchange.Remote, error)

// job is one pull to run.
type job struct {
	cid  crdt.ID
	from crdt.PublicKey
}

// Puller runs the relay's pulls, its retention (Relay.Expire, at start
// and every ExpireEvery) when it has one, and drops the content of the
// communities it is taken off (Relay.DropUnregistered): a member's nudge (its push) makes the
// relay pull the community from it. One worker runs them in turn; at most
// MaxQueuedPulls wait, each (community, peer) once, and a nudge beyond
// that is dropped (the member nudges again next tick). Nudges from peers
// the relay does not know, for communities it keeps, are ignored; for a
// community it does not keep yet, the pull is a bounded probe (see the
// package doc). It implements Nudger.
type Puller struct {
	relay *Relay
	dial  Dial
	log   *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	queue  chan job

	mu     sync.Mutex
	queued map[job]*Pending // jobs waiting to run; guarded by mu
}

// NewPuller starts a Puller for r, reaching peers with dial. Close stops it.
func NewPuller(ctx context.Context, r *Relay, dial Dial, log *slog.Logger) *Puller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Puller{relay: r, dial: dial, log: log.With("component", "relay"), queue: make(chan job, MaxQueuedPulls), queued: map[job]*Pending{}}
	p.ctx, p.cancel = context.WithCancel(ctx)
	p.wg.Go(p.work)
	if _, ok := r.cfg.Store.(Retainer); ok {
		p.wg.Go(p.expire)
	}
	return p
}

// expire runs the relay's retention (Relay.Expire), and drops the content
// of communities it was taken off (Relay.DropUnregistered), at start, every
// ExpireEvery, and the latter at once when a relay op takes it off one.
func (p *Puller) expire() {
	t := time.NewTicker(ExpireEvery)
	defer t.Stop()
	for tick := true; ; {
		if tick {
			if _, err := p.relay.Expire(p.ctx); err != nil && p.ctx.Err() == nil {
				p.log.Warn("retention", "err", err)
			}
		}
		if _, err := p.relay.DropUnregistered(p.ctx); err != nil && p.ctx.Err() == nil {
			p.log.Warn("drop the content of a community the relay was taken off", "err", err)
		}
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
			tick = true
		case <-p.relay.unreg:
			tick = false
		}
	}
}

// Nudged implements Nudger: it queues a pull of cid from peer from, and
// returns it (over at once when nothing is queued).
func (p *Puller) Nudged(cid crdt.ID, from crdt.PublicKey) *Pending {
	if p.relay.holds(cid) && !p.relay.Known(cid, from) {
		return ranPending(nil)
	}
	j := job{cid, from}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pd, ok := p.queued[j]; ok {
		return pd
	}
	if p.ctx.Err() != nil {
		return ranPending(nil)
	}
	select {
	case p.queue <- j:
		pd := newPending()
		p.queued[j] = pd
		return pd
	default:
		p.log.Debug("pull queue full; nudge dropped", "community", cid.Short())
		return ranPending(nil)
	}
}

func (p *Puller) work() {
	for {
		select {
		case <-p.ctx.Done():
			return
		case j := <-p.queue:
			// Off the queue before it runs: a nudge that comes while it
			// runs may announce ops it has reconciled past, so it queues
			// a pull of its own.
			p.mu.Lock()
			pd := p.queued[j]
			delete(p.queued, j)
			p.mu.Unlock()
			pd.finish(p.pull(j))
		}
	}
}

// pull runs job j and returns why what the member pushed was not kept,
// if it was not (Pending.Err).
func (p *Puller) pull(j job) error {
	rm, err := p.dial(j.from)
	if err != nil {
		p.log.Debug("reach a member to pull", "community", j.cid.Short(), "err", err)
		return fmt.Errorf("the relay could not reach you to pull: %w", err)
	}
	st, err := p.relay.Pull(p.ctx, rm, j.cid)
	if err != nil {
		p.log.Debug("pull", "community", j.cid.Short(), "peer", rm, "err", err)
		return fmt.Errorf("the relay's pull failed: %w", err)
	}
	if st.Stored > 0 || st.Refused > 0 {
		p.log.Info("pulled", "community", j.cid.Short(), "peer", rm, "stored", st.Stored, "refused", st.Refused, "reason", st.Reason)
	}
	return st.Unkept
}

// Close stops the worker and waits for it. It is idempotent.
func (p *Puller) Close() {
	p.mu.Lock()
	p.cancel()
	p.mu.Unlock()
	p.wg.Wait()
}
