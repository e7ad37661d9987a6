// Package store keeps Umbrella's operations — on disk in Badger v4, or in
// memory for tests — through the go-datastore interface: the ops themselves,
// the heads of every log, and a bounded buffer of ops that wait for missing
// parents or deps.
//
// The store never judges an op: authority, ordering and state are the
// replica's and crdt's business. It stores what it is handed, answers what
// it holds, and bounds what it parks: per (community, author), per
// community and in all, the oldest giving way, so one member's or one
// community's parked junk never keeps another's ops out; parked ops expire
// after Limits.PendingAge (see DefaultLimits for the numbers and why).
//
// # Key layout
//
//	/o/<id>                                   the op's /l/ key: where its bytes are
//	/l/<community>/<log>/<height:016x>/<id>   the op's canonical encoding, in log order
//	/h/<community>/<log>/<id>                 empty; the log's heads
//	/g/<community>/<log>                      empty; the log exists
//	/p/<id>                                   a parked op: CBOR {1: op, 2: [missing ids], 3: parked at, Unix ms}
//	/t/<community>/<Unix ms:016x>/<id>        empty; a relay's op it may prune (prune.go); a pruned op's /l/ value is empty
//
// Ids are lowercase hex; the control log is the all-zero id, so it sorts
// first among a community's logs. Keeping the bytes under the ordered /l/
// key lets a node rebuild a community with one sequential scan; a lookup by
// id costs two reads.
//
// # Durability
//
// Writes are not synced one by one: a write survives a crash of the
// process at once, and a crash of the machine (a power cut) once Sync has
// returned. The node calls Sync before it acknowledges an op its member
// wrote; ops received from peers are left to Badger's own flushing, since
// a pull fetches them again. Badger's Sync covers its current write-ahead
// log and the value log: a write that a memtable switch (every 16 MiB of
// writes) moved into the previous log between the write and the Sync is
// durable once that memtable is flushed to a table, moments later.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	datastore "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	badger4 "github.com/ipfs/go-ds-badger4"
	logging "github.com/ipfs/go-log/v2"
	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Errors callers branch on.
var (
	// ErrNotFound: the store does not hold that op.
	ErrNotFound = errors.New("op not found")
	// ErrMissingParents: Put was given an op whose parents are not stored.
	ErrMissingParents = errors.New("parents not stored")
	// ErrPendingFull: the pending buffer is at its bound.
	ErrPendingFull = errors.New("pending buffer full")
	// ErrWrongKey: OpenBadger was given an encryption key (or none) that
	// is not the one the database was made with.
	ErrWrongKey = errors.New("the encryption key does not open this database")
	// ErrCorrupt: the database's files are damaged, so OpenBadger could
	// not open it. No data was deleted or changed.
	ErrCorrupt = errors.New("the database files are damaged")
	// ErrInUse: another process has the database open (Badger's directory
	// lock), so OpenBadger could not open it. Nothing is wrong with it.
	ErrInUse = errors.New("another process is using the database")
)

// OpStore keeps verified ops, the heads of every log, and a bounded buffer of
// ops that wait for missing parents or deps. Implementations are safe for
// concurrent use.
type OpStore interface {
	// Put stores op.Op, whose parents must all be stored already (else an
	// error wrapping ErrMissingParents), and beside it the clear body this
	// node read from it (op.Plain), if any. The op becomes a head of its
	// log and its parents stop being heads. Putting a stored op again does
	// nothing.
	Put(ctx context.Context, op crdt.Opened) error
	// PutBatch stores ops in one write, as if each were Put in order: each
	// op's parents are stored or earlier in ops. On error nothing is stored.
	PutBatch(ctx context.Context, ops []crdt.Opened) error
	// Get returns a stored op (without its clear body), or an error
	// wrapping ErrNotFound.
	Get(ctx context.Context, id crdt.ID) (*crdt.Op, error)
	// Encodings returns the encodings of ops, stored ops, each read by its
	// log key (one read, in one read transaction for all): for ops that
	// no longer keep their encoding in memory (crdt.Op.Encoded). Each is
	// checked to hash to its op's id. An op that is not stored, or whose
	// content was pruned, gets nil.
	Encodings(ctx context.Context, ops []*crdt.Op) ([][]byte, error)
	// Has reports whether op id is stored.
	Has(ctx context.Context, id crdt.ID) (bool, error)
	// Heads returns the sorted ids of the log's ops that no stored op names
	// as parent. log is crdt.ZeroID for the control log, else the group id.
	Heads(ctx context.Context, community, log crdt.ID) ([]crdt.ID, error)
	// Ops calls fn for each op of the log, with the clear body stored
	// beside it, in ascending (height, id) order, streaming; fn's error
	// stops the walk and is returned.
	Ops(ctx context.Context, community, log crdt.ID, fn func(crdt.Opened) error) error
	// Count returns how many ops a log holds.
	Count(ctx context.Context, community, log crdt.ID) (int, error)
	// Communities lists the communities with stored ops, sorted.
	Communities(ctx context.Context) ([]crdt.ID, error)
	// Logs lists a community's logs that hold ops, sorted (control log first).
	Logs(ctx context.Context, community crdt.ID) ([]crdt.ID, error)

	// AddPending parks op, which waits for the ids in missing, as parked
	// at time at. The buffer is bounded per (community, author), per
	// community and in all (Limits): when a bound is reached the oldest
	// parked op of that author, of that community, or of the community
	// holding the most gives way, so one author's or one community's ops
	// never keep another's out. An op larger than a quota is refused with
	// an error wrapping ErrPendingFull. Parking a parked op does nothing.
	AddPending(ctx context.Context, op *crdt.Op, missing []crdt.ID, at time.Time) error
	// TakeReady is called after op id was stored: it crosses id off every
	// parked op's missing list and removes and returns those that now wait
	// for nothing, in the order they were parked.
	TakeReady(ctx context.Context, id crdt.ID) ([]*crdt.Op, error)
	// Missing returns up to max sorted ids that community's parked ops
	// wait for and that are neither stored nor parked themselves.
	Missing(ctx context.Context, community crdt.ID, max int) ([]crdt.ID, error)
	// ExpirePending drops the ops parked Limits.PendingAge or longer
	// before now and returns how many it dropped.
	ExpirePending(ctx context.Context, now time.Time) (int, error)
	// Parked reports whether op id is parked.
	Parked(ctx context.Context, id crdt.ID) (bool, error)
	// PendingLen returns the number of parked ops and their encoded bytes.
	PendingLen(ctx context.Context) (n, bytes int, err error)
	// PendingOf returns the number of community's parked ops and their
	// encoded bytes.
	PendingOf(ctx context.Context, community crdt.ID) (n, bytes int, err error)

	// PutMeta stores a small value under key, next to the ops (a node's
	// per-community secrets and settings); GetMeta returns it, or an error
	// wrapping ErrNotFound.
	PutMeta(ctx context.Context, key string, value []byte) error
	GetMeta(ctx context.Context, key string) ([]byte, error)

	// Sync makes everything written so far durable: on disk, it returns
	// once the writes reach stable storage, so they survive a power cut.
	// Writes are otherwise flushed lazily (they survive a crash of the
	// process, not of the machine).
	Sync(ctx context.Context) error

	// Close releases the store.
	Close() error
}

// DS is an OpStore over any go-datastore Batching datastore.
type DS struct {
	ds  datastore.Batching
	lim Limits

	// db is the Badger database under ds when OpenBadger opened it: Ops
	// scans it directly (badgerOps); dir is its directory, absolute and
	// without symbolic links (ReleaseTablePages).
	db  *badger.DB
	dir string

	mu     sync.Mutex
	counts map[string]int // log prefix → op count, filled lazily; guarded by mu
	pend   pendingIndex   // the parked ops; guarded by mu
}

var _ OpStore = (*DS)(nil)

// New returns a store over ds.
func New(ds datastore.Batching, lim Limits) (*DS, error) {
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	s := &DS{ds: ds, lim: lim, counts: map[string]int{}}
	if err := s.loadPending(context.Background()); err != nil {
		return nil, fmt.Errorf("scan pending: %w", err)
	}
	return s, nil
}

// NewMemory returns a store in memory, for tests and ephemeral nodes.
func NewMemory() *DS {
	s, err := New(dssync.MutexWrap(datastore.NewMapDatastore()), DefaultLimits())
	if err != nil {
		panic(err) // default limits are valid and an empty map cannot fail
	}
	return s
}

// BadgerOptions configure the on-disk store.
type BadgerOptions struct {
	// EncryptionKey, when set, encrypts the database at rest (16, 24 or 32 bytes).
	EncryptionKey []byte
	// Limits bound the pending buffer; zero means DefaultLimits.
	Limits Limits
	// NoCompression stores blocks uncompressed (tests that scan the files
	// for text use it, so compression cannot hide what is there).
	NoCompression bool
}

// OpenBadger opens (creating if needed) a Badger v4 store in dir. Writes
// are not synced one by one (Badger's SyncWrites is off): Sync makes them
// durable when it matters. A key that does not open the database gives an
// error wrapping ErrWrongKey; damaged files, one wrapping ErrCorrupt.
// Either way nothing in dir is changed.
func OpenBadger(dir string, o BadgerOptions) (*DS, error) {
	if err := checkBadgerFiles(dir); err != nil {
		return nil, err
	}
	opts := badger4.DefaultOptions
	opts.GcInterval = 0 // the node runs value-log GC itself when it matters
	bo := badger.DefaultOptions(dir).
		// Sized for a desktop that holds its communities in memory
		// (package replica) and reads the store mostly once, at start:
		// a memtable's arena (about 1.3 times its size) and the block
		// cache stay on the heap for the node's life.
		WithMemTableSize(memTableSize).
		WithBlockCacheSize(blockCacheSize).
		// Table indexes and bloom filters live in a bounded cache rather
		// than all on the heap.
		WithIndexCacheSize(indexCacheSize).
		WithValueLogFileSize(64 << 20).
		WithNumVersionsToKeep(1)
	if len(o.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(o.EncryptionKey)
	}
	if o.NoCompression {
		bo = bo.WithCompression(options.None)
	}
	opts.Options = bo
	// go-ds-badger4 logs Badger through go-log's "badger4" logger, whatever
	// logger it is given. While opening, Badger's own account of a failure
	// ("Encryption key mismatch. Cleaning up...") would stand above the
	// error returned here, which says what is wrong and what to do.
	logging.SetLogLevel("badger4", "fatal")
	ds, err := badger4.NewDatastore(dir, &opts)
	logging.SetLogLevel("badger4", "error")
	switch {
	case errors.Is(err, badger.ErrEncryptionKeyMismatch):
		return nil, fmt.Errorf("%s: %w", dir, ErrWrongKey)
	case err != nil && isLocked(err):
		return nil, fmt.Errorf("%s: %w", dir, ErrInUse)
	case err != nil && isCorruption(err):
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
	case err != nil:
		return nil, fmt.Errorf("open badger store in %s: %w", dir, err)
	}
	if err := verifyTables(ds.DB); err != nil {
		ds.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
	}
	lim := o.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits()
	}
	s, err := New(ds, lim)
	if err != nil {
		ds.Close()
		return nil, err
	}
	s.db = ds.DB
	if abs, err := filepath.Abs(dir); err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			s.dir = real
		}
	}
	return s, nil
}

// checkBadgerFiles refuses a database directory whose tables or logs have
// lost their MANIFEST: Badger would open it as empty and delete the tables
// it does not know.
func checkBadgerFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open badger store in %s: %w", dir, err)
	}
	hasManifest, hasData := false, false
	for _, e := range entries {
		switch name := e.Name(); {
		case name == badger.ManifestFilename:
			hasManifest = true
		case filepath.Ext(name) == ".sst" || filepath.Ext(name) == ".vlog":
			hasData = true
		}
	}
	if hasData && !hasManifest {
		return fmt.Errorf("%w: %s: its MANIFEST file is missing", ErrCorrupt, dir)
	}
	return nil
}

// isCorruption reports whether an error of badger.Open means damaged files
// rather than a condition of the system that goes away when fixed
// (permissions, a full disk, too many open files), which Badger passes on
// as the system's error.
// isLocked reports whether err is Badger's refusal to open a directory
// another process holds. Badger formats the flock error into its message
// (%+v, not %w), so neither a sentinel nor the errno survives: its words are
// the only sign, and without this check isCorruption would call a database
// in use damaged.
func isLocked(err error) bool {
	return strings.Contains(err.Error(), "Cannot acquire directory lock")
}

func isCorruption(err error) bool {
	var pathErr *fs.PathError
	var errno syscall.Errno
	return !errors.As(err, &pathErr) && !errors.As(err, &errno)
}

// verifyTables checks the checksum of every block of every table. Badger
// reads a table's index to open it but not its blocks, and its iterators
// end quietly at a block that does not decode: a damaged block would make
// a node start as if its data were gone, rather than say it is damaged.
// Badger v4.5.1 dereferences nil on the error path of this check (it names
// the failed block's offset); a panic here is that error.
func verifyTables(db *badger.DB) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("a table block fails its checksum (%v)", p)
		}
	}()
	if err := db.VerifyChecksum(); err != nil {
		return fmt.Errorf("checksum: %w", err)
	}
	return nil
}

func hx(id crdt.ID) string { return hex.EncodeToString(id[:]) }

func opKey(id crdt.ID) datastore.Key { return idKey("/o/", id) }
func logPrefix(c, l crdt.ID) string  { return "/l/" + hx(c) + "/" + hx(l) + "/" }
func headPrefix(c, l crdt.ID) string { return "/h/" + hx(c) + "/" + hx(l) + "/" }
func pendKey(id crdt.ID) datastore.Key {
	return datastore.RawKey("/p/" + hx(id))
}

// appendLogKey appends an op's /l/ key, lp + <height:016x>/<id>, to dst.
func appendLogKey(dst []byte, lp string, height uint64, id crdt.ID) []byte {
	const digits = "0123456789abcdef"
	dst = append(dst, lp...)
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[height>>uint(shift)&0xf])
	}
	dst = append(dst, '/')
	return hex.AppendEncode(dst, id[:])
}

// idKey is prefix followed by id in hex.
func idKey(prefix string, id crdt.ID) datastore.Key {
	b := make([]byte, 0, len(prefix)+2*len(id))
	return datastore.RawKey(string(hex.AppendEncode(append(b, prefix...), id[:])))
}

func parseID(s string) (crdt.ID, error) {
	var id crdt.ID
	if len(s) != 64 {
		return id, fmt.Errorf("stored key has malformed id %q", s)
	}
	_, err := hex.Decode(id[:], []byte(s))
	return id, err
}

// Put implements OpStore.
func (s *DS) Put(ctx context.Context, op crdt.Opened) error {
	return s.PutBatch(ctx, []crdt.Opened{op})
}

// PutBatch implements OpStore: one datastore batch for all of ops.
func (s *DS) PutBatch(ctx context.Context, ops []crdt.Opened) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Ops already stored are skipped; parents must be stored or come
	// earlier in ops. An op cited by a later op of the batch is never a head.
	in := make(map[crdt.ID]bool, len(ops))
	cited := map[crdt.ID]bool{}
	todo := ops[:0:0]
	// One read transaction answers every lookup of the batch, where
	// the datastore has them (Badger), rather than one each. Writes of
	// ops all hold s.mu, so what it sees is current.
	has := s.ds.Has
	if td, ok := s.ds.(datastore.TxnDatastore); ok {
		txn, err := td.NewTransaction(ctx, true)
		if err != nil {
			return fmt.Errorf("put %d ops: %w", len(ops), err)
		}
		defer txn.Discard(ctx)
		has = txn.Has
	}
	for _, x := range ops {
		op := x.Op
		id := op.ID()
		if in[id] {
			continue
		}
		// An op is stored only after its parents, so an op with a parent
		// new in this batch is new too (in a log's run of ops, all but the
		// first): only the others are looked up.
		if !slices.ContainsFunc(op.Parents, func(p crdt.ID) bool { return in[p] }) {
			if ok, err := has(ctx, opKey(id)); err != nil {
				return fmt.Errorf("put op %s: %w", id.Short(), err)
			} else if ok {
				continue
			}
		}
		for _, p := range op.Parents {
			if in[p] {
				cited[p] = true
				continue
			}
			ok, err := has(ctx, opKey(p))
			if err != nil {
				return fmt.Errorf("put op %s: %w", id.Short(), err)
			}
			if !ok {
				return fmt.Errorf("put op %s: parent %s: %w", id.Short(), p.Short(), ErrMissingParents)
			}
		}
		in[id] = true
		todo = append(todo, x)
	}
	if len(todo) == 0 {
		return nil
	}
	fail := func(op *crdt.Op, err error) error {
		return fmt.Errorf("put op %s: %w", op.ID().Short(), err)
	}
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fail(todo[0].Op, err)
	}
	added := map[string]int{}
	type logKeys struct{ lp, hp string }
	prefixes := map[[2]crdt.ID]logKeys{} // hex costs: once per log, not per op
	for _, x := range todo {
		op := x.Op
		id, c, l := op.ID(), op.CommunityID(), op.Log
		pk, ok := prefixes[[2]crdt.ID{c, l}]
		if !ok {
			pk = logKeys{logPrefix(c, l), headPrefix(c, l)}
			prefixes[[2]crdt.ID{c, l}] = pk
		}
		lp, hp := pk.lp, pk.hp
		lkb := appendLogKey(make([]byte, 0, len(lp)+16+1+2*len(id)), lp, op.Height, id) // the batch keeps it
		lk := string(lkb)
		if err := b.Put(ctx, opKey(id), lkb); err != nil {
			return fail(op, err)
		}
		if err := b.Put(ctx, datastore.RawKey(lk), storedValue(x)); err != nil {
			return fail(op, err)
		}
		if !cited[id] {
			if err := b.Put(ctx, idKey(hp, id), nil); err != nil {
				return fail(op, err)
			}
		}
		if added[lp] == 0 {
			if err := b.Put(ctx, datastore.RawKey("/g/"+hx(c)+"/"+hx(l)), nil); err != nil {
				return fail(op, err)
			}
		}
		added[lp]++
		for _, p := range op.Parents {
			if !in[p] {
				if err := b.Delete(ctx, idKey(hp, p)); err != nil {
					return fail(op, err)
				}
			}
		}
	}
	if err := b.Commit(ctx); err != nil {
		return fail(todo[0].Op, err)
	}
	for lp, k := range added {
		if n, ok := s.counts[lp]; ok {
			s.counts[lp] = n + k
		}
	}
	return nil
}

// A sealed op this node has opened is stored with its clear body, so the
// community can be rebuilt at start without the message keys (which the
// ratchet has moved past): 0xff, the uvarint length of the encoding, the
// encoding, the clear body. Other ops are stored as their encoding, which
// never starts with 0xff (a CBOR break). The database is encrypted at rest.
const withPlain = 0xff

func storedValue(x crdt.Opened) []byte {
	if !x.Op.Sealed() || x.Plain == nil {
		return x.Op.Bytes()
	}
	raw, plain := x.Op.Bytes(), x.Plain
	v := make([]byte, 0, 1+binary.MaxVarintLen64+len(raw)+len(plain))
	v = append(v, withPlain)
	v = binary.AppendUvarint(v, uint64(len(raw)))
	v = append(v, raw...)
	return append(v, plain...)
}

func splitStored(v []byte) (raw, plain []byte, err error) {
	if len(v) == 0 || v[0] != withPlain {
		return v, nil, nil
	}
	n, k := binary.Uvarint(v[1:])
	if k <= 0 || n > uint64(len(v)-1-k) {
		return nil, nil, errors.New("bad length of the stored encoding")
	}
	raw = v[1+k : 1+k+int(n)]
	return raw, v[1+k+int(n):], nil
}

// Get implements OpStore.
func (s *DS) Get(ctx context.Context, id crdt.ID) (*crdt.Op, error) {
	lk, err := s.ds.Get(ctx, opKey(id))
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, fmt.Errorf("get op %s: %w", id.Short(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get op %s: %w", id.Short(), err)
	}
	if !strings.HasPrefix(string(lk), "/l/") {
		return nil, fmt.Errorf("stored op %s is corrupt: bad index key %q", id.Short(), lk)
	}
	raw, err := s.ds.Get(ctx, datastore.RawKey(string(lk)))
	if err != nil {
		return nil, fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("get op %s: %w", id.Short(), ErrPruned)
	}
	// Ops were verified when they were stored; reading back checks the
	// encoding and that the bytes still hash to the id.
	raw, _, err = splitStored(raw)
	if err != nil {
		return nil, fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
	}
	op, err := crdt.DecodeStored(raw, id)
	if err != nil {
		return nil, fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
	}
	return op, nil
}

// Encodings implements OpStore.
func (s *DS) Encodings(ctx context.Context, ops []*crdt.Op) ([][]byte, error) {
	out := make([][]byte, len(ops))
	var key []byte
	keep := func(i int, v []byte) error {
		if len(v) == 0 {
			return nil // pruned (prune.go)
		}
		raw, _, err := splitStored(v)
		if err == nil && blake3.Sum256(raw) != ops[i].ID() {
			err = errors.New("its bytes hash to another id")
		}
		if err != nil {
			return fmt.Errorf("stored op %s is corrupt: %w", ops[i].ID().Short(), err)
		}
		out[i] = bytes.Clone(raw)
		return nil
	}
	var lc, ll crdt.ID // the log of lp: a fetch mostly asks for one log's ops
	lp := ""
	logKey := func(o *crdt.Op) []byte {
		if c := o.CommunityID(); lp == "" || c != lc || o.Log != ll {
			lc, ll, lp = c, o.Log, logPrefix(c, o.Log)
		}
		key = appendLogKey(key[:0], lp, o.Height, o.ID())
		return key
	}
	if s.db != nil {
		err := s.db.View(func(txn *badger.Txn) error {
			for i, o := range ops {
				item, err := txn.Get(logKey(o))
				if errors.Is(err, badger.ErrKeyNotFound) {
					continue
				}
				if err == nil {
					err = item.Value(func(v []byte) error { return keep(i, v) })
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read op encodings: %w", err)
		}
		return out, nil
	}
	for i, o := range ops {
		v, err := s.ds.Get(ctx, datastore.RawKey(string(logKey(o))))
		if errors.Is(err, datastore.ErrNotFound) {
			continue
		}
		if err == nil {
			err = keep(i, v)
		}
		if err != nil {
			return nil, fmt.Errorf("read op encodings: %w", err)
		}
	}
	return out, nil
}

// Has implements OpStore.
func (s *DS) Has(ctx context.Context, id crdt.ID) (bool, error) {
	ok, err := s.ds.Has(ctx, opKey(id))
	if err != nil {
		return false, fmt.Errorf("has op %s: %w", id.Short(), err)
	}
	return ok, nil
}

// keys returns the last path element of every key under prefix, in key order.
func (s *DS) keys(ctx context.Context, prefix string, fn func(rest string) error) error {
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: prefix, KeysOnly: true, Orders: []dsq.Order{dsq.OrderByKey{}}})
	if err != nil {
		return err
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			return r.Error
		}
		if err := fn(strings.TrimPrefix(r.Key, prefix)); err != nil {
			return err
		}
	}
	return nil
}

func (s *DS) idsUnder(ctx context.Context, prefix string) ([]crdt.ID, error) {
	var out []crdt.ID
	err := s.keys(ctx, prefix, func(rest string) error {
		id, err := parseID(rest)
		if err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	return out, err
}

// Heads implements OpStore.
func (s *DS) Heads(ctx context.Context, community, log crdt.ID) ([]crdt.ID, error) {
	ids, err := s.idsUnder(ctx, headPrefix(community, log))
	if err != nil {
		return nil, fmt.Errorf("heads of %s/%s: %w", community.Short(), log.Short(), err)
	}
	return ids, nil
}

// Ops implements OpStore. Ops are decoded one by one as the scan reads
// them: reading back skips the signature check (see crdt.DecodeStored), so
// decoding costs little beside the scan.
func (s *DS) Ops(ctx context.Context, community, log crdt.ID, fn func(crdt.Opened) error) error {
	prefix := logPrefix(community, log)
	if s.db != nil {
		return s.badgerOps(ctx, prefix, fn)
	}
	res, err := s.ds.Query(ctx, dsq.Query{Prefix: prefix, Orders: []dsq.Order{dsq.OrderByKey{}}})
	if err != nil {
		return err
	}
	defer res.Close()
	for r := range res.Next() {
		if r.Error != nil {
			return r.Error
		}
		_, idHex, ok := strings.Cut(strings.TrimPrefix(r.Key, prefix), "/")
		if !ok {
			return fmt.Errorf("malformed log index key %q", r.Key)
		}
		id, err := parseID(idHex)
		if err != nil {
			return err
		}
		if len(r.Value) == 0 {
			continue // pruned (prune.go)
		}
		raw, plain, err := splitStored(r.Value)
		if err != nil {
			return fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
		}
		if plain != nil {
			raw = bytes.Clone(raw) // the op keeps its encoding, not the clear body beside it
		}
		op, err := crdt.DecodeStored(raw, id)
		if err != nil {
			return fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
		}
		if err := fn(crdt.Opened{Op: op, Plain: plain}); err != nil {
			return err
		}
	}
	return nil
}

// badgerOps is Ops on Badger, reading each value in place rather than
// through the datastore's copy of it: each op gets its own copy of its
// encoding and nothing more, so what a node keeps of an op it loaded is
// its encoding once (the clear body stored beside it, which the caller
// decodes, is a copy of its own that the caller may drop).
func (s *DS) badgerOps(ctx context.Context, prefix string, fn func(crdt.Opened) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false // read in place below, in key order
		opt.Prefix = []byte(prefix)
		it := txn.NewIterator(opt)
		defer it.Close()
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			item := it.Item()
			key := item.Key()
			_, idHex, ok := strings.Cut(string(key[len(prefix):]), "/")
			if !ok {
				return fmt.Errorf("malformed log index key %q", key)
			}
			id, err := parseID(idHex)
			if err != nil {
				return err
			}
			var x crdt.Opened
			err = item.Value(func(v []byte) error {
				if len(v) == 0 {
					return nil // pruned (prune.go)
				}
				raw, plain, err := splitStored(v)
				if err != nil {
					return fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
				}
				op, err := crdt.DecodeStored(bytes.Clone(raw), id)
				if err != nil {
					return fmt.Errorf("stored op %s is corrupt: %w", id.Short(), err)
				}
				x = crdt.Opened{Op: op, Plain: bytes.Clone(plain)}
				return nil
			})
			if err != nil {
				return err
			}
			if x.Op != nil {
				if err := fn(x); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Count implements OpStore.
func (s *DS) Count(ctx context.Context, community, log crdt.ID) (int, error) {
	p := logPrefix(community, log)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.counts[p]; ok {
		return n, nil
	}
	n := 0
	if err := s.keys(ctx, p, func(string) error { n++; return nil }); err != nil {
		return 0, fmt.Errorf("count %s/%s: %w", community.Short(), log.Short(), err)
	}
	s.counts[p] = n
	return n, nil
}

// Communities implements OpStore.
func (s *DS) Communities(ctx context.Context) ([]crdt.ID, error) {
	var out []crdt.ID
	err := s.keys(ctx, "/g/", func(rest string) error {
		c, _, _ := strings.Cut(rest, "/")
		id, err := parseID(c)
		if err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1] != id {
			out = append(out, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list communities: %w", err)
	}
	return out, nil
}

// Logs implements OpStore.
func (s *DS) Logs(ctx context.Context, community crdt.ID) ([]crdt.ID, error) {
	ids, err := s.idsUnder(ctx, "/g/"+hx(community)+"/")
	if err != nil {
		return nil, fmt.Errorf("list logs of %s: %w", community.Short(), err)
	}
	return ids, nil
}

func metaKey(k string) datastore.Key { return datastore.RawKey("/m/" + hex.EncodeToString([]byte(k))) }

// PutMeta implements OpStore.
func (s *DS) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := s.ds.Put(ctx, metaKey(key), value); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// GetMeta implements OpStore.
func (s *DS) GetMeta(ctx context.Context, key string) ([]byte, error) {
	v, err := s.ds.Get(ctx, metaKey(key))
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return v, nil
}

// Sync implements OpStore. On Badger it syncs the write-ahead log and the
// value log (go-ds-badger4's Sync ignores the prefix and calls DB.Sync).
func (s *DS) Sync(ctx context.Context) error {
	if err := s.ds.Sync(ctx, datastore.RawKey("/")); err != nil {
		return fmt.Errorf("sync store: %w", err)
	}
	return nil
}

// Close implements OpStore.
func (s *DS) Close() error { return s.ds.Close() }
