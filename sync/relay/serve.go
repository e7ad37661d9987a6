package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Nudger is told that peer from nudged the relay to pull community cid
// (the relay node's pull loop, Puller); it returns that pull.
type Nudger interface {
	Nudged(cid crdt.ID, from crdt.PublicKey) *Pending
}

// Pending is a pull a nudge asked for.
type Pending struct {
	done chan struct{}
	err  error // set before done is closed
}

// newPending returns a Pending that has not run.
func newPending() *Pending { return &Pending{done: make(chan struct{})} }

// ranPending returns a Pending that is over, with err.
func ranPending(err error) *Pending {
	p := newPending()
	p.finish(err)
	return p
}

func (p *Pending) finish(err error) {
	p.err = err
	close(p.done)
}

// Done is closed when the pull has run.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Err, once Done is closed, says why what the member pushed is not kept:
// the relay could not reach it, the pull failed, or the relay refused its
// ops for want of room (ErrQuota) or a failed write (ErrStore). Nil when
// the pull kept everything it was allowed to.
func (p *Pending) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Keeps reports whether the relay keeps community cid and a registration
// of it is in force.
func (r *Relay) Keeps(cid crdt.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.comms[cid]
	return c != nil && c.registered()
}

// Communities lists the communities the relay holds ops of, registered or
// not (any more), sorted.
func (r *Relay) Communities() []crdt.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []crdt.ID
	for id := range r.comms {
		out = append(out, id)
	}
	return crdt.SortIDs(out)
}

// Known reports whether the relay can tell that k is or was a member of
// community cid (see the package doc).
func (r *Relay) Known(cid crdt.ID, k crdt.PublicKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.comms[cid]
	return c != nil && c.known[k]
}

// Set returns the reconciliation set of every op the relay holds of
// community cid, dropped ones included (empty for one it does not keep):
// what it reconciles over when it pulls. It is read from the store's index.
func (r *Relay) Set(ctx context.Context, cid crdt.ID) (*reconcile.Set, error) {
	if !r.holds(cid) {
		return reconcile.NewSet(nil), nil
	}
	items, err := r.items(ctx, cid, false)
	if err != nil {
		return nil, err
	}
	return reconcile.NewSet(items), nil
}

// ReconcileSet implements sync/p2p's ReconcileResponder: a member the
// relay knows reconciles over every op it holds of the community.
// Ops retention dropped are left out, so members never ask for them.
func (r *Relay) ReconcileSet(cid crdt.ID, from crdt.PublicKey) (*reconcile.Set, error) {
	r.mu.Lock()
	c := r.comms[cid]
	if c == nil || !c.known[from] {
		r.stats.refused[Reason(ErrNotMember)]++
		r.mu.Unlock()
		return nil, ErrNotMember
	}
	c.served[from] = true
	c.pulls++
	r.stats.pulls++
	r.mu.Unlock()
	items, err := r.items(context.Background(), cid, true)
	if err != nil {
		return nil, err
	}
	return reconcile.NewSet(items), nil
}

// Answerer answers pull requests from a Relay: sync/p2p's SyncResponder.
type Answerer struct {
	Relay  *Relay
	Nudges Nudger // nil ignores nudges
	// Wait is how long a nudge's answer waits for the pull it asked for,
	// so that an answer without an error tells the member the relay took
	// what it wrote; 0 answers at once.
	Wait time.Duration
}

// AnswerSync implements sync/p2p's SyncResponder. A nudge is passed on to
// Nudges, waits for the pull it asks for (up to Wait), and is answered
// with why what the member pushed is not kept (Pending.Err: the quota's
// or the failed write's reason, or the pull's failure), or with ErrQuota's
// reason when the community is at its share; a push (the ops a member
// just wrote) is taken at once, or falls back to a nudge; a fetch is
// answered for members the relay knows, with ops of that community only;
// nothing else is served.
func (a Answerer) AnswerSync(from crdt.PublicKey, req *wire.Request) *wire.Response {
	var cid crdt.ID
	if len(req.Community) != len(cid) {
		return &wire.Response{Error: "malformed community id"}
	}
	copy(cid[:], req.Community)
	switch req.Kind {
	case wire.KindNudge:
		a.Relay.notePush(cid)
		return a.nudge(cid, from)
	case wire.KindPush:
		a.Relay.notePush(cid)
		return a.push(cid, from, req.Ops)
	case wire.KindFetch:
		if !a.Relay.Known(cid, from) {
			a.Relay.noteRefusal(ErrNotMember)
			return &wire.Response{Error: ErrNotMember.Error()}
		}
		ids, err := wire.IDs(req.IDs)
		if err != nil || len(ids) > wire.MaxFetch {
			return &wire.Response{Error: "malformed fetch"}
		}
		ops, err := a.Relay.Serve(context.Background(), cid, ids)
		if err != nil {
			return &wire.Response{Error: "the relay could not read its store"}
		}
		return &wire.Response{Ops: ops}
	default:
		return &wire.Response{Error: fmt.Sprintf("a relay does not answer requests of kind %d", req.Kind)}
	}
}

// nudge passes a nudge on to Nudges, waits for the pull it asks for (up to
// Wait), and answers why what the member pushed is not kept, if it is not.
func (a Answerer) nudge(cid crdt.ID, from crdt.PublicKey) *wire.Response {
	if a.Nudges != nil {
		pd := a.Nudges.Nudged(cid, from)
		if a.Wait > 0 {
			t := time.NewTimer(a.Wait)
			select {
			case <-pd.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if err := pd.Err(); err != nil {
			return &wire.Response{Error: err.Error()}
		}
	}
	if err := a.Relay.Full(cid); err != nil {
		return &wire.Response{Error: err.Error()}
	}
	return &wire.Response{}
}

// push takes the ops a member just wrote (wire.KindPush) at once: checked
// and stored like pulled ops. It answers with the reason when they are
// refused for want of room or a failed write; when the relay lacks what
// they cite (it missed earlier ops), or does not keep the community yet,
// or cannot tell the sender is a member, it falls back to a nudge: it
// pulls from the sender, who holds all of it.
func (a Answerer) push(cid crdt.ID, from crdt.PublicKey, ops [][]byte) *wire.Response {
	size := 0
	for _, o := range ops {
		size += len(o)
	}
	if len(ops) == 0 || len(ops) > wire.MaxPushOps || size > wire.MaxPushBytes {
		return &wire.Response{Error: fmt.Sprintf("malformed push: %d ops, %d bytes", len(ops), size)}
	}
	if !a.Relay.Keeps(cid) || !a.Relay.Known(cid, from) {
		return a.nudge(cid, from)
	}
	errs, err := a.Relay.Ingest(context.Background(), cid, ops)
	if err != nil {
		return &wire.Response{Error: err.Error()}
	}
	pull := false
	for _, e := range errs {
		switch {
		case e == nil:
		case errors.Is(e, ErrQuota), errors.Is(e, ErrStore):
			return &wire.Response{Error: e.Error()}
		default:
			pull = true // ErrBrokenLink above all: the pull brings what they cite
		}
	}
	if pull {
		return a.nudge(cid, from)
	}
	return &wire.Response{}
}

// Full returns an error wrapping ErrQuota, with the reason, when community
// cid (or the whole relay) is at its quota; nil otherwise.
func (r *Relay) Full(cid crdt.ID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.total+int64(crdt.MaxOpSize) > r.cfg.Quota {
		return fmt.Errorf("%w: the relay holds %d of its %d bytes", ErrQuota, r.total, r.cfg.Quota)
	}
	if c := r.comms[cid]; c != nil && c.bytes+int64(crdt.MaxOpSize) > r.cfg.CommunityShare {
		return fmt.Errorf("%w: community %s holds %d of its share of %d bytes", ErrQuota, cid.Short(), c.bytes, r.cfg.CommunityShare)
	}
	return nil
}

// Serve returns the encodings of the ops among ids that the relay holds
// of community cid, in the order asked, up to wire.MaxResponseBytes. Ops
// retention dropped, ops of other communities and ids it does not hold
// are left out.
func (r *Relay) Serve(ctx context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error) {
	if !r.holds(cid) {
		return nil, nil
	}
	var out [][]byte
	size := 0
	for _, id := range ids {
		op, err := r.cfg.Store.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) { // never held, or dropped (store.ErrPruned)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("relay: read op %s: %w", id.Short(), err)
		}
		if op.CommunityID() != cid {
			continue
		}
		if size += len(op.Bytes()); size > wire.MaxResponseBytes {
			break
		}
		out = append(out, op.Bytes())
	}
	return out, nil
}
