package store

// The pending buffer: ops parked until the parents and deps they cite are
// stored. /p/<id> holds an op, what it still waits for and when it was
// parked; the store keeps an index of every parked op in memory (what it
// waits for, its community, author, size and age), rebuilt from /p/ at
// start, so that parking, releasing, evicting and expiring never scan the
// datastore.
//
// # Bounds
//
// Parked ops are bounded three ways (see Limits): per (community, author),
// per community, and over all communities. A full quota never refuses an
// op: the oldest parked op of the author (or of the community, or of the
// community holding the most) gives way. Parents are fetched by sync, so a
// parked op that is evicted is fetched again when what it waits for
// arrives; evicting the oldest keeps the newest ops — those most likely to
// be released soon — and lets an author's honest ops in whatever junk it
// parked earlier. Whatever one author or one community sends, another
// community's ops (a joiner's own invite and join among them) always park.
//
// Parked ops expire: ExpirePending drops those parked longer than
// Limits.PendingAge, across restarts, since the park time is stored with
// the op. Records written before park times were stored carry none; they
// decode as parked at the epoch and so expire at the first sweep. The wait
// index those versions kept under /w/<missing>/<id> is deleted at start:
// the in-memory index replaces it.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"

	"github.com/umbrella-p2p/umbrella/crdt"
)

type pendingRecord struct {
	Op      []byte   `cbor:"1,keyasint"`
	Missing [][]byte `cbor:"2,keyasint"`
	// At is when the op was parked, in Unix milliseconds; absent (0) in
	// records from before parked ops expired.
	At int64 `cbor:"3,keyasint,omitempty"`
}

// parked is what the store knows in memory of one parked op.
type parked struct {
	community crdt.ID
	author    crdt.PublicKey
	at        int64 // Unix milliseconds
	size      int   // bytes of its /p/ record
	missing   []crdt.ID
	seq       uint64 // park order, for the eviction queues
}

// authorKey names one author's quota in one community.
type authorKey struct {
	community crdt.ID
	author    crdt.PublicKey
}

// usage counts parked ops and bytes, and queues them in park order for
// eviction. A queue entry whose op is no longer parked (or was parked again
// since) is stale and skipped.
type usage struct {
	n, bytes int
	queue    []queued
	head     int
}

type queued struct {
	id  crdt.ID
	seq uint64
}

// pendingIndex is the in-memory index of the pending buffer; guarded by
// DS.mu.
type pendingIndex struct {
	ops      map[crdt.ID]*parked
	waiters  map[crdt.ID]map[crdt.ID]struct{} // missing id → parked ops waiting on it
	byComm   map[crdt.ID]*usage
	byAuthor map[authorKey]*usage
	n, bytes int
	seq      uint64
	// oldest is at most the park time of every parked op, so a sweep that
	// would expire nothing returns at once.
	oldest int64
}

func newPendingIndex() pendingIndex {
	return pendingIndex{ops: map[crdt.ID]*parked{}, waiters: map[crdt.ID]map[crdt.ID]struct{}{},
		byComm: map[crdt.ID]*usage{}, byAuthor: map[authorKey]*usage{}, oldest: math.MaxInt64}
}

func (x *pendingIndex) add(id crdt.ID, p *parked) {
	x.seq++
	p.seq = x.seq
	x.ops[id] = p
	for _, m := range p.missing {
		if x.waiters[m] == nil {
			x.waiters[m] = map[crdt.ID]struct{}{}
		}
		x.waiters[m][id] = struct{}{}
	}
	ak := authorKey{p.community, p.author}
	for _, u := range []*usage{x.comm(p.community), x.authorUsage(ak)} {
		x.compact(u)
		u.n++
		u.bytes += p.size
		u.queue = append(u.queue, queued{id, p.seq})
	}
	x.n++
	x.bytes += p.size
	x.oldest = min(x.oldest, p.at)
}

func (x *pendingIndex) comm(c crdt.ID) *usage {
	u := x.byComm[c]
	if u == nil {
		u = &usage{}
		x.byComm[c] = u
	}
	return u
}

func (x *pendingIndex) authorUsage(k authorKey) *usage {
	u := x.byAuthor[k]
	if u == nil {
		u = &usage{}
		x.byAuthor[k] = u
	}
	return u
}

func (x *pendingIndex) remove(id crdt.ID) {
	p := x.ops[id]
	if p == nil {
		return
	}
	delete(x.ops, id)
	for _, m := range p.missing {
		delete(x.waiters[m], id)
		if len(x.waiters[m]) == 0 {
			delete(x.waiters, m)
		}
	}
	ak := authorKey{p.community, p.author}
	if shrinkUsage(x.byComm[p.community], p.size) {
		delete(x.byComm, p.community)
	}
	if shrinkUsage(x.byAuthor[ak], p.size) {
		delete(x.byAuthor, ak)
	}
	x.n--
	x.bytes -= p.size
	if x.n == 0 {
		x.oldest = math.MaxInt64
	}
}

func shrinkUsage(u *usage, size int) (empty bool) {
	u.n--
	u.bytes -= size
	return u.n == 0
}

// resize records that parked op id's record is now size bytes.
func (x *pendingIndex) resize(id crdt.ID, size int) {
	p := x.ops[id]
	d := size - p.size
	p.size = size
	x.byComm[p.community].bytes += d
	x.byAuthor[authorKey{p.community, p.author}].bytes += d
	x.bytes += d
}

// oldestIn returns the longest-parked op queued in u.
func (x *pendingIndex) oldestIn(u *usage) (crdt.ID, bool) {
	for u.head < len(u.queue) {
		q := u.queue[u.head]
		if p := x.ops[q.id]; p != nil && p.seq == q.seq {
			return q.id, true
		}
		u.head++
	}
	return crdt.ID{}, false
}

// compact drops stale queue entries once they outnumber the live ones, so
// queues stay in proportion to what is parked (each add compacts first, so
// the cost is amortised over the entries it drops).
func (x *pendingIndex) compact(u *usage) {
	if len(u.queue) < 64 || len(u.queue) < 2*u.n {
		return
	}
	live := u.queue[:0]
	for _, q := range u.queue[u.head:] {
		if p := x.ops[q.id]; p != nil && p.seq == q.seq {
			live = append(live, q)
		}
	}
	clear(u.queue[len(live):])
	u.queue, u.head = live, 0
}

// victim picks the op to evict so that one more op of size bytes by author
// in community c fits, or reports that it fits already.
func (x *pendingIndex) victim(lim Limits, k authorKey, size int) (crdt.ID, bool) {
	if u := x.byAuthor[k]; u != nil && (u.n+1 > lim.AuthorOps || u.bytes+size > lim.AuthorBytes) {
		return x.oldestIn(u)
	}
	if u := x.byComm[k.community]; u != nil && (u.n+1 > lim.CommunityOps || u.bytes+size > lim.CommunityBytes) {
		return x.oldestIn(u)
	}
	if x.n+1 > lim.PendingOps || x.bytes+size > lim.PendingBytes {
		// The community holding the most bytes gives way.
		var big *usage
		for _, c := range slices.SortedFunc(maps.Keys(x.byComm), crdt.ID.Compare) {
			if u := x.byComm[c]; big == nil || u.bytes > big.bytes {
				big = u
			}
		}
		if big != nil {
			return x.oldestIn(big)
		}
	}
	return crdt.ID{}, false
}

// readPending reads parked op id's record; lost reports a record that is
// gone or does not decode, which is dropped (sync fetches the op again).
func (s *DS) readPending(ctx context.Context, id crdt.ID) (rec pendingRecord, op *crdt.Op, lost bool, err error) {
	raw, err := s.ds.Get(ctx, pendKey(id))
	if errors.Is(err, datastore.ErrNotFound) {
		return rec, nil, true, nil
	}
	if err != nil {
		return rec, nil, false, err
	}
	if err := pendDec.Unmarshal(raw, &rec); err != nil {
		return rec, nil, true, nil
	}
	if op, err = crdt.DecodeOp(rec.Op); err != nil {
		return rec, nil, true, nil
	}
	return rec, op, false, nil
}

func encodePending(op []byte, missing []crdt.ID, at int64) []byte {
	rec := pendingRecord{Op: op, At: at}
	for _, m := range missing {
		rec.Missing = append(rec.Missing, m[:])
	}
	raw, err := crdt.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("store: encode pending record: %v", err)) // byte strings always encode
	}
	return raw
}

// loadPending rebuilds the index from the /p/ records, drops what does not
// decode, removes the wait index older versions kept under /w/, and
// evicts what is over the limits (limits may have been lowered, or records
// from before per-community bounds exceed them).
func (s *DS) loadPending(ctx context.Context) error {
	s.pend = newPendingIndex()
	type entry struct {
		id crdt.ID
		p  *parked
	}
	var entries []entry
	var drop []datastore.Key
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: "/p/"})
	if err != nil {
		return err
	}
	for r := range res.Next() {
		if r.Error != nil {
			res.Close()
			return r.Error
		}
		id, err := parseID(strings.TrimPrefix(r.Key, "/p/"))
		if err != nil {
			drop = append(drop, datastore.RawKey(r.Key))
			continue
		}
		p, err := decodeParked(id, r.Value)
		if err != nil {
			drop = append(drop, datastore.RawKey(r.Key)) // sync fetches the op again
			continue
		}
		entries = append(entries, entry{id, p})
	}
	res.Close()
	err = s.keys(ctx, "/w/", func(rest string) error {
		drop = append(drop, datastore.RawKey("/w/"+rest))
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.p.at, b.p.at), a.id.Compare(b.id))
	})
	for _, e := range entries {
		s.pend.add(e.id, e.p)
	}
	for _, k := range slices.SortedFunc(maps.Keys(s.pend.byAuthor), func(a, b authorKey) int {
		return cmp.Or(a.community.Compare(b.community), slices.Compare(a.author[:], b.author[:]))
	}) {
		for {
			u := s.pend.byAuthor[k]
			if u == nil || (u.n <= s.lim.AuthorOps && u.bytes <= s.lim.AuthorBytes) {
				break
			}
			v, _ := s.pend.oldestIn(u)
			drop = append(drop, pendKey(v))
			s.pend.remove(v)
		}
	}
	for _, c := range slices.SortedFunc(maps.Keys(s.pend.byComm), crdt.ID.Compare) {
		for {
			u := s.pend.byComm[c]
			if u == nil || (u.n <= s.lim.CommunityOps && u.bytes <= s.lim.CommunityBytes) {
				break
			}
			v, _ := s.pend.oldestIn(u)
			drop = append(drop, pendKey(v))
			s.pend.remove(v)
		}
	}
	for s.pend.n > s.lim.PendingOps || s.pend.bytes > s.lim.PendingBytes {
		v, _ := s.pend.victim(s.lim, authorKey{}, 0)
		drop = append(drop, pendKey(v))
		s.pend.remove(v)
	}
	if len(drop) == 0 {
		return nil
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return err
	}
	for _, k := range drop {
		if err := b.Delete(ctx, k); err != nil {
			return err
		}
	}
	return b.Commit(ctx)
}

// decodeParked reads the index entry of parked record raw. The op was
// checked when it was parked and is checked again when it is released, so
// only its envelope is decoded here (no signature check).
func decodeParked(id crdt.ID, raw []byte) (*parked, error) {
	var rec pendingRecord
	if err := pendDec.Unmarshal(raw, &rec); err != nil {
		return nil, err
	}
	op, err := crdt.DecodeStored(rec.Op, id)
	if err != nil {
		return nil, err
	}
	p := &parked{community: op.CommunityID(), author: op.Author, at: rec.At, size: len(raw)}
	for _, m := range rec.Missing {
		if len(m) != len(crdt.ID{}) {
			return nil, errors.New("bad missing id")
		}
		p.missing = append(p.missing, crdt.ID(m))
	}
	if len(p.missing) == 0 {
		return nil, errors.New("waits for nothing")
	}
	return p, nil
}

// AddPending implements OpStore.
func (s *DS) AddPending(ctx context.Context, op *crdt.Op, missing []crdt.ID, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := op.ID()
	if s.pend.ops[id] != nil {
		return nil
	}
	missing = slices.Compact(crdt.SortIDs(slices.Clone(missing)))
	if len(missing) == 0 {
		return fmt.Errorf("park op %s: it waits for nothing", id.Short())
	}
	if len(missing) > maxMissing { // its record could not be read back
		return fmt.Errorf("park op %s: it waits for %d ids, at most %d", id.Short(), len(missing), maxMissing)
	}
	ms := at.UnixMilli()
	raw := encodePending(op.Bytes(), missing, ms)
	k := authorKey{op.CommunityID(), op.Author}
	if len(raw) > min(s.lim.AuthorBytes, s.lim.CommunityBytes, s.lim.PendingBytes) {
		return fmt.Errorf("park op %s: %w: %d bytes is more than a quota holds", id.Short(), ErrPendingFull, len(raw))
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("park op %s: %w", id.Short(), err)
	}
	// Evict in memory first; if the write fails, memory is rebuilt from
	// what the datastore holds.
	for {
		v, ok := s.pend.victim(s.lim, k, len(raw))
		if !ok {
			break
		}
		if err := b.Delete(ctx, pendKey(v)); err != nil {
			return s.pendingFailed(ctx, id, err)
		}
		s.pend.remove(v)
	}
	if err := b.Put(ctx, pendKey(id), raw); err != nil {
		return s.pendingFailed(ctx, id, err)
	}
	if err := b.Commit(ctx); err != nil {
		return s.pendingFailed(ctx, id, err)
	}
	s.pend.add(id, &parked{community: k.community, author: k.author, at: ms, size: len(raw), missing: missing})
	return nil
}

// pendingFailed rebuilds the index after a failed write and returns the
// error.
func (s *DS) pendingFailed(ctx context.Context, id crdt.ID, err error) error {
	if lerr := s.loadPending(ctx); lerr != nil {
		err = errors.Join(err, fmt.Errorf("reload pending: %w", lerr))
	}
	return fmt.Errorf("park op %s: %w", id.Short(), err)
}

// TakeReady implements OpStore.
func (s *DS) TakeReady(ctx context.Context, id crdt.ID) ([]*crdt.Op, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.pend.waiters[id]
	if len(ws) == 0 {
		return nil, nil
	}
	// In park order, so replicas release in a deterministic order.
	waiters := slices.SortedFunc(maps.Keys(ws), func(a, b crdt.ID) int {
		return cmp.Compare(s.pend.ops[a].seq, s.pend.ops[b].seq)
	})
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return nil, fmt.Errorf("take ready on %s: %w", id.Short(), err)
	}
	type change struct {
		id   crdt.ID
		size int // 0: removed
		rest []crdt.ID
	}
	var changes []change
	var ready []*crdt.Op
	for _, w := range waiters {
		p := s.pend.ops[w]
		rest := slices.DeleteFunc(slices.Clone(p.missing), func(m crdt.ID) bool { return m == id })
		rec, op, lost, err := s.readPending(ctx, w)
		switch {
		case err != nil:
			return nil, fmt.Errorf("take ready on %s: %w", id.Short(), err)
		case lost:
			b.Delete(ctx, pendKey(w))
			changes = append(changes, change{id: w})
		case len(rest) == 0:
			b.Delete(ctx, pendKey(w))
			changes = append(changes, change{id: w})
			ready = append(ready, op)
		default:
			raw := encodePending(rec.Op, rest, rec.At)
			b.Put(ctx, pendKey(w), raw)
			changes = append(changes, change{id: w, size: len(raw), rest: rest})
		}
	}
	if err := b.Commit(ctx); err != nil {
		return nil, fmt.Errorf("take ready on %s: %w", id.Short(), err)
	}
	for _, c := range changes {
		if c.size == 0 {
			s.pend.remove(c.id)
			continue
		}
		s.pend.ops[c.id].missing = c.rest
		delete(s.pend.waiters[id], c.id)
		s.pend.resize(c.id, c.size)
	}
	delete(s.pend.waiters, id)
	return ready, nil
}

// ExpirePending implements OpStore.
func (s *DS) ExpirePending(ctx context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := now.Add(-s.lim.PendingAge).UnixMilli()
	if s.pend.oldest > cutoff {
		return 0, nil
	}
	var old []crdt.ID
	oldest := int64(math.MaxInt64)
	for id, p := range s.pend.ops {
		if p.at <= cutoff {
			old = append(old, id)
		} else {
			oldest = min(oldest, p.at)
		}
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return 0, fmt.Errorf("expire parked ops: %w", err)
	}
	for _, id := range old {
		if err := b.Delete(ctx, pendKey(id)); err != nil {
			return 0, fmt.Errorf("expire parked ops: %w", err)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return 0, fmt.Errorf("expire parked ops: %w", err)
	}
	for _, id := range old {
		s.pend.remove(id)
	}
	s.pend.oldest = oldest
	for _, u := range s.pend.byComm {
		s.pend.compact(u)
	}
	for _, u := range s.pend.byAuthor {
		s.pend.compact(u)
	}
	return len(old), nil
}

// Missing implements OpStore.
func (s *DS) Missing(ctx context.Context, community crdt.ID, max int) ([]crdt.ID, error) {
	s.mu.Lock()
	want := map[crdt.ID]bool{}
	for _, p := range s.pend.ops {
		if p.community != community {
			continue
		}
		for _, m := range p.missing {
			if s.pend.ops[m] == nil {
				want[m] = true
			}
		}
	}
	s.mu.Unlock()
	var out []crdt.ID
	for _, id := range slices.SortedFunc(maps.Keys(want), crdt.ID.Compare) {
		if len(out) >= max {
			break
		}
		stored, err := s.ds.Has(ctx, opKey(id))
		if err != nil {
			return nil, fmt.Errorf("list missing: %w", err)
		}
		if !stored {
			out = append(out, id)
		}
	}
	return out, nil
}

// Parked implements OpStore.
func (s *DS) Parked(_ context.Context, id crdt.ID) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pend.ops[id]
	return ok, nil
}

// PendingLen implements OpStore.
func (s *DS) PendingLen(context.Context) (int, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pend.n, s.pend.bytes, nil
}

// PendingOf implements OpStore.
func (s *DS) PendingOf(_ context.Context, community crdt.ID) (int, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.pend.byComm[community]; u != nil {
		return u.n, u.bytes, nil
	}
	return 0, 0, nil
}
