package files

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/view"
)

// holder serves a store over net.Pipe, counting the streams opened to it;
// one that lies flips a bit of every chunk it sends, one that stalls never
// answers.
type holder struct {
	name         string
	store        *blob.Store
	opened       atomic.Int32
	lies, stalls atomic.Bool
}

func (h *holder) Name() string { return h.name }

func (h *holder) Open(context.Context) (io.ReadWriteCloser, error) {
	h.opened.Add(1)
	a, b := net.Pipe()
	switch {
	case h.stalls.Load():
		go io.Copy(io.Discard, b) // reads the requests, answers none
	case h.lies.Load():
		go blob.Serve(liar{b}, h.store, func(blob.Root) error { return nil }, nil)
	default:
		go blob.Serve(b, h.store, func(blob.Root) error { return nil }, nil)
	}
	return a, nil
}

type fakeViews []view.SharedFile

func (v fakeViews) Files(crdt.ID, crdt.ID) ([]view.SharedFile, error) { return v, nil }

type fakePeers []Peer

func (p fakePeers) FilePeers() []Peer { return p }

type fakeRelays []Peer

func (r fakeRelays) FileRelays(crdt.ID) []Peer { return r }

// world is a community where Member(1) joined, one file its holder keeps,
// and a library of Member(1) with an empty store.
type world struct {
	c      *testworld.Community
	plain  []byte
	msg    crdt.ID
	holder *holder
	lib    *Library
	cfg    Config
}

func newWorld(t *testing.T) *world {
	now := func() int64 { return 1 }
	c := testworld.New(t, "Glow", now)
	c.AddInvite("i", 1)
	c.Join(testworld.Member(1), "Ben", 1)
	c.Join(testworld.Member(2), "Cal", 1)
	hs, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, 24*blob.PlainChunk+9)
	rand.Read(plain)
	k, _ := blob.NewKey()
	f, err := hs.Add(bytes.NewReader(plain), int64(len(plain)), k)
	if err != nil {
		t.Fatal(err)
	}
	root := f.Root()
	f.Close()
	w := &world{c: c, plain: plain, msg: crdt.ID{7}, holder: &holder{name: "holder", store: hs}}
	sf := view.SharedFile{Key: k[:], FileEntry: api.FileEntry{Message: w.msg, Group: c.General, Name: "kit.pdf",
		Size: int64(len(plain)), Root: root.String()}}
	own, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = Config{Store: own, Views: fakeViews{sf}, Replica: c.Rep, Self: testworld.Member(1).Key()}
	w.cfg.Peers = fakePeers{}
	w.lib = New(w.cfg)
	return w
}

// TestGetFromMembersOnly: a download takes chunks only from connected
// peers crdt lets read the group — never the local member itself or a
// stranger — and says so when there is none.
func TestGetFromMembersOnly(t *testing.T) {
	ctx := t.Context()
	stranger := &holder{name: "stranger"}
	w := newWorld(t)
	stranger.store = w.holder.store
	w.cfg.Peers = fakePeers{
		{ID: "self", Key: testworld.Member(1).Key(), Source: stranger},
		{ID: "stranger", Key: testworld.Member(9).Key(), Source: stranger},
		{ID: "olivia", Key: testworld.Member(0).Key(), Source: w.holder},
		{ID: "cal", Key: testworld.Member(2).Key(), Source: &holder{name: "cal", store: w.holder.store}},
	}
	w.cfg.Fetch.Window = 1 // both sources get chunks
	w.lib = New(w.cfg)
	out := filepath.Join(t.TempDir(), "kit.pdf")
	var seen []int64
	got, err := w.lib.Get(ctx, w.c.ID, w.c.General, w.msg, out, func(p api.FileProgress) {
		seen = append(seen, p.Have)
		if p.Sources != 2 || p.Size != int64(len(w.plain)) {
			t.Errorf("progress %+v", p)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[0] != 0 || seen[len(seen)-1] != int64(len(w.plain)) {
		t.Errorf("progress went %v", seen)
	}
	slices.Sort(got.Sources)
	if len(got.Sources) != 2 || got.Sources[0] != "cal" || got.Sources[1] != "olivia" || stranger.opened.Load() != 0 {
		t.Fatalf("sources %v; the stranger or self asked %d times", got.Sources, stranger.opened.Load())
	}
	if back, _ := os.ReadFile(out); !bytes.Equal(back, w.plain) {
		t.Fatal("the copy differs")
	}

	w2 := newWorld(t)
	w2.cfg.Peers = fakePeers{{ID: "stranger", Key: testworld.Member(9).Key(), Source: stranger}}
	w2.lib = New(w2.cfg)
	if _, err := w2.lib.Get(ctx, w2.c.ID, w2.c.General, w2.msg, out, nil); !errors.Is(err, api.ErrNoSource) {
		t.Fatalf("get with only a stranger online: %v", err)
	}
	if e, _ := w2.lib.Status(w2.c.ID, w2.msg); e.State != api.FileRemote {
		t.Fatalf("after a refused get: %+v", e)
	}
}

// TestGetFromRelay: a relay the consumer names is a source too, whoever
// it is.
func TestGetFromRelay(t *testing.T) {
	w := newWorld(t)
	w.cfg.Peers = fakePeers{}
	w.cfg.Relays = fakeRelays{{ID: "relay", Key: testworld.Member(42).Key(), Source: w.holder}}
	w.lib = New(w.cfg)
	got, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, filepath.Join(t.TempDir(), "kit.pdf"), nil)
	if err != nil || len(got.Sources) != 1 || got.Sources[0] != "relay" {
		t.Fatalf("get from a relay: %+v, %v", got, err)
	}
	// Into a directory: under the file's name, from the local copy.
	dir := t.TempDir()
	got, err = w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, dir, nil)
	if err != nil || got.Path != filepath.Join(dir, "kit.pdf") || len(got.Sources) != 0 {
		t.Fatalf("get into a directory: %+v, %v", got, err)
	}
	if back, _ := os.ReadFile(got.Path); !bytes.Equal(back, w.plain) {
		t.Fatal("the copy differs")
	}
}

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{"kit.pdf": "kit.pdf", "../../etc/passwd": "passwd", "..": "file", "/": "file", "": "file", "a/": "a"} {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSendTooLarge: a file over 2 GiB is refused before anything is
// read or posted.
func TestSendTooLarge(t *testing.T) {
	w := newWorld(t)
	posted := false
	w.cfg.Keep = func(context.Context, crdt.ID, crdt.ID, string, io.Reader, int64) (crdt.FileRef, error) {
		posted = true
		return crdt.FileRef{}, nil
	}
	w.lib = New(w.cfg)
	big := filepath.Join(t.TempDir(), "huge.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(blob.MaxSize + 1)
	f.Close()
	if _, err := w.lib.Send(t.Context(), w.c.ID, w.c.General, big, "", nil); !errors.Is(err, api.ErrFileTooLarge) || posted {
		t.Fatalf("send of 2 GiB + 1: %v (posted %v)", err, posted)
	}
	if _, err := w.lib.Send(t.Context(), w.c.ID, w.c.General, t.TempDir(), "", nil); err == nil || posted {
		t.Fatalf("send of a directory: %v", err)
	}
}

// TestDiskErr: a full disk, whether the store saw it before a download or
// a write met it, reads as api.ErrDiskFull; a file too large as
// api.ErrFileTooLarge.
func TestDiskErr(t *testing.T) {
	for _, err := range []error{fmt.Errorf("reserve: %w", blob.ErrNoSpace), fmt.Errorf("write: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})} {
		if got := diskErr(err); !errors.Is(got, api.ErrDiskFull) || !errors.Is(got, err) {
			t.Errorf("diskErr(%v) = %v", err, got)
		}
	}
	if got := diskErr(blob.CheckSize(blob.MaxSize + 1)); !errors.Is(got, api.ErrFileTooLarge) {
		t.Errorf("too large: %v", got)
	}
	if other := errors.New("other"); diskErr(other) != other {
		t.Error("another error changed")
	}
}

// TestGetNoRoomForOut: a download whose --out directory has no room for
// the clear file is refused before it fetches anything, as a full disk
// naming the file, the room it needs and the directory, and leaves a
// file already at the path as it was and no part of the new one; with
// room enough it is written.
func TestGetNoRoomForOut(t *testing.T) {
	w := newWorld(t)
	w.cfg.Peers = fakePeers{{ID: "olivia", Key: testworld.Member(0).Key(), Source: w.holder}}
	room := uint64(len(w.plain)) - 1
	w.cfg.Free = func(string) (uint64, error) { return room, nil }
	w.lib = New(w.cfg)
	dir := t.TempDir()
	out := filepath.Join(dir, "kit.pdf")
	if err := os.WriteFile(out, []byte("the old kit"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, out, nil)
	if !errors.Is(err, api.ErrDiskFull) || !strings.Contains(err.Error(), "writing kit.pdf needs 6.0 MiB in "+dir) {
		t.Fatalf("get with no room for the file: %v", err)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "the old kit" {
		t.Fatalf("the file at the path is now %q (%v)", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the directory holds %v", entries)
	}
	if n := w.holder.opened.Load(); n != 0 {
		t.Fatalf("the source was asked %d times before there was room", n)
	}
	room++
	if _, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, out, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, w.plain) {
		t.Fatal("the file written differs")
	}
}

// TestGetAboveCommunityLimit: a file above the limit the community's
// admins set is not fetched, with the limit in words, and nothing of it
// is stored; under the limit it is.
func TestGetAboveCommunityLimit(t *testing.T) {
	w := newWorld(t)
	w.cfg.Peers = fakePeers{{ID: "olivia", Key: testworld.Member(0).Key(), Source: w.holder}}
	w.lib = New(w.cfg)
	w.c.Author(testworld.Member(0), crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow", MaxFileSize: 4 * blob.PlainChunk})
	out := filepath.Join(t.TempDir(), "kit.pdf")
	_, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, out, nil)
	if !errors.Is(err, api.ErrFileTooLarge) || !errors.Is(err, crdt.ErrFileTooLarge) || !strings.Contains(err.Error(), "admins allow files of at most 1023.9 KiB") {
		t.Fatalf("get above the limit: %v", err)
	}
	if w.holder.opened.Load() != 0 {
		t.Fatal("a file above the limit was asked for")
	}
	if e, _ := w.lib.Status(w.c.ID, w.msg); e.State != api.FileRemote {
		t.Fatalf("after the refusal: %+v", e)
	}
	w.c.Author(testworld.Member(0), crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow", MaxFileSize: int64(len(w.plain))})
	if _, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, out, nil); err != nil {
		t.Fatalf("get at the limit: %v", err)
	}
}

// TestSendProgress: a file being shared reports, as it is encrypted and
// hashed into the store, how much is done, rising to the whole file
// before the message is posted.
func TestSendProgress(t *testing.T) {
	w := newWorld(t)
	var got []api.FileProgress
	var atPost int64 = -1
	w.cfg.Keep = storeIn(w.cfg.Store)
	w.cfg.Post = func(context.Context, crdt.ID, crdt.ID, crdt.FileRef, string) (crdt.ID, error) {
		if len(got) > 0 {
			atPost = got[len(got)-1].Have
		}
		return crdt.ID{1}, nil
	}
	w.lib = New(w.cfg)
	path := filepath.Join(t.TempDir(), "kit.pdf")
	if err := os.WriteFile(path, w.plain, 0o600); err != nil {
		t.Fatal(err)
	}
	size := int64(len(w.plain))
	if _, err := w.lib.Send(t.Context(), w.c.ID, w.c.General, path, "", func(p api.FileProgress) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 {
		t.Fatalf("%d progress reports for %d chunks", len(got), blob.Chunks(size))
	}
	for i, p := range got {
		if p.Size != size || p.Have <= 0 || p.Have > size || i > 0 && p.Have <= got[i-1].Have {
			t.Fatalf("report %d of %d: %+v (before: %+v)", i, len(got), p, got[max(i-1, 0)])
		}
	}
	if atPost != size {
		t.Fatalf("%d of %d bytes reported when the message was posted", atPost, size)
	}
}

// storeIn is a Keep that stores the file in store as act.StoreFile does.
func storeIn(store *blob.Store) Keep {
	return func(_ context.Context, _, _ crdt.ID, name string, r io.Reader, size int64) (crdt.FileRef, error) {
		root, key, err := store.Share(r, size)
		if err != nil {
			return crdt.FileRef{}, err
		}
		return crdt.FileRef{Name: name, Size: size, Root: root[:], Key: key[:]}, nil
	}
}

// storedFiles lists what the store holds on disk, temporary parts too.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	return out
}

// TestKeepLeavesNothingUnshown: a file whose storing is cancelled midway
// leaves no partial data, and one whose post fails is deleted again, so
// the store holds only files a post shows; a file shown stays.
func TestKeepLeavesNothingUnshown(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	store, err := blob.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg.Store, w.cfg.Keep = store, storeIn(store)
	w.lib = New(w.cfg)
	path := filepath.Join(t.TempDir(), "video.mp4")
	if err := os.WriteFile(path, w.plain, 0o600); err != nil {
		t.Fatal(err)
	}
	before := storedFiles(t, dir)
	shown := 0
	show := func(context.Context, crdt.FileRef) error { shown++; return nil }

	ctx, cancel := context.WithCancel(t.Context())
	_, err = w.lib.Keep(ctx, w.c.ID, w.c.General, path, func(p api.FileProgress) {
		if p.Have > 0 {
			cancel() // the member taps Cancel
		}
	}, show)
	if !errors.Is(err, context.Canceled) || shown != 0 {
		t.Fatalf("cancelled keep: %v (shown %d)", err, shown)
	}
	if got := storedFiles(t, dir); !slices.Equal(got, before) {
		t.Fatalf("a cancelled file left %v (before: %v)", got, before)
	}

	postErr := errors.New("the database is locked")
	if _, err := w.lib.Keep(t.Context(), w.c.ID, w.c.General, path, nil, func(context.Context, crdt.FileRef) error { return postErr }); !errors.Is(err, postErr) {
		t.Fatalf("keep whose post fails: %v", err)
	}
	if got := storedFiles(t, dir); !slices.Equal(got, before) {
		t.Fatalf("a file no post shows left %v (before: %v)", got, before)
	}

	ref, err := w.lib.Keep(t.Context(), w.c.ID, w.c.General, path, nil, show)
	if err != nil || shown != 1 {
		t.Fatalf("keep: %v (shown %d)", err, shown)
	}
	f, err := store.Lookup(blob.Root(ref.Root))
	if err != nil || !f.Complete() {
		t.Fatalf("the shown file is not kept whole: %v", err)
	}
	f.Close()
}

// fakePushes answers one file's push state.
type fakePushes struct {
	cid  crdt.ID
	root blob.Root
	st   api.RelayPush
}

func (f fakePushes) FileState(cid crdt.ID, root blob.Root) *api.RelayPush {
	if cid != f.cid || root != f.root {
		return nil
	}
	return &f.st
}

// TestFilesShowRelayPush: a file's entry carries how its push to the
// relays goes, as the Pusher tells it, so that its row can show it.
func TestFilesShowRelayPush(t *testing.T) {
	w := newWorld(t)
	fs, err := w.lib.Files(w.c.ID, crdt.ID{})
	if err != nil || len(fs) != 1 || fs[0].Relay != nil {
		t.Fatalf("without pushes: %+v, %v", fs, err)
	}
	root, _ := rootOf(view.SharedFile{FileEntry: fs[0]})
	w.cfg.Pushes = fakePushes{cid: w.c.ID, root: root, st: api.RelayPush{Relays: 1, Pending: 1, Percent: 40}}
	w.lib = New(w.cfg)
	e, err := w.lib.Status(w.c.ID, w.msg)
	if err != nil || e.Relay == nil || *e.Relay != (api.RelayPush{Relays: 1, Pending: 1, Percent: 40}) {
		t.Fatalf("status: %+v, %v", e.Relay, err)
	}
	if fs, _ := w.lib.Files(w.c.ID, crdt.ID{}); fs[0].Relay == nil || fs[0].Relay.Percent != 40 {
		t.Fatalf("files: %+v", fs[0].Relay)
	}
}

// TestGetFromLiarOnly: when the only member online who has the file
// serves chunks that fail verification, the download says so and names
// it, rather than that no one who has the file is online; nothing of the
// liar's is kept, and the download still resumes when an honest holder
// comes.
func TestGetFromLiarOnly(t *testing.T) {
	w := newWorld(t)
	sf := w.cfg.Views.(fakeViews)[0]
	dir := t.TempDir()
	ls, err := blob.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ls.Add(bytes.NewReader(w.plain), int64(len(w.plain)), blob.Key(sf.Key))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := filepath.Join(dir, sf.Root, "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
	w.cfg.Peers = fakePeers{{ID: "mallory", Key: testworld.Member(2).Key(), Source: &holder{name: "mallory", store: ls}}}
	w.lib = New(w.cfg)
	out := filepath.Join(t.TempDir(), "kit.pdf")
	_, err = w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, out, nil)
	if !errors.Is(err, api.ErrBadSource) || errors.Is(err, api.ErrNoSource) || !strings.Contains(err.Error(), "dropped mallory (bad data)") {
		t.Fatalf("get from a liar only: %v", err)
	}
	if e, _ := w.lib.Status(w.c.ID, w.msg); e.HaveBytes != 0 {
		t.Fatalf("kept %d bytes of the liar's", e.HaveBytes)
	}
	w.cfg.Peers = append(w.cfg.Peers.(fakePeers), Peer{ID: "olivia", Key: testworld.Member(0).Key(), Source: w.holder})
	w.lib = New(w.cfg)
	if _, err := w.lib.Get(t.Context(), w.c.ID, w.c.General, w.msg, out, nil); err != nil {
		t.Fatalf("get with an honest holder back: %v", err)
	}
	if back, _ := os.ReadFile(out); !bytes.Equal(back, w.plain) {
		t.Fatal("the copy differs")
	}
}
