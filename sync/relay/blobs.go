package relay

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// PushProtocol is the stream protocol by which a member hands a file it
// shared to a relay.
//
// # File push (/umbrella/file-push/1)
//
// A member that shares a file in a community pushes it to the community's
// relays, so that it downloads while the member is offline. The member
// opens a stream and sends one PushOffer (community, root, clear size);
// the relay answers one PushReply, to accept (with how many of the file's
// chunks it holds already, when it resumes an earlier push), or with the
// reason it refuses (not registered with the community, the member not
// known to it, the quota). Having accepted, the relay pulls the file over
// the same stream with the file transfer protocol (sync/blob, /umbrella/file/1),
// roles reversed: the member answers its Have, Tree and Chunks requests
// for that root alone, and the relay verifies every chunk against the root
// as it stores it. The relay closes the stream when it holds the whole
// file (or gives up; a later push resumes from what it holds, and a push
// that brought no chunk at all is dropped and its charge given back, so an
// offer alone never holds part of the share).
//
// # What a relay keeps and serves
//
// A file's chunks are ciphertext under a key that travels only in the
// sealed message that shares the file, so a relay keeps and serves what it
// cannot read. It takes pushes only from members it knows (see the package
// doc) of communities registered with it, and charges each file's
// ciphertext and tree to the same quota as the community's ops (its share
// and the relay's total): a file over either is refused with ErrQuota, and
// a file once held is never dropped to make room. It serves a file's
// chunks to anyone who names its root, member or not (blob.Protocol): a
// root is learned only from a sealed message body, the chunks are
// ciphertext, and the relay could not tell a member's downloads from
// anyone else's anyway, since it cannot see the groups' rosters or
// removals. What a removed member could fetch from it is ciphertext under
// the keys of files it could read before its removal, or of later files
// whose message (and so root and key) it never receives.
const PushProtocol = "/umbrella/file-push/1"

// PushOffer opens a file push: the file at Root, of Size clear bytes, in
// community Community.
type PushOffer struct {
	Community []byte `cbor:"1,keyasint"`
	Root      []byte `cbor:"2,keyasint"`
	Size      int64  `cbor:"3,keyasint"`
}

// PushReply answers a PushOffer: empty to accept, else why not. Held
// is how many of the file's chunks the relay holds already, from an
// earlier push it resumes (the member's progress starts there).
type PushReply struct {
	Error string `cbor:"1,keyasint,omitempty"`
	Held  int    `cbor:"2,keyasint,omitempty"`
}

// ErrPushRefused is a push the relay refused; the error says why.
var ErrPushRefused = errors.New("the relay refused the file")

// check validates a decoded offer's own limits.
func (o *PushOffer) check() (cid crdt.ID, root blob.Root, err error) {
	if len(o.Community) != len(cid) || len(o.Root) != len(root) {
		return cid, root, fmt.Errorf("malformed file offer: community of %d bytes, root of %d", len(o.Community), len(o.Root))
	}
	if err := blob.CheckSize(o.Size); err != nil {
		return cid, root, fmt.Errorf("malformed file offer: %w", err)
	}
	copy(cid[:], o.Community)
	copy(root[:], o.Root)
	return cid, root, nil
}

// Blobs keeps the files members push to the relay (a blob.Store under
// one directory), charged to the relay's quota. Its methods are safe for
// concurrent use.
type Blobs struct {
	relay *Relay
	store *blob.Store
	dir   string // owners/ holds, per root, the community it is charged to

	mu     sync.Mutex
	owners map[blob.Root]crdt.ID // guarded by mu
	// pushing counts the pushes of each root under way (guarded by mu).
	pushing map[blob.Root]int
}

// OpenBlobs opens the relay's file store in dir, charging the files it
// holds to r's quota.
func OpenBlobs(r *Relay, dir string) (*Blobs, error) {
	st, err := blob.NewStore(filepath.Join(dir, "files"))
	if err != nil {
		return nil, fmt.Errorf("relay files: %w", err)
	}
	b := &Blobs{relay: r, store: st, dir: dir, owners: map[blob.Root]crdt.ID{}, pushing: map[blob.Root]int{}}
	if err := os.MkdirAll(filepath.Join(dir, "owners"), 0o700); err != nil {
		return nil, fmt.Errorf("relay files: %w", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "owners"))
	if err != nil {
		return nil, fmt.Errorf("relay files: %w", err)
	}
	for _, e := range entries {
		var root blob.Root
		var cid crdt.ID
		raw, _ := os.ReadFile(filepath.Join(dir, "owners", e.Name()))
		if n, err := hex.Decode(root[:], []byte(e.Name())); err != nil || n != len(root) {
			continue // not ours
		}
		if n, err := hex.Decode(cid[:], raw); err != nil || n != len(cid) {
			continue
		}
		f, err := st.Lookup(root)
		if err != nil { // its owner record outlived it
			os.Remove(filepath.Join(dir, "owners", e.Name()))
			continue
		}
		if chunks, _ := f.Progress(); chunks == 0 { // offered, never sent (see done)
			f.Close()
			st.Delete(root)
			os.Remove(filepath.Join(dir, "owners", e.Name()))
			continue
		}
		r.chargeFile(cid, charge(f.Size()), true)
		f.Close()
		b.owners[root] = cid
	}
	return b, nil
}

// Store is the file store, to serve (blob.Serve, to anyone who names a
// root).
func (b *Blobs) Store() *blob.Store { return b.store }

// charge is what a file of size clear bytes costs of the quota: its
// ciphertext and its tree.
func charge(size int64) int64 {
	cs := blob.CipherSize(size)
	return cs + int64(blob.TreeSize(cs))
}

// chargeFile adds n bytes of files to community cid's use and the
// relay's, refusing with ErrQuota beyond either unless force (files
// already on disk, counted again at start).
func (r *Relay) chargeFile(cid crdt.ID, n int64, force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.comms[cid]
	if !force {
		if c == nil || !c.registered() {
			return fmt.Errorf("%w: %s", ErrNotRegistered, cid.Short())
		}
		if r.total+n > r.cfg.Quota {
			return fmt.Errorf("%w: the file takes %d bytes and the relay holds %d of its %d bytes", ErrQuota, n, r.total, r.cfg.Quota)
		}
		if c.bytes+n > r.cfg.CommunityShare {
			return fmt.Errorf("%w: the file takes %d bytes and community %s holds %d of its share of %d bytes", ErrQuota, n, cid.Short(), c.bytes, r.cfg.CommunityShare)
		}
	}
	r.total += n
	if c != nil {
		c.bytes += n
	}
	return nil
}

// take charges the file at root of size bytes to community cid once, and
// records that it is cid's.
func (b *Blobs) take(cid crdt.ID, root blob.Root, size int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.owners[root]; ok {
		b.pushing[root]++
		return nil // held, whole or in part, and charged
	}
	if err := b.relay.chargeFile(cid, charge(size), false); err != nil {
		return err
	}
	p := filepath.Join(b.dir, "owners", root.String())
	if err := os.WriteFile(p, []byte(hex.EncodeToString(cid[:])), 0o600); err != nil {
		b.relay.chargeFile(cid, -charge(size), true)
		return fmt.Errorf("relay files: %w", err)
	}
	b.owners[root] = cid
	b.pushing[root]++
	return nil
}

// done ends a push of root taken by take. When it was the last under way
// and not one chunk of the file came, the file is dropped and its charge
// given back: an offer alone, with nothing sent after it, never holds
// part of the community's share (a member could otherwise fill it with
// made-up roots and sizes). A file with chunks stays, for a later push to
// resume.
func (b *Blobs) done(cid crdt.ID, root blob.Root) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pushing[root]--; b.pushing[root] > 0 {
		return
	}
	delete(b.pushing, root)
	f, err := b.store.Lookup(root)
	if err != nil {
		return
	}
	chunks, _ := f.Progress()
	size := f.Size()
	f.Close()
	if chunks > 0 || b.owners[root] != cid {
		return
	}
	if err := b.store.Delete(root); err != nil {
		return // open (served, say): it stays charged
	}
	os.Remove(filepath.Join(b.dir, "owners", root.String()))
	delete(b.owners, root)
	b.relay.chargeFile(cid, -charge(size), true)
}

// Accept answers one push stream from member from (see PushProtocol): it
// reads the offer, checks it, answers, and pulls the file over rw until
// the relay holds it whole. A refused offer is answered with the reason
// and returns nil (the refusal is counted in Stats). It does not close rw.
func (b *Blobs) Accept(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
	var off PushOffer
	rd, timed := rw.(interface{ SetReadDeadline(time.Time) error })
	if timed {
		rd.SetReadDeadline(time.Now().Add(OfferIdle))
	}
	if err := wire.Read(rw, &off, MaxPushFrame); err != nil {
		return fmt.Errorf("file offer: %w", err)
	}
	if timed { // the fetch below bounds its own waits (blob.Stall)
		rd.SetReadDeadline(time.Time{})
	}
	// A refusal is an answer, not a failed stream: it is counted and
	// written, and the stream then closes normally, so the member reads
	// the reason (a stream that fails is reset, and a reset drops what
	// was written before it).
	refuse := func(err error) error {
		b.relay.noteRefusal(err)
		reason := err.Error()
		if len(reason) > MaxPushReason { // whole characters only, or it would not decode
			reason = strings.ToValidUTF8(reason[:MaxPushReason], "")
		}
		if werr := wire.Write(rw, &PushReply{Error: reason}); werr != nil {
			return errors.Join(err, werr)
		}
		return nil
	}
	cid, root, err := off.check()
	if err != nil {
		return refuse(err)
	}
	switch {
	case !b.relay.Keeps(cid):
		return refuse(fmt.Errorf("%w: %s", ErrNotRegistered, cid.Short()))
	case !b.relay.Known(cid, from):
		return refuse(ErrNotMember)
	}
	if err := b.take(cid, root, off.Size); err != nil {
		return refuse(err)
	}
	defer b.done(cid, root)
	f, err := b.store.Open(root, off.Size)
	if err != nil {
		return refuse(fmt.Errorf("the relay could not store the file: %w", err))
	}
	defer f.Close()
	held, _ := f.Progress()
	if err := wire.Write(rw, &PushReply{Held: held}); err != nil {
		return err
	}
	if _, err := blob.Fetch(ctx, f, []blob.Source{&pushSource{rw: rw, name: from.String()[:8]}}, blob.Options{}); err != nil {
		return fmt.Errorf("file %s from %s: %w", root.String()[:12], from.String()[:8], err)
	}
	return nil
}

// pushSource is the member at the other end of a push stream, as the one
// source of the relay's fetch.
type pushSource struct {
	rw   io.ReadWriteCloser
	name string
	used bool
}

func (p *pushSource) Name() string { return p.name }

func (p *pushSource) Open(context.Context) (io.ReadWriteCloser, error) {
	if p.used {
		return nil, errors.New("a push stream carries one fetch")
	}
	p.used = true
	return p.rw, nil
}

// Push offers the file at root, of size clear bytes, that store holds
// whole, to a relay of community cid over rw (see PushProtocol), and
// serves it until the relay holds it or hangs up. It fails with
// ErrPushRefused and the relay's reason when the relay will not take it.
// It closes rw.
func Push(ctx context.Context, rw io.ReadWriteCloser, store *blob.Store, cid crdt.ID, root blob.Root, size int64) error {
	return PushProgress(ctx, rw, store, cid, root, size, nil)
}

// PushProgress is Push, telling progress (when not nil), as the relay
// pulls the file, how many of its chunks the relay has: those it held
// when it accepted (a push that resumes an earlier one starts there),
// then each that goes out on this stream, counted once, up to all. A
// nil error, not the count, says the relay holds the file.
func PushProgress(ctx context.Context, rw io.ReadWriteCloser, store *blob.Store, cid crdt.ID, root blob.Root, size int64, progress func(sent, total int)) error {
	stop := context.AfterFunc(ctx, func() { rw.Close() })
	defer stop()
	if err := wire.Write(rw, &PushOffer{Community: cid[:], Root: root[:], Size: size}); err != nil {
		rw.Close()
		return fmt.Errorf("offer %s: %w", root.String()[:12], err)
	}
	var rep PushReply
	if err := wire.Read(rw, &rep, MaxPushFrame); err != nil {
		rw.Close()
		return fmt.Errorf("offer %s: %w", root.String()[:12], err)
	}
	if rep.Error != "" {
		rw.Close()
		return fmt.Errorf("%w: %s", ErrPushRefused, rep.Error)
	}
	total := blob.Chunks(size)
	if rep.Held < 0 || rep.Held > total {
		rw.Close()
		return fmt.Errorf("offer %s: the relay says it holds %d chunks of %d", root.String()[:12], rep.Held, total)
	}
	var sent func(int)
	if progress != nil {
		seen := make([]bool, total)
		n := rep.Held
		if n > 0 {
			progress(n, total)
		}
		sent = func(i int) {
			if i >= 0 && i < total && !seen[i] && n < total {
				seen[i] = true
				n++
				progress(n, total)
			}
		}
	}
	return blob.ServeWatched(rw, store, func(r blob.Root) error {
		if r != root {
			return fmt.Errorf("a push serves %s only", root.String()[:12])
		}
		return nil
	}, nil, sent)
}
