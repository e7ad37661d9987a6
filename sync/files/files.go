// Package files is a member's file library: it shares a file from disk in
// a group, downloads the file a message shares from the members online who
// may read that group (and so hold and serve it, package sync/blob),
// resuming what an earlier download left, lists the files shared in a
// community with how much of each is here, and frees local copies.
//
// It knows no network: the consumer names the peers it is connected to
// (Peers), each as a blob.Source, and crdt judges which of them may read
// the group; the community's relays (Relays) serve anyone. A download
// pulls from all of them at once (blob.Fetch, rarest chunks first); the
// chunks it stored survive an interruption or a crash, so the next Get of
// the same file goes on from there. A file shared here is handed to the
// community's relays (Forwarder), so it downloads while this node is
// offline. crdt's State.CheckFileSize bounds what is sent and fetched.
package files

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/view"
)

// Peer is a peer this node is connected to, to fetch files from.
type Peer struct {
	ID     string // its peer id
	Key    crdt.PublicKey
	Source blob.Source
}

// Peers lists the peers this node is connected to.
type Peers interface {
	FilePeers() []Peer
}

// Relays lists the relays that may hold the files of a community; they
// serve anyone who names a root (see blob.Protocol). Optional.
type Relays interface {
	FileRelays(cid crdt.ID) []Peer
}

// Forwarder hands a file this node just shared in community cid to the
// community's relays, so that it downloads while this node is offline
// (the node pushes it in the background). Optional.
type Forwarder interface {
	Forward(cid crdt.ID, root blob.Root, size int64)
}

// PushStates tells how the push of a file this node shared to its
// community's relays goes (a Pusher). Optional.
type PushStates interface {
	FileState(cid crdt.ID, root blob.Root) *api.RelayPush
}

// Views are the files shared in a community as the local member sees
// them (package view).
type Views interface {
	Files(cid, gid crdt.ID) ([]view.SharedFile, error)
}

// Replica is what the library reads of a community: its state, to ask
// crdt who may read a group.
type Replica interface {
	View(cid crdt.ID, fn func(*crdt.Community) error) error
}

// Keep stores size bytes read from r as the file name, to be shown in
// group gid of community cid, in the file store, posting nothing
// (act.StoreFile).
type Keep func(ctx context.Context, cid, gid crdt.ID, name string, r io.Reader, size int64) (crdt.FileRef, error)

// Post posts a message sharing the stored file ref in group gid of
// community cid, with caption (act.PostFile).
type Post func(ctx context.Context, cid, gid crdt.ID, ref crdt.FileRef, caption string) (crdt.ID, error)

// Config is what a Library works with.
type Config struct {
	Store   *blob.Store
	Views   Views
	Replica Replica
	Peers   Peers
	Relays  Relays     // may be nil
	Forward Forwarder  // may be nil
	Pushes  PushStates // may be nil
	Keep    Keep
	Post    Post
	// Self is the local member, never a source.
	Self crdt.PublicKey
	// Fetch tunes downloads; the zero value uses blob's limits.
	Fetch blob.Options
	// Now is the clock that times downloads (time.Now if nil).
	Now func() time.Time
	// Free is how many bytes may still be written in a directory
	// (blob.FreeSpace if nil).
	Free func(dir string) (uint64, error)
	// Log hears of sources left out of downloads (nil discards).
	Log *slog.Logger
}

// Library is a member's files. Its methods are safe for concurrent use.
type Library struct {
	cfg Config

	scores *scores // sources left out of downloads for a while

	mu   sync.Mutex
	busy map[blob.Root]chan struct{} // downloads running, closed when done
}

// New returns the library over cfg.
func New(cfg Config) *Library {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Free == nil {
		cfg.Free = blob.FreeSpace
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Library{cfg: cfg, scores: newScores(cfg.Now, cfg.Log), busy: map[blob.Root]chan struct{}{}}
}

// Send shares the file at path in group gid of community cid, with
// caption as the message's text: Keep, showing the file in a message.
// progress (may be nil) hears, one call at a time, how many of the file's
// bytes are encrypted and hashed into the store (Have of Size); the
// message is posted right after the last.
func (l *Library) Send(ctx context.Context, cid, gid crdt.ID, path, caption string, progress func(api.FileProgress)) (api.SentFile, error) {
	var id crdt.ID
	ref, err := l.Keep(ctx, cid, gid, path, progress, func(ctx context.Context, ref crdt.FileRef) (err error) {
		id, err = l.cfg.Post(ctx, cid, gid, ref, caption)
		return err
	})
	if err != nil {
		return api.SentFile{}, err
	}
	return api.SentFile{ID: id, File: *view.FileOf(&ref)}, nil
}

// Keep stores the file at path, to be shown in group gid of community
// cid, and calls show with its reference to write the post that shows it
// (a file message, a promotion's card); progress is as for Send. When ctx
// ends while the file is stored, or show fails, nothing is left of the
// file here: the store keeps no partial data, and a stored file no post
// shows is deleted again. Once shown, the file goes to the community's
// relays.
func (l *Library) Keep(ctx context.Context, cid, gid crdt.ID, path string, progress func(api.FileProgress), show func(context.Context, crdt.FileRef) error) (crdt.FileRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return crdt.FileRef{}, fmt.Errorf("send file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return crdt.FileRef{}, fmt.Errorf("send file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return crdt.FileRef{}, fmt.Errorf("send file: %s is not a regular file", path)
	}
	if fi.Size() > blob.MaxSize {
		return crdt.FileRef{}, fmt.Errorf("%w: %s is %s, files are at most %s", api.ErrFileTooLarge, filepath.Base(path), crdt.SizeText(fi.Size()), crdt.SizeText(blob.MaxSize))
	}
	var src io.Reader = &ctxReader{ctx: ctx, r: io.LimitReader(f, fi.Size())}
	if progress != nil {
		src = &progressReader{r: src, size: fi.Size(), report: progress}
	}
	ref, err := l.cfg.Keep(ctx, cid, gid, fi.Name(), src, fi.Size())
	if err == nil {
		err = ctx.Err() // cancelled after the last byte: not shown
	}
	if err != nil {
		if len(ref.Root) == len(blob.Root{}) {
			l.cfg.Store.Delete(blob.Root(ref.Root))
		}
		return crdt.FileRef{}, diskErr(err)
	}
	if err := show(ctx, ref); err != nil {
		if derr := l.cfg.Store.Delete(blob.Root(ref.Root)); derr != nil {
			err = errors.Join(err, derr)
		}
		return crdt.FileRef{}, err
	}
	if l.cfg.Forward != nil {
		l.cfg.Forward.Forward(cid, blob.Root(ref.Root), ref.Size)
	}
	return ref, nil
}

// ctxReader fails its reads once ctx ends, so that storing a file stops
// when its sharing is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r      io.Reader
	read   int64
	size   int64
	report func(api.FileProgress)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.read += int64(n)
		p.report(api.FileProgress{Have: p.read, Size: p.size})
	}
	return n, err
}

// find returns the file message msg of community cid (in group gid if it
// is not zero).
func (l *Library) find(cid, gid, msg crdt.ID) (view.SharedFile, error) {
	fs, err := l.cfg.Views.Files(cid, gid)
	if err != nil {
		return view.SharedFile{}, err
	}
	for _, f := range fs {
		if f.Message == msg {
			return f, nil
		}
	}
	return view.SharedFile{}, fmt.Errorf("message %s: %w", msg.Short(), api.ErrNotFile)
}

func rootOf(f view.SharedFile) (blob.Root, error) {
	var r blob.Root
	b, err := hex.DecodeString(f.Root)
	if err != nil || len(b) != len(r) {
		return r, fmt.Errorf("%w: root %q", api.ErrNotFile, f.Root)
	}
	copy(r[:], b)
	return r, nil
}

// Files lists the files shared in community cid (in group gid only if it
// is not zero), newest first, with how much of each this node holds.
func (l *Library) Files(cid, gid crdt.ID) ([]api.FileEntry, error) {
	fs, err := l.cfg.Views.Files(cid, gid)
	if err != nil {
		return nil, err
	}
	out := make([]api.FileEntry, 0, len(fs))
	for _, f := range fs {
		out = append(out, l.fill(cid, f))
	}
	return out, nil
}

// Status is the entry of Files for file message msg.
func (l *Library) Status(cid, msg crdt.ID) (api.FileEntry, error) {
	f, err := l.find(cid, crdt.ID{}, msg)
	if err != nil {
		return api.FileEntry{}, err
	}
	return l.fill(cid, f), nil
}

// fill sets how much of f, shared in community cid, this node holds, and
// how its push to the relays goes.
func (l *Library) fill(cid crdt.ID, f view.SharedFile) api.FileEntry {
	e := f.FileEntry
	e.State = api.FileRemote
	root, err := rootOf(f)
	if err != nil {
		return e
	}
	if l.cfg.Pushes != nil {
		e.Relay = l.cfg.Pushes.FileState(cid, root)
	}
	bf, err := l.cfg.Store.Lookup(root)
	if err != nil {
		return e
	}
	defer bf.Close()
	chunks, cipher := bf.Progress()
	e.HaveBytes = cipher - int64(chunks)*blob.Overhead
	switch {
	case bf.Complete():
		e.State, e.HaveBytes = api.FileComplete, f.Size
	case chunks > 0:
		e.State = api.FilePartial
	}
	return e
}

// Delete frees this node's copy of the file message msg shares. It fails
// with blob.ErrBusy while the file is being downloaded or served.
func (l *Library) Delete(cid, msg crdt.ID) error {
	f, err := l.find(cid, crdt.ID{}, msg)
	if err != nil {
		return err
	}
	root, err := rootOf(f)
	if err != nil {
		return err
	}
	return l.cfg.Store.Delete(root)
}

// sources are the peers to fetch group gid's files of community cid from:
// the connected members crdt lets read the group, then the relays, each
// peer once.
func (l *Library) sources(cid, gid crdt.ID) ([]Peer, error) {
	var out []Peer
	peers := l.cfg.Peers.FilePeers()
	err := l.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, p := range peers {
			if p.Key != l.cfg.Self && st.MayRead(p.Key, gid) {
				out = append(out, p)
			}
		}
		return nil
	})
	if l.cfg.Relays != nil {
		for _, r := range l.cfg.Relays.FileRelays(cid) {
			if !slices.ContainsFunc(out, func(p Peer) bool { return p.ID == r.ID }) {
				out = append(out, r) // a relay that is also a member's peer is asked once
			}
		}
	}
	return out, err
}

// lock waits until no other download of root runs, and takes it.
func (l *Library) lock(ctx context.Context, root blob.Root) (unlock func(), err error) {
	for {
		l.mu.Lock()
		ch, ok := l.busy[root]
		if !ok {
			ch = make(chan struct{})
			l.busy[root] = ch
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.busy, root)
				l.mu.Unlock()
				close(ch)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Get downloads the file message msg of group gid shares, from every
// source at once, and writes its clear bytes to out once it is complete
// and verified; progress (may be nil) hears how far it is, one call at a
// time. Interrupted, it keeps what it got, and the next Get goes on from
// there.
func (l *Library) Get(ctx context.Context, cid, gid, msg crdt.ID, out string, progress func(api.FileProgress)) (api.GotFile, error) {
	start := l.cfg.Now()
	sf, err := l.find(cid, gid, msg)
	if err != nil {
		return api.GotFile{}, err
	}
	root, err := rootOf(sf)
	if err != nil {
		return api.GotFile{}, err
	}
	var key blob.Key
	if len(sf.Key) != len(key) {
		return api.GotFile{}, fmt.Errorf("%w: the message's file key is %d bytes", api.ErrNotFile, len(sf.Key))
	}
	copy(key[:], sf.Key)
	if out, err = filepath.Abs(out); err != nil {
		return api.GotFile{}, err
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		out = filepath.Join(out, baseName(sf.Name))
	}
	unlock, err := l.lock(ctx, root)
	if err != nil {
		return api.GotFile{}, err
	}
	defer unlock()
	if !l.held(root) {
		// A file above the community's limit is not fetched (one already
		// here, say the member's own, is still written out).
		if err := l.cfg.Replica.View(cid, func(c *crdt.Community) error { return c.State().CheckFileSize(sf.Size) }); err != nil {
			return api.GotFile{}, diskErr(fmt.Errorf("%s: %w", sf.Name, err))
		}
	}
	if err := l.roomFor(out, sf.Size); err != nil {
		return api.GotFile{}, err
	}
	bf, err := l.cfg.Store.Open(root, sf.Size)
	if err != nil {
		return api.GotFile{}, err
	}
	defer bf.Close()
	got := api.GotFile{Path: out, Size: sf.Size, Root: sf.Root, Sources: []string{}, Refused: []api.RefusedSource{}}
	if !bf.Complete() {
		if err := l.cfg.Store.Reserve(bf); err != nil {
			return got, diskErr(err)
		}
		peers, err := l.sources(cid, sf.Group)
		if err != nil {
			return got, err
		}
		if len(peers) == 0 {
			return got, fmt.Errorf("%s: %w", sf.Name, api.ErrNoSource)
		}
		if err := l.fetch(ctx, bf, sf, peers, &got, progress); err != nil {
			return got, err
		}
	}
	if err := writeOut(out, bf, key); err != nil {
		return got, err
	}
	got.Seconds = l.cfg.Now().Sub(start).Seconds()
	return got, nil
}

// fetch pulls the chunks bf, the file sf shares, lacks from peers at once:
// first from those no earlier download caught failing, then, when those
// cannot finish it, from those left out (see BadFor). It adds to got the
// sources it took chunks from and those it dropped or left out, and scores
// them: down when they fail, back when they serve well.
func (l *Library) fetch(ctx context.Context, bf *blob.File, sf view.SharedFile, peers []Peer, got *api.GotFile, progress func(api.FileProgress)) error {
	in, out, marks := l.scores.split(peers)
	var (
		one    sync.Mutex // Fetch reports from several goroutines
		asked  int
		failed = map[string]bool{} // peer ids that failed in this download; guarded by one
		err    error
	)
	report := func() {
		if progress != nil {
			one.Lock()
			defer one.Unlock()
			chunks, cipher := bf.Progress()
			progress(api.FileProgress{Have: cipher - int64(chunks)*blob.Overhead, Size: sf.Size, Sources: asked, Dropped: slices.Clone(got.Refused)})
		}
	}
	for round, peers := range [][]Peer{in, out} {
		if len(peers) == 0 {
			continue
		}
		if round == 1 {
			l.cfg.Log.Info("no other source can finish the file; asking those left out", "file", sf.Name, "left_out", len(out))
			out = nil
		}
		srcs := make([]blob.Source, len(peers))
		for i, p := range peers {
			srcs[i] = namedSource{Source: p.Source, id: p.ID}
		}
		opt := l.cfg.Fetch
		opt.Progress = func(int, int) { report() }
		opt.Bad = func(id string, err error) {
			if l.cfg.Fetch.Bad != nil {
				l.cfg.Fetch.Bad(id, err)
			}
			if f := l.scores.report(id, err); f != faultNone {
				one.Lock()
				failed[id] = true
				got.Refused = append(got.Refused, api.RefusedSource{Peer: id, Reason: f.reason()})
				one.Unlock()
				report()
			}
		}
		one.Lock()
		asked = len(srcs)
		one.Unlock()
		report()
		var st blob.Stats
		st, err = blob.Fetch(ctx, bf, srcs, opt)
		for id, n := range st.Chunks {
			if n > 0 {
				got.Sources = append(got.Sources, id)
				if !failed[id] {
					l.scores.forgive(id)
				}
			}
		}
		if !errors.Is(err, blob.ErrNoSources) {
			break
		}
	}
	for _, p := range out { // not asked: those asked had the file
		got.Refused = append(got.Refused, api.RefusedSource{Peer: p.ID, Reason: marks[p.ID].fault.reason(), LeftOut: true})
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, blob.ErrNoSources) && len(got.Refused) > 0:
		// Sources were online: say what they did, not that none was.
		return fmt.Errorf("%s: %w (%v%s)", sf.Name, api.ErrBadSource, err, refusedText(got.Refused))
	case errors.Is(err, blob.ErrNoSources):
		return fmt.Errorf("%s: %w (%v)", sf.Name, api.ErrNoSource, err)
	}
	return diskErr(err)
}

// namedSource is a peer's source named by its whole peer id, so that what
// blob.Fetch reports of it names that peer alone (a Source's own name may
// be short, and another peer's the same).
type namedSource struct {
	blob.Source
	id string
}

func (s namedSource) Name() string { return s.id }

// refusedText says which sources a download that failed dropped.
func refusedText(rs []api.RefusedSource) string {
	var b strings.Builder
	for i, r := range rs {
		if i == 0 {
			b.WriteString("; dropped ")
		} else {
			b.WriteString(", ")
		}
		why := strings.ReplaceAll(r.Reason, "_", " ")
		if r.LeftOut {
			why = "left out: " + why + " before"
		}
		fmt.Fprintf(&b, "%s (%s)", r.Peer, why)
	}
	return b.String()
}

// held reports whether the file at root is here whole.
func (l *Library) held(root blob.Root) bool {
	f, err := l.cfg.Store.Lookup(root)
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Complete()
}

// baseName is a file name as a sender gave it, made safe to write into a
// directory: its last element, never "." or "..".
func baseName(name string) string {
	name = filepath.Base(filepath.FromSlash(name))
	if name == "." || name == ".." || name == string(filepath.Separator) {
		return "file"
	}
	return name
}

// roomFor checks, before a download, that the directory of path has
// room for the clear file of size bytes, which writeOut writes there
// before it renames it to path, so that a download is not fetched whole
// only to fail at its end (the file store's own room is Reserve's).
func (l *Library) roomFor(path string, size int64) error {
	dir := filepath.Dir(path)
	free, err := l.cfg.Free(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if free < uint64(size) {
		return fmt.Errorf("%w: writing %s needs %s in %s, %s free", api.ErrDiskFull, filepath.Base(path), crdt.SizeText(size), dir, crdt.SizeText(int64(free)))
	}
	return nil
}

// writeOut decrypts f into path through a temporary file beside it, so
// path holds either nothing new or the whole verified file.
func writeOut(path string, f *blob.File, k blob.Key) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-")
	if err != nil {
		return diskErr(fmt.Errorf("write %s: %w", path, err))
	}
	defer os.Remove(tmp.Name())
	err = f.Decrypt(tmp, k)
	err = errors.Join(err, tmp.Sync(), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return diskErr(fmt.Errorf("write %s: %w", path, err))
	}
	return nil
}

// diskErr marks an error of a full disk as api.ErrDiskFull.
func diskErr(err error) error {
	if errors.Is(err, blob.ErrNoSpace) || errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %w", api.ErrDiskFull, err)
	}
	if errors.Is(err, blob.ErrTooLarge) || errors.Is(err, crdt.ErrFileTooLarge) {
		return tooLarge{err}
	}
	return err
}

// tooLarge is an error of a file too large, which says why in its own
// words and is also api.ErrFileTooLarge.
type tooLarge struct{ err error }

func (e tooLarge) Error() string        { return e.err.Error() }
func (e tooLarge) Unwrap() error        { return e.err }
func (e tooLarge) Is(target error) bool { return target == api.ErrFileTooLarge }
