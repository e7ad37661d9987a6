package relay

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// Reasons an op is refused; callers branch on them with errors.Is.
var (
	// ErrForged: the op does not decode, is over the size limit, or its
	// signature does not verify.
	ErrForged = errors.New("op does not verify")
	// ErrRouting: the op belongs to another community than the one it
	// was offered for.
	ErrRouting = errors.New("op of another community")
	// ErrBrokenLink: a parent or dep is not held, is in another log, or
	// the height does not follow from the parents'.
	ErrBrokenLink = errors.New("op does not link to what the relay holds")
	// ErrNotRegistered: no admin registered this relay with the community
	// (or it was removed).
	ErrNotRegistered = errors.New("this relay is not registered with the community")
	// ErrUnknownAuthor: the relay cannot tell that the op's author is or
	// was a member (see the package doc).
	ErrUnknownAuthor = errors.New("author not known to be a member")
	// ErrQuota: storing the op would pass the relay's quota or the
	// community's share of it.
	ErrQuota = errors.New("relay quota reached")
	// ErrNotMember: the peer is not known to be a member of a community
	// this relay keeps, so it is served nothing.
	ErrNotMember = errors.New("not a member this relay knows")
	// ErrStore: the relay's store failed to write (a full disk, say);
	// nothing of the batch was kept, and the member offers it again.
	ErrStore = errors.New("the relay could not store the ops")
)

// Reason names the refusal err (one of the errors above) for metrics and
// stats: "forged", "routing", "broken_link", "not_registered",
// "unknown_author", "quota", "store", "not_member", or "other".
func Reason(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{{ErrForged, "forged"}, {ErrRouting, "routing"}, {ErrBrokenLink, "broken_link"}, {ErrNotRegistered, "not_registered"},
		{ErrUnknownAuthor, "unknown_author"}, {ErrQuota, "quota"}, {ErrStore, "store"}, {ErrNotMember, "not_member"}} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "other"
}

// OpStore is where the relay keeps ops (package sync/store's DS, in
// memory or in Badger): it stores them exactly as members do.
type OpStore interface {
	PutBatch(ctx context.Context, ops []crdt.Opened) error
	Get(ctx context.Context, id crdt.ID) (*crdt.Op, error)
	Communities(ctx context.Context) ([]crdt.ID, error)
	Logs(ctx context.Context, community crdt.ID) ([]crdt.ID, error)
	Ops(ctx context.Context, community, log crdt.ID, fn func(crdt.Opened) error) error
	Sync(ctx context.Context) error
	// Locate says where a stored op is (its community, log and height),
	// pruned or not, or wraps store.ErrNotFound; Index walks where every op
	// of a community is, by log, height and id, with the size stored (0
	// once pruned). The relay keeps no per-op index in memory: it checks
	// links with Locate and builds reconciliation sets with Index.
	Locate(ctx context.Context, id crdt.ID) (store.Place, error)
	Index(ctx context.Context, community crdt.ID, fn func(id crdt.ID, p store.Place) error) error
}

// Config configures a Relay.
type Config struct {
	// Self is the relay's identity key (its peer id): relay ops naming it
	// register it. Required.
	Self crdt.PublicKey
	// Store holds the ops. Required.
	Store OpStore
	// Quota bounds the bytes of stored op encodings in all; 0 means
	// DefaultQuota. CommunityShare bounds one community's; 0 means
	// Quota/DefaultShareDivisor.
	Quota          int64
	CommunityShare int64
	// Retention is how long the relay keeps a content op after it stored
	// it; 0 keeps everything. The control log is never dropped (see the
	// package doc, "Retention"). It needs a Store that is a Retainer.
	Retention time.Duration
	// Now is the clock retention and stats read; nil means time.Now.
	Now func() time.Time
	// Log receives logs; nil discards them.
	Log *slog.Logger
	// Allow lists the admins whose relay ops register (or unregister) this
	// relay (`umbrellad relay --allow`); a relay op by anyone else is
	// ignored, so their communities stay unregistered. Empty means open:
	// any known author's relay op counts, and a stranger who creates
	// communities can fill the quota (see the package doc, "Who may
	// register").
	Allow []crdt.PublicKey
}

// allowed reports whether a relay op by author k may register this relay.
func (r *Relay) allowed(k crdt.PublicKey) bool {
	if len(r.allow) == 0 {
		return true
	}
	_, ok := r.allow[k]
	return ok
}

// Retainer is an OpStore that can drop old ops while keeping their place
// in the hash-linked logs (package sync/store's DS; see its prune.go). The
// relay stamps every content op it stores when its store is one, so a
// retention set later applies to ops stored before.
type Retainer interface {
	// Stamp records that ops ids of community cid were stored at at.
	Stamp(ctx context.Context, cid crdt.ID, at time.Time, ids []crdt.ID) error
	// PruneBefore drops up to max ops of cid stamped before before, the
	// oldest first, and returns their ids and the bytes of their encodings.
	PruneBefore(ctx context.Context, cid crdt.ID, before time.Time, max int) ([]crdt.ID, int64, error)
}

// Relay is a relay's blind store of the communities registered with it.
// It is safe for concurrent use.
type Relay struct {
	cfg   Config
	log   *slog.Logger
	allow map[crdt.PublicKey]struct{} // cfg.Allow; empty: open

	mu    sync.Mutex
	comms map[crdt.ID]*community // guarded by mu
	total int64                  // guarded by mu; bytes of every stored op
	stats counters               // guarded by mu
	// recent caches where recently stored or looked-up ops are (the logs'
	// heads, the control ops content cites), so most link checks need no
	// store read; at MaxRecent entries it starts over. Guarded by mu.
	recent map[crdt.ID]located
	// unreg is signalled when a relay op takes this relay off a community,
	// so the Puller drops its content (DropUnregistered) at once.
	unreg chan struct{}
}

// place is where an op the relay holds or has staged sits: all it needs
// of it to check links.
type place struct {
	log    crdt.ID
	height uint64
}

// located is a place in a community.
type located struct {
	community crdt.ID
	place
}

// rememberHeads caches where the ops just written for community c are
// that no other of them cites: the heads the next ops will cite. r.mu is
// held.
func (r *Relay) rememberHeads(cid crdt.ID, c *community) {
	cited := map[crdt.ID]bool{}
	for _, o := range c.staged {
		for _, p := range o.Op.Parents {
			cited[p] = true
		}
	}
	for _, o := range c.staged {
		if id := o.Op.ID(); !cited[id] {
			r.remember(cid, id, c.at[id])
		}
	}
}

// remember caches where op id of community cid is. r.mu is held.
func (r *Relay) remember(cid, id crdt.ID, p place) {
	if len(r.recent) >= MaxRecent {
		clear(r.recent)
	}
	r.recent[id] = located{cid, p}
}

// control reports whether the op is in the control log.
func (p place) control() bool { return p.log.IsZero() }

// community is what the relay knows of one community: counts of its
// stored ops and the authors it can tell are or were members. Nothing in
// it grows with the ops it holds (the store has them, and where they are:
// OpStore.Locate and Index), only with its members, invites and what one
// Ingest stages. A probe builds one in memory and drops it unless it ends
// registered.
type community struct {
	id      crdt.ID
	known   map[crdt.PublicKey]bool
	arrived map[crdt.PublicKey]bool       // authors of a prekey op: they hold the community
	invites map[crdt.ID]ed25519.PublicKey // invite op → its key, for invites by known authors
	// regHeight and regID are the newest relay op naming this relay that
	// counts (see learn); regOn: it registers (not removes) the relay;
	// regBy: its author. owner is the genesis's author.
	regHeight uint64
	regID     crdt.ID
	regOn     bool
	regBy     crdt.PublicKey
	owner     crdt.PublicKey
	// ops counts the ops held, dropped ones included; bytes the bytes of
	// the live ones' encodings.
	ops     int
	bytes   int64
	probe   bool // not stored yet
	genesis bool // the genesis is held (stored or staged)
	// staged are the ops taken since the last write, and at where they
	// are, so later ops of the same batch link to them.
	staged []crdt.Opened
	at     map[crdt.ID]place
	book   inviteBook // what the clear ops tell of invites' joins and keys (join.go)
	// dropped counts ops retention dropped; served, lastPush and the
	// counters are for Stats.
	dropped  int
	served   map[crdt.PublicKey]bool
	lastPush time.Time
	pushes   uint64
	pulls    uint64
}

func newCommunity(id crdt.ID) *community {
	return &community{id: id, known: map[crdt.PublicKey]bool{}, arrived: map[crdt.PublicKey]bool{}, invites: map[crdt.ID]ed25519.PublicKey{}, served: map[crdt.PublicKey]bool{}}
}

// locate returns where op id of community c is, among the staged ops and
// then in the store (a probe has nothing stored), and whether it is held.
// An op of another community is not held. r.mu is held.
func (r *Relay) locate(ctx context.Context, c *community, id crdt.ID) (place, bool, error) {
	if p, ok := c.at[id]; ok {
		return p, true, nil
	}
	if c.probe {
		return place{}, false, nil
	}
	if l, ok := r.recent[id]; ok {
		return l.place, l.community == c.id, nil
	}
	p, err := r.cfg.Store.Locate(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return place{}, false, nil
	case err != nil:
		return place{}, false, fmt.Errorf("%w: %w", ErrStore, err)
	case p.Community != c.id:
		return place{}, false, nil
	}
	at := place{log: p.Log, height: p.Height}
	r.remember(c.id, id, at)
	return at, true, nil
}

// items returns the reconciliation items of the ops the relay holds of
// community cid, read from the store's index (nothing of it is kept in
// memory); with live, only of those not dropped.
func (r *Relay) items(ctx context.Context, cid crdt.ID, live bool) ([]reconcile.Item, error) {
	var out []reconcile.Item
	err := r.cfg.Store.Index(ctx, cid, func(id crdt.ID, p store.Place) error {
		if !live || p.Size > 0 {
			out = append(out, reconcile.Item{Key: reconcile.Rank(!p.Log.IsZero(), p.Height), ID: id})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("relay: index of %s: %w", cid.Short(), err)
	}
	return out, nil
}

// Registered reports whether a registration of this relay is in force.
func (c *community) registered() bool { return c.regOn }

// Open returns a Relay over cfg.Store, rebuilding what it knows of each
// stored community from the ops (the control log first, in log order).
func Open(ctx context.Context, cfg Config) (*Relay, error) {
	if cfg.Store == nil {
		return nil, errors.New("relay: Store is required")
	}
	if cfg.Quota <= 0 {
		cfg.Quota = DefaultQuota
	}
	if cfg.CommunityShare <= 0 {
		cfg.CommunityShare = cfg.Quota / DefaultShareDivisor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ret, _ := cfg.Store.(Retainer)
	if cfg.Retention > 0 && ret == nil {
		return nil, errors.New("relay: Retention needs a Store that can drop ops (a Retainer)")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Relay{cfg: cfg, log: log.With("component", "relay"), comms: map[crdt.ID]*community{}, recent: map[crdt.ID]located{}, stats: newCounters(), unreg: make(chan struct{}, 1)}
	if len(cfg.Allow) > 0 {
		r.allow = make(map[crdt.PublicKey]struct{}, len(cfg.Allow))
		for _, k := range cfg.Allow {
			r.allow[k] = struct{}{}
		}
	}
	cids, err := cfg.Store.Communities(ctx)
	if err != nil {
		return nil, fmt.Errorf("relay: list communities: %w", err)
	}
	for _, cid := range cids {
		c := newCommunity(cid)
		// Counts come from the store's index (keys only); the ops passed
		// check when they came and are not read again, but for the clear
		// control ops, which tell the relay of authors, invites and its
		// registration. They come back in log order, not in the order they
		// were taken (an op refused once and taken later keeps its place in
		// its log), so what they tell is taken to its fixpoint.
		err := cfg.Store.Index(ctx, cid, func(_ crdt.ID, p store.Place) error {
			c.ops++
			if p.Size == 0 {
				c.dropped++
			}
			c.bytes += int64(max(p.Size, 0))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("relay: load %s: %w", cid.Short(), err)
		}
		r.total += c.bytes
		if _, err := cfg.Store.Locate(ctx, cid); err == nil {
			c.genesis = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("relay: load %s: %w", cid.Short(), err)
		}
		var clear []*crdt.Op
		err = cfg.Store.Ops(ctx, cid, crdt.ZeroID, func(o crdt.Opened) error {
			if !o.Op.Sealed() || o.Op.Kind == crdt.KindGenesis {
				clear = append(clear, o.Op)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("relay: load %s: %w", cid.Short(), err)
		}
		for grew := true; grew; {
			before := len(c.known) + len(c.invites)
			for _, op := range clear {
				r.learn(c, op)
			}
			grew = len(c.known)+len(c.invites) > before
		}
		r.comms[cid] = c
	}
	return r, nil
}

// Ingest checks ops a peer sent for community cid (parents before
// children, as a pull fetches them) and stores those that pass, in one
// write. It returns, for each op, nil when it is stored (now or before)
// or why it was refused. For a community the relay does not keep yet,
// raws is a probe (see the package doc): stored whole if it registers this
// relay, else refused whole with ErrNotRegistered. A write the store
// fails (a full disk, say) keeps nothing of the batch and refuses each op
// it held with ErrStore and the store's reason, so the member that pushed
// them is told and offers them again, and the relay goes on serving; the
// error return is nil then too (callers may still treat one as the
// store's).
func (r *Relay) Ingest(ctx context.Context, cid crdt.ID, raws [][]byte) ([]error, error) {
	errs := make([]error, len(raws))
	// Decoding and the signature check (rule 1) need nothing the relay
	// holds, so they run before the lock: concurrent pushes verify on
	// every core, and a batch is verified in parallel. Their verdicts are
	// read below in the same place as before, so what is refused, and why,
	// does not change.
	ops, decErrs := decodeAll(raws)
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.comms[cid]
	if c == nil {
		if len(r.comms) >= MaxCommunities {
			for i := range errs {
				errs[i] = fmt.Errorf("%w: the relay keeps %d communities already", ErrQuota, MaxCommunities)
			}
			return errs, nil
		}
		c = newCommunity(cid)
		c.probe = true
	}
	defer func() {
		for _, err := range errs {
			if err != nil {
				r.stats.refused[Reason(err)]++
			}
		}
	}()
	size := 0
	var staged []int // indexes of raws staged for the write
	for i, raw := range raws {
		if c.probe {
			if size += len(raw); i >= MaxProbeOps || size > MaxProbeBytes {
				errs[i] = fmt.Errorf("%w: the first pull of a community is cut at %d ops", ErrNotRegistered, MaxProbeOps)
				continue
			}
		}
		n := len(c.staged)
		errs[i] = r.take(ctx, c, cid, ops[i], decErrs[i])
		if len(c.staged) > n {
			staged = append(staged, i)
		}
	}
	if c.probe {
		if !c.registered() {
			r.total -= c.bytes // nothing of the probe is kept
			for i, err := range errs {
				switch {
				case err == nil:
					errs[i] = fmt.Errorf("%w: %s", ErrNotRegistered, cid.Short())
				case errors.Is(err, ErrQuota):
					errs[i] = fmt.Errorf("%w; the relay holds nothing of community %s (the part of its control log that fits does not register the relay)", err, cid.Short())
				}
			}
			return errs, nil
		}
		c.probe = false
	}
	if len(c.staged) > 0 {
		if err := r.write(ctx, cid, c.staged); err != nil {
			// Nothing was stored (a full disk, say): forget the staged ops
			// in memory too, so they are fetched and checked again; a
			// probe is dropped whole. The relay goes on serving what it
			// holds.
			n := len(c.staged)
			r.forgetStaged(c)
			r.log.Warn("store write failed; ops refused", "community", cid.Short(), "ops", n, "err", err)
			for _, i := range staged {
				errs[i] = fmt.Errorf("%w: %w", ErrStore, err)
			}
			if c.probe {
				for i, e := range errs {
					if e == nil {
						errs[i] = fmt.Errorf("%w: %w", ErrStore, err)
					}
				}
			}
			return errs, nil
		}
		c.lastPush = r.cfg.Now()
		r.stats.stored += uint64(len(c.staged))
		r.rememberHeads(cid, c)
		c.staged, c.at = nil, nil
	}
	if r.comms[cid] == nil {
		r.comms[cid] = c
		r.log.Info("community registered", "community", cid.Short(), "ops", c.ops)
	}
	return errs, nil
}

// write stores ops of community cid, stamping the content ops first when
// the store can drop them (a stamp without its op is harmless; an op
// without its stamp would be kept forever).
func (r *Relay) write(ctx context.Context, cid crdt.ID, ops []crdt.Opened) error {
	if ret, ok := r.cfg.Store.(Retainer); ok {
		var ids []crdt.ID
		for _, o := range ops {
			if !o.Op.Log.IsZero() {
				ids = append(ids, o.Op.ID())
			}
		}
		if err := ret.Stamp(ctx, cid, r.cfg.Now(), ids); err != nil {
			return err
		}
	}
	return r.cfg.Store.PutBatch(ctx, ops)
}

// forgetStaged undoes, in memory, the ops staged for a write that failed.
func (r *Relay) forgetStaged(c *community) {
	for _, o := range c.staged {
		n := int64(len(o.Op.Bytes()))
		c.bytes -= n
		r.total -= n
		if o.Op.Kind == crdt.KindGenesis {
			c.genesis = false
		}
	}
	c.ops -= len(c.staged)
	c.staged, c.at = nil, nil
	// Authors and registration noted from them may stay known: they were
	// signed by known authors, and the ops are offered again.
}

// decodeAll decodes and verifies raws (crdt.DecodeOp) on up to
// GOMAXPROCS goroutines, returning each op or its decoding error.
func decodeAll(raws [][]byte) ([]*crdt.Op, []error) {
	ops := make([]*crdt.Op, len(raws))
	errs := make([]error, len(raws))
	workers := min(runtime.GOMAXPROCS(0), len(raws)/minDecodeShare)
	if workers <= 1 {
		for i, raw := range raws {
			ops[i], errs[i] = crdt.DecodeOp(raw)
		}
		return ops, errs
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(raws); i += workers {
				ops[i], errs[i] = crdt.DecodeOp(raws[i])
			}
		}()
	}
	wg.Wait()
	return ops, errs
}

// minDecodeShare is the fewest ops a decoding goroutine of one batch is
// given: a smaller batch is decoded on the calling goroutine.
const minDecodeShare = 16

// take checks and stages one op for community c, decoded (and its
// signature checked) before the lock as op, or refused by decErr. r.mu is
// held.
func (r *Relay) take(ctx context.Context, c *community, cid crdt.ID, op *crdt.Op, decErr error) error {
	if decErr != nil {
		return fmt.Errorf("%w: %w", ErrForged, decErr)
	}
	if op.CommunityID() != cid {
		return fmt.Errorf("%w: op %s is of %s, offered for %s", ErrRouting, op.ID().Short(), op.CommunityID().Short(), cid.Short())
	}
	if _, held, err := r.locate(ctx, c, op.ID()); err != nil || held {
		return err
	}
	if c.probe && !op.Log.IsZero() {
		return fmt.Errorf("%w: only control ops are taken before the registration", ErrNotRegistered)
	}
	// A relay taken off a community keeps taking its control log (within
	// the quota): offline members learn their removal from it, and an
	// admin may register the relay again.
	if !c.probe && !c.registered() && !op.Log.IsZero() {
		return fmt.Errorf("%w: %s", ErrNotRegistered, cid.Short())
	}
	if err := r.check(ctx, c, op); err != nil {
		return err
	}
	n := int64(len(op.Bytes()))
	if r.total+n > r.cfg.Quota {
		return fmt.Errorf("%w: the relay holds %d of its %d bytes", ErrQuota, r.total, r.cfg.Quota)
	}
	if c.bytes+n > r.cfg.CommunityShare {
		if c.probe { // nothing is held yet: the probe alone is over
			return fmt.Errorf("%w: community %s's control log alone is over this relay's share of %d bytes", ErrQuota, cid.Short(), r.cfg.CommunityShare)
		}
		return fmt.Errorf("%w: community %s holds %d of its share of %d bytes", ErrQuota, cid.Short(), c.bytes, r.cfg.CommunityShare)
	}
	r.note(c, op)
	r.learn(c, op)
	c.staged = append(c.staged, crdt.Opened{Op: op})
	return nil
}

// check applies rules 3 and 5 of the package doc to op in c.
func (r *Relay) check(ctx context.Context, c *community, op *crdt.Op) error {
	if err := r.checkLinks(ctx, c, op); err != nil {
		return err
	}
	if c.known[op.Author] || op.Kind == crdt.KindGenesis { // the genesis's author is the first owner
		return nil
	}
	if op.Kind == crdt.KindJoin && r.joinProven(c, op) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrUnknownAuthor, op.Author.String()[:8])
}

// checkLinks applies rule 3 of the package doc to op in c, looking its
// parents and deps up among the staged ops and in the store.
func (r *Relay) checkLinks(ctx context.Context, c *community, op *crdt.Op) error {
	id := op.ID()
	if op.Kind == crdt.KindGenesis {
		if id != c.id || op.Height != 1 || len(op.Parents) > 0 {
			return fmt.Errorf("%w: a genesis that is not the community's", ErrRouting)
		}
		return nil
	}
	if !c.genesis {
		return fmt.Errorf("%w: the genesis is not held", ErrBrokenLink)
	}
	var top uint64
	for _, p := range op.Parents {
		m, ok, err := r.locate(ctx, c, p)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("%w: parent %s of %s", ErrBrokenLink, p.Short(), id.Short())
		case m.log != op.Log:
			return fmt.Errorf("%w: parent %s of %s is in another log", ErrBrokenLink, p.Short(), id.Short())
		}
		top = max(top, m.height)
	}
	if op.Height != top+1 {
		return fmt.Errorf("%w: height %d after parents of height %d", ErrBrokenLink, op.Height, top)
	}
	for _, d := range op.Deps {
		m, ok, err := r.locate(ctx, c, d)
		if err != nil {
			return err
		}
		if !ok || !m.control() {
			return fmt.Errorf("%w: dep %s of %s is not a held control op", ErrBrokenLink, d.Short(), id.Short())
		}
	}
	return nil
}

// joinProven reports whether join op o redeems an invite by a known
// author with a proof that verifies.
func (r *Relay) joinProven(c *community, o *crdt.Op) bool {
	b, err := crdt.DecodeBody(o)
	if err != nil {
		return false
	}
	j := b.(*crdt.JoinBody)
	var inv crdt.ID
	copy(inv[:], j.Invite)
	key, ok := c.invites[inv]
	return ok && ed25519.Verify(key, crdt.JoinProofMessage(c.id, inv, o.Author), j.Proof)
}

// note records op, which passed check and is staged for the next write,
// in c: where it is (until the write) and its size.
func (r *Relay) note(c *community, op *crdt.Op) {
	n := int64(len(op.Bytes()))
	if c.at == nil {
		c.at = map[crdt.ID]place{}
	}
	c.at[op.ID()] = place{log: op.Log, height: op.Height}
	c.genesis = c.genesis || op.Kind == crdt.KindGenesis
	c.ops++
	c.bytes += n
	r.total += n
}

// learn records what op's clear body tells of members and of this
// relay's registration. It may be run again on the same op.
func (r *Relay) learn(c *community, op *crdt.Op) {
	id := op.ID()
	if op.Kind == crdt.KindGenesis {
		c.known[op.Author] = true // its body may be sealed; its author is the first owner
		c.owner = op.Author
		return
	}
	if op.Sealed() || !op.Log.IsZero() {
		return
	}
	known := c.known[op.Author]
	switch op.Kind {
	case crdt.KindPrekey:
		c.arrived[op.Author] = true // a node publishes one as soon as it holds the community
	case crdt.KindJoin:
		if known || r.joinProven(c, op) {
			c.known[op.Author] = true
			c.book.joined(op)
		}
	case crdt.KindInviteKeys:
		if known {
			c.book.keyed(op)
		}
	case crdt.KindInvite:
		if b, err := crdt.DecodeBody(op); err == nil && known {
			c.invites[id] = ed25519.PublicKey(b.(*crdt.InviteBody).Key)
		}
	case crdt.KindRekey:
		if b, err := crdt.DecodeBody(op); err == nil && known {
			for _, w := range b.(*crdt.RekeyBody).Wraps {
				var k crdt.PublicKey
				copy(k[:], w.Member)
				c.known[k] = true
			}
		}
	case crdt.KindRelay:
		b, err := crdt.DecodeBody(op)
		if err != nil || !known {
			return
		}
		rb := b.(*crdt.RelayBody)
		if string(rb.Peer) != string(r.cfg.Self[:]) || !r.allowed(op.Author) {
			return
		}
		// An open relay cannot tell an admin from a plain, removed or
		// link-joined member, so while it is registered only the genesis's
		// author or the registrant may take it off or register it anew
		// (doc.go, "Who may take a relay off").
		if len(r.allow) == 0 && c.regOn && op.Author != c.owner && op.Author != c.regBy {
			return
		}
		if c.regID.IsZero() || op.Height > c.regHeight || (op.Height == c.regHeight && string(id[:]) >= string(c.regID[:])) {
			was := c.regOn
			c.regHeight, c.regID, c.regOn, c.regBy = op.Height, id, !rb.Remove, op.Author
			if was && !c.regOn {
				select {
				case r.unreg <- struct{}{}:
				default:
				}
			}
		}
	}
}
