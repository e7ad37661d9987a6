package blob

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// Errors of the store.
var (
	// ErrNoSpace refuses a download the disk has no room for.
	ErrNoSpace = errors.New("not enough disk space")
	// ErrIncomplete refuses to read a file whose chunks are not all held.
	ErrIncomplete = errors.New("file incomplete")
	// ErrBusy refuses to delete a file that is open.
	ErrBusy = errors.New("file in use")
	// ErrNotHeld is a chunk (or a tree) this node does not hold.
	ErrNotHeld = errors.New("not held")
)

// Store keeps files under one directory, each in a directory named by its
// root in hex:
//
//	size  the clear size in decimal, written once (temporary file, rename)
//	data  the ciphertext, written chunk by chunk at its offset
//	tree  the outboard bao tree, written whole (temporary file, rename)
//	have  the record of held chunks: 8 bytes a chunk, its index and a
//	      CRC-32 of the root and the index, both big-endian
//
// Chunks are written to data as they arrive and recorded in groups: after
// every CommitEvery chunks, when the file is complete and when it is
// closed, data is synced and then the group's records are appended to
// have, so a record never names a chunk that is not on disk; a kill at any
// moment loses at most the chunks whose records were not yet written: at
// most CommitEvery, however many sources a download has (no chunk is
// written while a group syncs), beside those in flight. One sync per
// group rather than per chunk keeps a download at the speed of the
// network. A
// torn or garbage record ends the record when the file is opened (it and
// what follows are cut off), so a file counts as complete only when every
// chunk has a good record.
type Store struct {
	dir  string
	free func(dir string) (uint64, error)

	mu   sync.Mutex
	open map[Root]*File
}

// NewStore returns the store in dir, creating dir if needed.
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &Store{dir: dir, free: freeSpace, open: make(map[Root]*File)}, nil
}

func (s *Store) path(r Root, name string) string {
	return filepath.Join(s.dir, hex.EncodeToString(r[:]), name)
}

// Add encrypts size clear bytes read from r under k into the store and
// returns the file, complete, with its root: what a sender does.
func (s *Store) Add(r io.Reader, size int64, k Key) (*File, error) {
	if err := CheckSize(size); err != nil {
		return nil, err
	}
	cs := CipherSize(size)
	if err := s.checkSpace(uint64(cs) + uint64(TreeSize(cs))); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(s.dir, ".add-")
	if err != nil {
		return nil, fmt.Errorf("add file: %w", err)
	}
	defer os.RemoveAll(tmp)
	data, err := os.Create(filepath.Join(tmp, "data"))
	if err != nil {
		return nil, fmt.Errorf("add file: %w", err)
	}
	defer data.Close()
	// One pass: the ciphertext goes to disk and, through a pipe, to the
	// tree, which a second goroutine hashes while the next chunks are
	// encrypted.
	pr, pw := io.Pipe()
	var (
		tree    []byte
		root    Root
		treeErr error
		hashed  = make(chan struct{})
	)
	go func() {
		defer close(hashed)
		tree, root, treeErr = BuildTree(pr, cs)
		pr.CloseWithError(errors.Join(treeErr, errTreeDone)) // a write after the tree is done fails
	}()
	encErr := Encrypt(io.MultiWriter(data, pw), r, size, k)
	pw.CloseWithError(encErr)
	<-hashed
	if encErr != nil {
		return nil, encErr
	}
	if treeErr != nil {
		return nil, treeErr
	}
	if err := data.Sync(); err != nil {
		return nil, fmt.Errorf("add file: %w", err)
	}
	if err := writeAtomic(filepath.Join(tmp, "tree"), tree); err != nil {
		return nil, err
	}
	if err := writeAtomic(filepath.Join(tmp, "size"), []byte(strconv.FormatInt(size, 10))); err != nil {
		return nil, err
	}
	var log bytes.Buffer
	for i := range Chunks(size) {
		log.Write(record(root, i))
	}
	if err := writeAtomic(filepath.Join(tmp, "have"), log.Bytes()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dst := filepath.Dir(s.path(root, "data"))
	if _, err := os.Stat(dst); err == nil {
		if f, ok := s.open[root]; ok {
			f.refs++
			if !f.Complete() { // a download of the same file: finish it from here
				f.mu.Lock()
				defer f.mu.Unlock()
				return f, f.fillFrom(filepath.Join(tmp, "data"), tree)
			}
			return f, nil
		}
		if err := os.RemoveAll(dst); err != nil {
			return nil, fmt.Errorf("add file: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("add file: %w", err)
	}
	return s.openLocked(root, size)
}

// syncData syncs a file's data before its chunks are recorded (syncFile;
// tests hold a sync up).
var syncData = syncFile

// errTreeDone fails a write of ciphertext beyond what the tree hashed.
var errTreeDone = errors.New("tree complete")

// Open opens the file at root of size clear bytes, creating an empty one
// to download into; the caller closes it. A download first calls
// Reserve.
func (s *Store) Open(root Root, size int64) (*File, error) {
	if err := CheckSize(size); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openLocked(root, size)
}

func (s *Store) openLocked(root Root, size int64) (*File, error) {
	if f, ok := s.open[root]; ok {
		if f.size != size {
			return nil, fmt.Errorf("file %s is %d bytes, not %d", root.String()[:12], f.size, size)
		}
		f.refs++
		return f, nil
	}
	dir := filepath.Dir(s.path(root, "data"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	if got, err := readSize(s.path(root, "size")); err == nil {
		if got != size {
			return nil, fmt.Errorf("file %s is stored as %d bytes, not %d", root.String()[:12], got, size)
		}
	} else if err := writeAtomic(s.path(root, "size"), []byte(strconv.FormatInt(size, 10))); err != nil {
		return nil, err
	}
	f := &File{store: s, root: root, size: size, cipherSize: CipherSize(size), n: Chunks(size), refs: 1}
	f.have = make([]byte, (f.n+7)/8)
	f.synced.L = &f.mu
	var err error
	if f.data, err = os.OpenFile(s.path(root, "data"), os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	if err := f.loadHave(); err != nil {
		f.data.Close()
		return nil, err
	}
	if tree, err := os.ReadFile(s.path(root, "tree")); err == nil && len(tree) == TreeSize(f.cipherSize) {
		f.tree = tree
	}
	s.open[root] = f
	return f, nil
}

// Reserve checks that the disk has room for the rest of the file at root
// of size clear bytes (a download calls it before it starts), failing
// with ErrNoSpace.
func (s *Store) Reserve(f *File) error {
	f.mu.Lock()
	need := uint64(f.cipherSize) - uint64(f.heldBytes()) + uint64(TreeSize(f.cipherSize))
	f.mu.Unlock()
	return s.checkSpace(need)
}

func (s *Store) checkSpace(need uint64) error {
	free, err := s.free(s.dir)
	if err != nil {
		return err
	}
	if free < need {
		return fmt.Errorf("%w: the file needs %d MB, %d MB free", ErrNoSpace, need>>20, free>>20)
	}
	return nil
}

// Delete removes the local copy of the file at root. A file still open
// is not deleted (ErrBusy).
func (s *Store) Delete(root Root) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.open[root]; ok {
		return fmt.Errorf("delete %s: %w", root.String()[:12], ErrBusy)
	}
	if err := os.RemoveAll(filepath.Dir(s.path(root, "data"))); err != nil {
		return fmt.Errorf("delete %s: %w", root.String()[:12], err)
	}
	return nil
}

// File is one stored file, whole or in part. Its methods are safe for
// concurrent use.
type File struct {
	store      *Store
	root       Root
	size       int64
	cipherSize int64
	n          int

	mu   sync.Mutex
	refs int
	data *os.File
	log  *os.File
	have []byte // bit i set: chunk i held
	held int
	// unsynced are the chunks written to data whose records are not yet
	// written (see Store); held counts them. While syncing, a group of
	// them syncs without f.mu held, and nothing is written to data;
	// synced is signalled when it ends.
	unsynced []int
	syncing  bool
	synced   sync.Cond
	tree     []byte // nil until known
}

// Root is the file's address.
func (f *File) Root() Root { return f.root }

// Size is the file's clear size.
func (f *File) Size() int64 { return f.size }

// Chunks is how many chunks the file has.
func (f *File) Chunks() int { return f.n }

func record(r Root, i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], uint32(i))
	binary.BigEndian.PutUint32(b[4:], crc32.Update(crc32.ChecksumIEEE(r[:]), crc32.IEEETable, b[:4]))
	return b[:]
}

// loadHave reads the record of held chunks, cutting off a torn or
// garbage tail.
func (f *File) loadHave() error {
	p := f.store.path(f.root, "have")
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("open file: %w", err)
	}
	good := 0
	for ; good+8 <= len(b); good += 8 {
		i := int(binary.BigEndian.Uint32(b[good:]))
		if i >= f.n || !bytes.Equal(b[good:good+8], record(f.root, i)) {
			break
		}
		f.set(i)
	}
	if f.log, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return fmt.Errorf("open file: %w", err)
	}
	if good != len(b) {
		if err := f.log.Truncate(int64(good)); err != nil {
			f.log.Close()
			return fmt.Errorf("open file: %w", err)
		}
	}
	if _, err := f.log.Seek(int64(good), io.SeekStart); err != nil {
		f.log.Close()
		return fmt.Errorf("open file: %w", err)
	}
	return nil
}

func (f *File) set(i int) {
	if f.have[i/8]&(1<<(i%8)) == 0 {
		f.have[i/8] |= 1 << (i % 8)
		f.held++
	}
}

func (f *File) unset(i int) {
	if f.have[i/8]&(1<<(i%8)) != 0 {
		f.have[i/8] &^= 1 << (i % 8)
		f.held--
	}
}

func (f *File) has(i int) bool { return i >= 0 && i < f.n && f.have[i/8]&(1<<(i%8)) != 0 }

func (f *File) heldBytes() int64 {
	b := int64(f.held) * ChunkSize
	if f.has(f.n - 1) {
		_, last := chunkSpan(f.n-1, f.cipherSize)
		b -= ChunkSize - last
	}
	return b
}

// Have returns the have-bitmap: bit i%8 of byte i/8 is set when chunk i
// is held.
func (f *File) Have() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.have)
}

// Has reports whether chunk i is held.
func (f *File) Has(i int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.has(i)
}

// Progress is how many chunks and ciphertext bytes are held.
func (f *File) Progress() (chunks int, bytes int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held, f.heldBytes()
}

// Complete reports whether every chunk is held.
func (f *File) Complete() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held == f.n
}

// Tree returns the outboard tree, or nil when it is not yet known.
func (f *File) Tree() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tree
}

// SetTree keeps tree as the file's outboard tree, once it holds every
// chunk already held. A tree is only needed to serve chunks; a downloader
// takes it from a source, and a tree that later fails a verified chunk is
// dropped (see PutSlice).
func (f *File) SetTree(tree []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tree != nil {
		return nil
	}
	if len(tree) != TreeSize(f.cipherSize) {
		return fmt.Errorf("%w: tree of %d bytes, want %d", ErrChunk, len(tree), TreeSize(f.cipherSize))
	}
	for i := range f.n {
		if !f.has(i) {
			continue
		}
		c, err := f.readChunk(i)
		if err != nil {
			return err
		}
		if !TreeHolds(tree, c, i, f.cipherSize, f.root) {
			return fmt.Errorf("%w: tree does not hold chunk %d", ErrChunk, i)
		}
	}
	if err := writeAtomic(f.store.path(f.root, "tree"), tree); err != nil {
		return err
	}
	f.tree = bytes.Clone(tree)
	return nil
}

// PutSlice verifies a bao slice of chunk i against the root and stores
// the chunk. A slice that fails verification is refused with ErrChunk
// and nothing is stored.
func (f *File) PutSlice(i int, slice []byte) error {
	chunk, err := VerifySlice(slice, i, f.cipherSize, f.root)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.syncing { // nothing is written while a group syncs (see Store)
		f.synced.Wait()
	}
	if f.has(i) {
		return nil
	}
	off, _ := chunkSpan(i, f.cipherSize)
	if _, err := f.data.WriteAt(chunk, off); err != nil {
		return fmt.Errorf("store chunk %d: %w", i, err)
	}
	f.set(i)
	f.unsynced = append(f.unsynced, i)
	if f.tree != nil && !treeHoldsVerified(f.tree, slice, i, f.cipherSize) {
		// The tree came from a source that lied: forget it, take another.
		f.tree = nil
		os.Remove(f.store.path(f.root, "tree"))
	}
	if len(f.unsynced) >= CommitEvery && f.held < f.n {
		if err := f.commit(); err != nil {
			return fmt.Errorf("store chunk %d: %w", i, err)
		}
	}
	if f.held == f.n {
		if err := f.commit(); err != nil {
			return fmt.Errorf("store chunk %d: %w", i, err)
		}
		if err := f.log.Sync(); err != nil {
			return fmt.Errorf("store chunk %d: %w", i, err)
		}
		if f.tree == nil {
			if err := f.buildTree(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush syncs the chunks stored since the last flush and records them as
// held, so that they survive a crash (Close and a completed file flush by
// themselves; Fetch flushes when it returns).
func (f *File) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.commit(); err != nil {
		return fmt.Errorf("flush %s: %w", f.root.String()[:12], err)
	}
	return nil
}

// commit syncs the chunks written since the last commit and appends
// their records. If it fails, they count as not held, to be fetched
// again. f.mu is held; the sync runs without it, so that the file's
// state can be read meanwhile (to serve it, to show progress, to claim
// chunks) however slow the disk; no chunk is written until it ends, and
// the group is recorded after it.
func (f *File) commit() error {
	for f.syncing { // the group syncing is recorded first
		f.synced.Wait()
	}
	if len(f.unsynced) == 0 {
		return nil
	}
	batch := f.unsynced
	f.unsynced = nil
	f.syncing = true
	f.mu.Unlock()
	err := syncData(f.data)
	f.mu.Lock()
	f.syncing = false
	f.synced.Broadcast()
	return f.record(batch, err)
}

// record appends the records of the chunks batch, written to data before
// a sync that ended with syncErr; if that or the append failed, they
// count as not held. f.mu is held.
func (f *File) record(batch []int, syncErr error) error {
	err := syncErr
	if err == nil {
		recs := make([]byte, 0, 8*len(batch))
		for _, i := range batch {
			recs = append(recs, record(f.root, i)...)
		}
		_, err = f.log.Write(recs)
	}
	if err == nil {
		// On disk now: their pages leave the page cache at once. A
		// download would otherwise fill the cache with the whole file,
		// and then every write would first reclaim pages, costing more
		// CPU than the transfer itself (BenchmarkFileTransfer at 2 GiB);
		// a chunk is read again only to serve it, at most once per peer.
		// One call per run of adjacent chunks.
		slices.Sort(batch)
		for j := 0; j < len(batch); {
			k := j + 1
			for k < len(batch) && batch[k] == batch[k-1]+1 {
				k++
			}
			off, _ := chunkSpan(batch[j], f.cipherSize)
			end, n := chunkSpan(batch[k-1], f.cipherSize)
			dropCached(f.data, off, end+n-off)
			j = k
		}
	}
	if err != nil {
		for _, i := range batch {
			f.unset(i)
		}
	}
	return err
}

// buildTree computes the tree of a complete file from its ciphertext.
func (f *File) buildTree() error {
	tree, root, err := BuildTree(io.NewSectionReader(f.data, 0, f.cipherSize), f.cipherSize)
	if err != nil {
		return err
	}
	if root != f.root {
		// Every chunk verified against the root before it was written:
		// the disk, not a source, gave back other bytes.
		return fmt.Errorf("stored ciphertext hashes to %s, not %s: the disk returned other bytes than were written", root.String()[:12], f.root.String()[:12])
	}
	if err := writeAtomic(f.store.path(f.root, "tree"), tree); err != nil {
		return err
	}
	f.tree = tree
	return nil
}

// fillFrom completes a partial file from a whole ciphertext file.
func (f *File) fillFrom(path string, tree []byte) error {
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("add file: %w", err)
	}
	defer src.Close()
	if _, err := io.Copy(io.NewOffsetWriter(f.data, 0), io.NewSectionReader(src, 0, f.cipherSize)); err != nil {
		return fmt.Errorf("add file: %w", err)
	}
	if err := f.data.Sync(); err != nil {
		return fmt.Errorf("add file: %w", err)
	}
	for i := range f.n {
		if !f.has(i) {
			if _, err := f.log.Write(record(f.root, i)); err != nil {
				return fmt.Errorf("add file: %w", err)
			}
			f.set(i)
		}
	}
	if err := writeAtomic(f.store.path(f.root, "tree"), tree); err != nil {
		return err
	}
	f.tree = tree
	return f.log.Sync()
}

func (f *File) readChunk(i int) ([]byte, error) {
	if !f.has(i) {
		return nil, fmt.Errorf("chunk %d: %w", i, ErrNotHeld)
	}
	off, n := chunkSpan(i, f.cipherSize)
	c := make([]byte, n)
	if _, err := f.data.ReadAt(c, off); err != nil {
		return nil, fmt.Errorf("read chunk %d: %w", i, err)
	}
	return c, nil
}

// SliceOf returns the bao slice of held chunk i, for a requester to
// verify against the root. It fails with ErrNotHeld when the chunk or the
// tree is not held.
func (f *File) SliceOf(i int) ([]byte, error) { return f.appendSlice(nil, i) }

// appendSlice appends the bao slice of held chunk i to dst: the path cut
// from the tree in memory and the chunk read from disk into place. The
// chunk is not hashed again: it verified against the root when it was
// stored (or was hashed into the root by its sender), and the requester
// verifies it in any case, so a chunk damaged on disk since costs this
// holder the requester's trust, never the requester its file.
func (f *File) appendSlice(dst []byte, i int) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tree == nil {
		return nil, fmt.Errorf("tree: %w", ErrNotHeld)
	}
	if !f.has(i) {
		return nil, fmt.Errorf("chunk %d: %w", i, ErrNotHeld)
	}
	dst, err := appendPath(dst, f.tree, i, f.cipherSize)
	if err != nil {
		return nil, err
	}
	off, n := chunkSpan(i, f.cipherSize)
	at := len(dst)
	dst = slices.Grow(dst, int(n))[:at+int(n)]
	if _, err := f.data.ReadAt(dst[at:], off); err != nil {
		return nil, fmt.Errorf("read chunk %d: %w", i, err)
	}
	return dst, nil
}

// Decrypt writes the file's clear bytes to w; the file must be complete.
func (f *File) Decrypt(w io.Writer, k Key) error {
	if !f.Complete() {
		return fmt.Errorf("decrypt %s: %w", f.root.String()[:12], ErrIncomplete)
	}
	return Decrypt(w, io.NewSectionReader(f.data, 0, f.cipherSize), f.size, k)
}

// Close releases the file; the last Close closes its files on disk.
func (f *File) Close() error {
	s := f.store
	s.mu.Lock()
	defer s.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs--
	if f.refs > 0 {
		return nil
	}
	delete(s.open, f.root)
	err := f.commit()
	err = errors.Join(err, f.log.Sync())
	err = errors.Join(err, f.log.Close(), f.data.Close())
	if err != nil {
		return fmt.Errorf("close file: %w", err)
	}
	return nil
}

// writeAtomic writes data to path through a synced temporary file and a
// rename, so path holds either the old bytes or all the new ones.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// readSize reads a file's size record.
func readSize(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || CheckSize(n) != nil {
		return 0, fmt.Errorf("size record %q", b)
	}
	return n, nil
}

// Share encrypts size clear bytes read from r under a fresh key into the
// store, to serve, and returns the file's root and key (act.FileStore).
func (s *Store) Share(r io.Reader, size int64) (root, key [32]byte, err error) {
	k, err := NewKey()
	if err != nil {
		return root, key, err
	}
	f, err := s.Add(r, size, k)
	if err != nil {
		return root, key, err
	}
	defer f.Close()
	return f.Root(), k, nil
}
