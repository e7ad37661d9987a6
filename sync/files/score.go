package files

import (
	"cmp"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// How long a source that failed a download is left out of the next ones,
// by what it did, and how many such sources a node remembers.
//
// A source (a member's node or a relay, alike) that sent a chunk or a tree
// that failed verification is left out of every download for BadFor; one
// that stalled, which an overloaded or flaky peer does without lying, for
// StallFor. A source left out is still asked when the sources left in
// cannot finish the file (none of them holds what is missing), the one
// that stalled before the one that lied; and a source that then serves a
// download well is forgotten at once. The record is per node and not
// persisted; at most MaxScored sources are remembered, so a malicious
// peer with many identities cannot grow it: past that, the records that
// would end first go.
const (
	BadFor    = 10 * time.Minute
	StallFor  = 2 * time.Minute
	MaxScored = 1024
)

// fault is what a source did wrong, the heavier the greater.
type fault int

const (
	faultNone fault = iota
	faultStalled
	faultBadData
)

// faultOf is the fault blob.Fetch reported with err.
func faultOf(err error) fault {
	switch {
	case errors.Is(err, blob.ErrChunk):
		return faultBadData
	case errors.Is(err, blob.ErrStalled):
		return faultStalled
	}
	return faultNone
}

// reason is the fault as api.RefusedSource says it.
func (f fault) reason() string {
	if f == faultBadData {
		return api.RefusedBadData
	}
	return api.RefusedStalled
}

// penalty is how long a fault leaves its source out.
func (f fault) penalty() time.Duration {
	if f == faultBadData {
		return BadFor
	}
	return StallFor
}

// mark is a source's record: its heaviest fault not yet expired, and
// until when it is left out.
type mark struct {
	fault fault
	until time.Time
}

// scores are the sources a node leaves out of downloads for a while.
type scores struct {
	now func() time.Time
	log *slog.Logger

	mu sync.Mutex
	m  map[string]mark // guarded by mu; by peer id, at most MaxScored
}

func newScores(now func() time.Time, log *slog.Logger) *scores {
	return &scores{now: now, log: log, m: map[string]mark{}}
}

// report records that the source with peer id failed a download with err
// (what blob.Fetch told Options.Bad), and logs it; it returns the fault,
// faultNone for an error that blames no one.
func (s *scores) report(id string, err error) fault {
	f := faultOf(err)
	if f == faultNone {
		return f
	}
	now := s.now()
	next := mark{fault: f, until: now.Add(f.penalty())}
	s.mu.Lock()
	if old, ok := s.m[id]; ok && old.until.After(now) {
		next.fault = max(next.fault, old.fault)
		if old.until.After(next.until) {
			next.until = old.until
		}
	} else if !ok && len(s.m) >= MaxScored {
		s.evict(now)
	}
	s.m[id] = next
	s.mu.Unlock()
	if f == faultBadData {
		s.log.Warn("file source sent bad data; left out of downloads", "peer", id, "for", BadFor, "err", err)
	} else {
		s.log.Info("file source stalled; left out of downloads", "peer", id, "for", StallFor, "err", err)
	}
	return f
}

// evict makes room for new records: it drops those expired, or else the
// eighth of them that would end first, so that a flood of new sources
// costs one pass over the records per MaxScored/8 of them. s.mu is held.
func (s *scores) evict(now time.Time) {
	type rec struct {
		id    string
		until time.Time
	}
	recs := make([]rec, 0, len(s.m))
	for id, m := range s.m {
		if !m.until.After(now) {
			delete(s.m, id)
			continue
		}
		recs = append(recs, rec{id, m.until})
	}
	if len(s.m) < MaxScored {
		return
	}
	slices.SortFunc(recs, func(a, b rec) int { return a.until.Compare(b.until) })
	for _, r := range recs[:len(recs)/8] {
		delete(s.m, r.id)
	}
}

// forgive forgets the record of the source with peer id, which served a
// download well.
func (s *scores) forgive(id string) {
	s.mu.Lock()
	_, ok := s.m[id]
	delete(s.m, id)
	s.mu.Unlock()
	if ok {
		s.log.Info("file source served well again; no longer left out", "peer", id)
	}
}

// split parts peers into those a download asks and those it leaves out
// unless the others cannot finish the file, the lighter fault first, then
// the one whose record ends first.
func (s *scores) split(peers []Peer) (in, out []Peer, marks map[string]mark) {
	now := s.now()
	marks = map[string]mark{}
	s.mu.Lock()
	for _, p := range peers {
		m, ok := s.m[p.ID]
		if ok && !m.until.After(now) {
			delete(s.m, p.ID)
			ok = false
		}
		if !ok {
			in = append(in, p)
			continue
		}
		marks[p.ID] = m
		out = append(out, p)
	}
	s.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Peer) int {
		ma, mb := marks[a.ID], marks[b.ID]
		return cmp.Or(cmp.Compare(ma.fault, mb.fault), ma.until.Compare(mb.until))
	})
	return in, out, marks
}

// len is how many sources are remembered.
func (s *scores) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
