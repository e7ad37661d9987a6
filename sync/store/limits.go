package store

import (
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Limits bound the pending buffer. Every field must be positive.
type Limits struct {
	// PendingOps and PendingBytes bound all parked ops (bytes are those of
	// their stored records).
	PendingOps, PendingBytes int
	// CommunityOps and CommunityBytes bound one community's parked ops.
	CommunityOps, CommunityBytes int
	// AuthorOps and AuthorBytes bound one author's parked ops in one
	// community.
	AuthorOps, AuthorBytes int
	// PendingAge is how long an op stays parked waiting for what it cites.
	PendingAge time.Duration
}

// DefaultLimits returns the limits used when nothing is said.
//
// Honest ops park briefly: gossip brought an op before its parents, or
// its group's epoch key has not arrived, and sync fetches what is missing
// within a sync interval or two. So a community's bound is what the whole
// buffer used to be (10,000 ops, 64 MiB: a joiner catching up on a busy
// community parks far fewer), and one author gets a tenth of it — far more
// than an honest member has in flight, yet a member who signs junk citing
// parents that do not exist fills only its own share. Overall 50,000 ops
// and 256 MiB leave room for five full communities before the fullest
// gives way. Ops that wait six hours wait for something no member holds
// (sync would have brought it): they expire, and sync fetches them again
// if their parents ever appear.
func DefaultLimits() Limits {
	return Limits{
		PendingOps: 50_000, PendingBytes: 256 << 20,
		CommunityOps: 10_000, CommunityBytes: 64 << 20,
		AuthorOps: 1_000, AuthorBytes: 8 << 20,
		PendingAge: 6 * time.Hour,
	}
}

// Validate checks the limits.
func (l Limits) Validate() error {
	if l.PendingOps <= 0 || l.PendingBytes <= 0 || l.CommunityOps <= 0 || l.CommunityBytes <= 0 ||
		l.AuthorOps <= 0 || l.AuthorBytes <= 0 || l.PendingAge <= 0 {
		return fmt.Errorf("store limits: every bound must be positive, got %+v", l)
	}
	return nil
}

// maxMissing bounds what one parked op waits for: its parents and deps
// (the replica parks an op on those it lacks), or the one community or
// epoch it waits for.
const maxMissing = crdt.MaxParents + crdt.MaxDeps

// pendDec reads parked ops' records (pendingRecord), as strictly as
// anything else, within their own limits:
//   - nesting: the record's map holds the Missing array: 2 levels;
//   - arrays: maxMissing ids;
//   - maps: the record's 3 fields (the library's floors are above all).
var pendDec = crdt.MustDecoder(crdt.DecodeLimits{MaxNested: 2, MaxArray: maxMissing, MaxMap: 3})

// Badger's memory on a desktop (OpenBadger). The memtable takes writes
// until it is flushed to a table: 8 MiB flushes a 100,000-op catch-up in
// about eight tables, which compaction merges in the background. The block
// cache keeps decrypted, decompressed blocks: the node reads its ops once
// at start and answers peers from memory (package replica), so it serves
// mostly the lookups of ops being written. The index cache bounds the
// table indexes and bloom filters kept in memory.
const (
	memTableSize   = 8 << 20
	blockCacheSize = 8 << 20
	indexCacheSize = 8 << 20
)
