// Package replica is Umbrella's network-free replication engine. It takes
// ops from anywhere — the local author, gossip, a sync stream, the store at
// start-up — verifies them, parks those whose parents or deps are missing in
// the store's bounded pending buffer, accepts the rest into the materialised
// crdt.Community and the op store, and says what it still needs.
//
// It never touches the network and never reads the wall clock except through
// the clock it is given (SetClock), so many replicas can be driven in one
// test with any delivery order. The clock only stamps parked ops, which
// expire (ExpirePending) when what they wait for never comes.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// Errors callers branch on.
var (
	// ErrUnknownCommunity: the replica does not hold that community.
	ErrUnknownCommunity = errors.New("unknown community")
	// ErrUnwanted: a genesis op for a community the replica neither holds nor expects.
	ErrUnwanted = errors.New("community not expected")
)

// Outcome says what Ingest did with an op.
type Outcome int

// Outcomes of Ingest.
const (
	Accepted  Outcome = iota + 1 // verified and stored; Result.Accepted lists it and any ops it unblocked
	Duplicate                    // already held
	Parked                       // waiting for parents or deps (Result.Missing)
)

// Result reports what Ingest did.
type Result struct {
	Outcome  Outcome
	Accepted []*crdt.Op // in acceptance order: the op, then ops it unblocked
	Missing  []crdt.ID  // for Parked: what it waits for
}

// Replica holds the communities of one member. It is safe for concurrent use.
type Replica struct {
	store store.OpStore
	log   *slog.Logger

	mu          sync.Mutex
	communities map[crdt.ID]*crdt.Community // guarded by mu
	expected    map[crdt.ID]bool            // communities being joined; guarded by mu
	// unwritten, during IngestBatch, holds accepted ops not yet in the
	// store, with their clear bodies; they are written in one batch at its
	// end. Guarded by mu.
	unwritten *[]crdt.Opened
	// sealer, when set, seals the bodies this replica authors and opens
	// those it receives; keyWaits holds the ids ops wait on for a key.
	sealer   Sealer
	keyWaits map[crdt.ID]bool
	now      func() time.Time // guarded by mu
}

// SetClock makes the replica read the time from now (time.Now if never
// set): it stamps the ops it parks. Call it before ingesting anything.
func (r *Replica) SetClock(now func() time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
}

// ExpirePending drops the ops that waited in the pending buffer longer
// than the store allows (store.Limits.PendingAge); sync fetches them again
// if what they wait for ever arrives. A node calls it now and then.
func (r *Replica) ExpirePending(ctx context.Context) (int, error) {
	r.mu.Lock()
	now := r.now()
	r.mu.Unlock()
	return r.store.ExpirePending(ctx, now)
}

// Sealer seals and opens op bodies (package e2ee through the node). With a
// Sealer set, every op of a sealable kind must arrive sealed.
//
// The clear body a replica opens stays with that replica (in its
// community and its store), never in the op: the same *crdt.Op may be
// handed to replicas that hold different keys.
type Sealer interface {
	// Seal replaces draft o's body by its sealed form under the current
	// epoch of o's log in c; the caller keeps the clear body.
	Seal(c *crdt.Community, o *crdt.Op) error
	// Open returns the clear body of sealed op o; an error wrapping
	// crdt.ErrSealed means the epoch is not held yet.
	Open(o *crdt.Op) ([]byte, error)
}

// SetSealer makes the replica seal what it authors and open what it
// receives. Call it before ingesting anything.
func (r *Replica) SetSealer(s Sealer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sealer = s
}

// KeyWait is the id that ops sealed under epoch e wait on in the pending
// buffer until the node holds e.
func KeyWait(e crdt.EpochID) crdt.ID {
	return blake3.Sum256(append([]byte("umbrella/v1 epoch wait\x00"), e[:]...))
}

// unseal opens x.Op if it is sealed and x holds no clear body yet, and
// returns it opened. wait is non-zero when the op must wait for epoch key
// wait; err rejects the op.
func (r *Replica) unseal(x crdt.Opened) (_ crdt.Opened, wait crdt.ID, err error) {
	op := x.Op
	if r.sealer == nil || !op.Sealed() || x.Plain != nil {
		if r.sealer != nil && op.Kind.Sealable() && !op.Sealed() {
			return x, wait, fmt.Errorf("op %s (%s): %w: its body must be encrypted", op.ID().Short(), op.Kind, crdt.ErrInvalid)
		}
		return x, wait, nil
	}
	plain, err := r.sealer.Open(op)
	if errors.Is(err, crdt.ErrSealed) {
		s, perr := crdt.ParseSealed(op)
		if perr != nil {
			return x, wait, perr
		}
		wait = KeyWait(s.EpochOf())
		r.keyWaits[wait] = true
		return x, wait, nil
	}
	if err != nil {
		return x, wait, fmt.Errorf("op %s (%s): %w", op.ID().Short(), op.Kind, err)
	}
	if plain == nil {
		plain = []byte{} // opened, if to nothing: crdt judges the empty body
	}
	return crdt.Opened{Op: op, Plain: plain}, wait, nil
}

// parkSealed opens sealed op, or parks it until its epoch key arrives
// (parked), or rejects it (err).
func (r *Replica) parkSealed(ctx context.Context, x crdt.Opened) (_ crdt.Opened, parked bool, res Result, err error) {
	x, wait, err := r.unseal(x)
	if err != nil || wait.IsZero() {
		return x, false, Result{}, err
	}
	if err := r.store.AddPending(ctx, x.Op, []crdt.ID{wait}, r.now()); err != nil {
		return x, false, Result{}, err
	}
	return x, true, Result{Outcome: Parked, Missing: []crdt.ID{wait}}, nil
}

// KeyArrived accepts the ops that waited for epoch e, and any they
// unblock, in order.
func (r *Replica) KeyArrived(ctx context.Context, e crdt.EpochID) ([]*crdt.Op, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := KeyWait(e) // parked ops survive a restart; keyWaits does not
	delete(r.keyWaits, w)
	ready, err := r.store.TakeReady(ctx, w)
	if err != nil {
		return nil, fmt.Errorf("pending: %w", err)
	}
	var accepted []*crdt.Op
	for _, op := range ready {
		res, err := r.ingestLocked(ctx, crdt.Opened{Op: op})
		if err != nil {
			r.log.Debug("reject op that waited for a key", "op", op.ID().Short(), "err", err)
			continue
		}
		accepted = append(accepted, res.Accepted...)
	}
	return accepted, nil
}

// WaitingForKeys reports whether some ops wait for an epoch key.
func (r *Replica) WaitingForKeys() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keyWaits) > 0
}

// Open loads every community from st, replaying its logs.
func Open(ctx context.Context, st store.OpStore, log *slog.Logger) (*Replica, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Replica{store: st, log: log.With("component", "replica"), communities: map[crdt.ID]*crdt.Community{}, expected: map[crdt.ID]bool{}, keyWaits: map[crdt.ID]bool{}, now: time.Now}
	ids, err := st.Communities(ctx)
	if err != nil {
		return nil, fmt.Errorf("list communities: %w", err)
	}
	for _, cid := range ids {
		if err := r.load(ctx, cid); err != nil {
			return nil, fmt.Errorf("load community %s: %w", cid.Short(), err)
		}
	}
	return r, nil
}

func (r *Replica) load(ctx context.Context, cid crdt.ID) error {
	logs, err := r.store.Logs(ctx, cid)
	if err != nil {
		return err
	}
	var genesis crdt.Opened
	var ops []crdt.Opened
	for _, lg := range logs { // the control log (zero id) sorts first
		err := r.store.Ops(ctx, cid, lg, func(x crdt.Opened) error {
			if x.Op.Kind != crdt.KindGenesis {
				ops = append(ops, x)
			} else if x.Op.ID() == cid {
				genesis = x
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if genesis.Op == nil {
		return fmt.Errorf("genesis %s: %w", cid.Short(), store.ErrNotFound)
	}
	// Stored ops were judged when they arrived, so the community is rebuilt
	// in one resolution. If that fails (a store written by a bug), fall back
	// to checking op by op, keeping what still holds.
	c, err := crdt.Load(genesis, ops)
	if err == nil {
		c.DropEncodings() // ops just read, held by nothing else: served from the store
	} else {
		r.log.Warn("rebuild failed; checking stored ops one by one", "community", cid.Short(), "err", err)
		if c, err = crdt.NewCommunity(genesis.Op, genesis.Plain); err != nil {
			return err
		}
		for _, o := range ops {
			if err := c.Add(o.Op, o.Plain); err != nil {
				r.log.Warn("stored op no longer valid", "op", o.Op.ID().Short(), "err", err)
			}
		}
	}
	r.communities[cid] = c
	return nil
}

// Expect lets Ingest accept the genesis of community id, which a node is
// joining.
func (r *Replica) Expect(id crdt.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expected[id] = true
}

// Ingest verifies op and accepts it, parks it, or rejects it. A rejection
// wraps a crdt error (ErrUnauthorized, ErrInvalid, ErrMalformed, …) or
// store.ErrPendingFull (an op too large to park); crdt.IsInvalid tells
// whether the sender is to blame. Parking never fails for want of room:
// the store bounds each community and each author in it, and the oldest
// parked op of whoever is over a bound gives way.
func (r *Replica) Ingest(ctx context.Context, op *crdt.Op) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ingestLocked(ctx, crdt.Opened{Op: op})
}

// IngestOpened is Ingest for an op whose clear body the caller holds: a
// sealed op this node wrote itself outside Author (the genesis of a
// community it founds), which its keys need not open again.
func (r *Replica) IngestOpened(ctx context.Context, x crdt.Opened) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ingestLocked(ctx, x)
}

// IngestBatch ingests ops in order, as Ingest would one at a time, and
// writes all the ops it accepts to the store in one batch: the way to take
// many ops from a sync stream. results[i] and errs[i] say what happened to
// ops[i]. A non-nil error means the batch could not be written; then none
// of it was accepted and the communities are as they were in the store.
func (r *Replica) IngestBatch(ctx context.Context, ops []*crdt.Op) (results []Result, errs []error, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var unwritten []crdt.Opened
	r.unwritten = &unwritten
	defer func() { r.unwritten = nil }()
	results, errs = make([]Result, len(ops)), make([]error, len(ops))
	for i, op := range ops {
		results[i], errs[i] = r.ingestLocked(ctx, crdt.Opened{Op: op})
	}
	if len(unwritten) == 0 {
		return results, errs, nil
	}
	if err := r.store.PutBatch(ctx, unwritten); err != nil {
		// Memory ran ahead of the store: rebuild what the batch touched.
		touched := map[crdt.ID]bool{}
		for _, x := range unwritten {
			touched[x.Op.CommunityID()] = true
		}
		for cid := range touched {
			if lerr := r.load(ctx, cid); lerr != nil {
				r.log.Error("rebuild after a failed write", "community", cid.Short(), "err", lerr)
			}
		}
		return nil, nil, fmt.Errorf("store %d ops: %w", len(unwritten), err)
	}
	return results, errs, nil
}

// ingestLocked ingests x.Op; x.Plain is its clear body when the caller
// already holds it (the node's own ops), nil otherwise.
func (r *Replica) ingestLocked(ctx context.Context, x crdt.Opened) (Result, error) {
	op := x.Op
	cid := op.CommunityID()
	c := r.communities[cid]
	if op.Kind == crdt.KindGenesis {
		if c != nil {
			return Result{Outcome: Duplicate}, nil
		}
		if !r.expected[cid] {
			return Result{}, fmt.Errorf("genesis %s: %w", cid.Short(), ErrUnwanted)
		}
		x, parked, res, err := r.parkSealed(ctx, x)
		if parked || err != nil {
			return res, err
		}
		nc, err := crdt.NewCommunity(op, x.Plain)
		if err != nil {
			return Result{}, err
		}
		if err := r.store.Put(ctx, x); err != nil {
			return Result{}, fmt.Errorf("store genesis: %w", err)
		}
		r.communities[cid] = nc
		delete(r.expected, cid)
		acc, err := r.release(ctx, []*crdt.Op{op})
		return Result{Outcome: Accepted, Accepted: acc}, err
	}
	if c == nil {
		if !r.expected[cid] {
			return Result{}, fmt.Errorf("op %s: %w %s", op.ID().Short(), ErrUnknownCommunity, cid.Short())
		}
		missing := []crdt.ID{cid}
		if err := r.store.AddPending(ctx, op, missing, r.now()); err != nil {
			return Result{}, err
		}
		return Result{Outcome: Parked, Missing: missing}, nil
	}
	if c.Holds(op) {
		return Result{Outcome: Duplicate}, nil
	}
	if missing := c.Missing(op); len(missing) > 0 {
		if err := r.store.AddPending(ctx, op, missing, r.now()); err != nil {
			return Result{}, err
		}
		return Result{Outcome: Parked, Missing: missing}, nil
	}
	x, parked, res, err := r.parkSealed(ctx, x)
	if parked || err != nil {
		return res, err
	}
	if err := r.accept(ctx, c, x); err != nil {
		return Result{}, err
	}
	acc, err := r.release(ctx, []*crdt.Op{op})
	return Result{Outcome: Accepted, Accepted: acc}, err
}

// accept checks opened op x and, if it passes, stores it and adds it to c.
// Alone, the op is checked, written, then added, so a failed write leaves
// c as the store is. In a batch it is added (which checks it) and written
// with the batch, whose failure rebuilds c from the store.
func (r *Replica) accept(ctx context.Context, c *crdt.Community, x crdt.Opened) error {
	op := x.Op
	if r.unwritten != nil {
		if err := c.Add(op, x.Plain); err != nil {
			return fmt.Errorf("op %s (%s): %w", op.ID().Short(), op.Kind, err)
		}
		*r.unwritten = append(*r.unwritten, x)
		return nil
	}
	if err := c.Check(op, x.Plain); err != nil {
		return fmt.Errorf("op %s (%s): %w", op.ID().Short(), op.Kind, err)
	}
	if err := r.store.Put(ctx, x); err != nil {
		return fmt.Errorf("store op %s: %w", op.ID().Short(), err)
	}
	if err := c.Add(op, x.Plain); err != nil {
		return fmt.Errorf("op %s (%s): %w", op.ID().Short(), op.Kind, err)
	}
	return nil
}

// release accepts parked ops that the just-accepted ops unblocked,
// transitively, and returns all accepted ops in order.
func (r *Replica) release(ctx context.Context, accepted []*crdt.Op) ([]*crdt.Op, error) {
	for i := 0; i < len(accepted); i++ {
		ready, err := r.store.TakeReady(ctx, accepted[i].ID())
		if err != nil {
			return accepted, fmt.Errorf("pending: %w", err)
		}
		for _, op := range ready {
			c := r.communities[op.CommunityID()]
			if c == nil || c.Holds(op) {
				continue
			}
			if m := c.Missing(op); len(m) > 0 { // e.g. a dep in another log still missing
				if err := r.store.AddPending(ctx, op, m, r.now()); err != nil {
					r.log.Debug("drop parked op", "op", op.ID().Short(), "err", err)
				}
				continue
			}
			x, parked, _, err := r.parkSealed(ctx, crdt.Opened{Op: op})
			if parked || err != nil {
				if err != nil {
					r.log.Debug("reject or drop parked op", "op", op.ID().Short(), "err", err)
				}
				continue
			}
			if err := r.accept(ctx, c, x); err != nil {
				r.log.Debug("reject parked op", "op", op.ID().Short(), "err", err)
				continue
			}
			accepted = append(accepted, op)
		}
	}
	return accepted, nil
}

// Missing returns ids that community's parked ops wait for, to fetch from
// peers.
func (r *Replica) Missing(ctx context.Context, community crdt.ID, max int) ([]crdt.ID, error) {
	ids, err := r.store.Missing(ctx, community, max)
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.DeleteFunc(ids, func(id crdt.ID) bool { return r.keyWaits[id] }), err
}

// Get returns a held op.
func (r *Replica) Get(ctx context.Context, id crdt.ID) (*crdt.Op, error) { return r.store.Get(ctx, id) }

// Encodings returns the encodings of held ops, read from the store (see
// store.OpStore.Encodings): for ops that keep none in memory.
func (r *Replica) Encodings(ctx context.Context, ops []*crdt.Op) ([][]byte, error) {
	return r.store.Encodings(ctx, ops)
}

// Holds reports whether op id is accepted or parked: whether this replica
// was given it at all. A store that fails to answer holds nothing.
func (r *Replica) Holds(ctx context.Context, id crdt.ID) bool {
	if has, err := r.store.Has(ctx, id); err == nil && has {
		return true
	}
	parked, err := r.store.Parked(ctx, id)
	return err == nil && parked
}

// Has reports whether op id is held (accepted).
func (r *Replica) Has(ctx context.Context, id crdt.ID) (bool, error) { return r.store.Has(ctx, id) }

// Communities lists the held communities.
func (r *Replica) Communities() []crdt.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]crdt.ID, 0, len(r.communities))
	for id := range r.communities {
		out = append(out, id)
	}
	slices.SortFunc(out, crdt.ID.Compare)
	return out
}

// View calls fn with community id's state while holding the replica's lock.
// fn must not keep references to the community or call back into r.
func (r *Replica) View(id crdt.ID, fn func(*crdt.Community) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.communities[id]
	if c == nil {
		return fmt.Errorf("community %s: %w", id.Short(), ErrUnknownCommunity)
	}
	return fn(c)
}

// Heads returns the heads of one of a community's logs (the zero id for the
// control log).
func (r *Replica) Heads(community, log crdt.ID) ([]crdt.ID, error) {
	var heads []crdt.ID
	err := r.View(community, func(c *crdt.Community) error {
		if log.IsZero() {
			heads = c.ControlHeads()
		} else if t := c.Timeline(log); t != nil {
			heads = t.Heads()
		}
		return nil
	})
	return heads, err
}

// Author signs a new op in the given log of a community with the current
// heads as parents (and, for content, the current control heads as deps),
// ingests it, and returns it.
func (r *Replica) Author(ctx context.Context, s crdt.Signer, community, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.communities[community]
	if c == nil {
		return nil, fmt.Errorf("community %s: %w", community.Short(), ErrUnknownCommunity)
	}
	var author crdt.PublicKey
	copy(author[:], s.PublicKey())
	draft := c.Draft(author, log, kind, body)
	var plain []byte // the clear body, kept beside the op once sealed
	if r.sealer != nil && kind.Sealable() {
		draft.Author = author
		if err := r.sealer.Seal(c, &draft); err != nil {
			return nil, err
		}
		plain = body
		if plain == nil {
			plain = []byte{}
		}
	}
	op, err := crdt.Sign(draft, s)
	if err != nil {
		return nil, err
	}
	if err := c.Check(op, plain); err != nil {
		return nil, err
	}
	if _, err := r.ingestLocked(ctx, crdt.Opened{Op: op, Plain: plain}); err != nil {
		return nil, err
	}
	return op, nil
}
