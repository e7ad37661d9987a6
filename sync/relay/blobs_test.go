package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// sharedFile is a file a member holds whole to push.
type sharedFile struct {
	store *blob.Store
	root  blob.Root
	key   blob.Key
	plain []byte
}

func newSharedFile(t *testing.T, size int) sharedFile {
	t.Helper()
	st, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, size)
	rand.Read(plain)
	k, _ := blob.NewKey()
	f, err := st.Add(bytes.NewReader(plain), int64(size), k)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return sharedFile{store: st, root: f.Root(), key: k, plain: plain}
}

// push runs a push of sf from member from to b over net.Pipe and returns
// the member's error and the relay's.
func push(t *testing.T, b *Blobs, from crdt.PublicKey, cid crdt.ID, sf sharedFile) (error, error) {
	t.Helper()
	a, r := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- b.Accept(t.Context(), r, from); r.Close() }()
	err := Push(t.Context(), a, sf.store, cid, sf.root, int64(len(sf.plain)))
	return err, <-done
}

// relayWithTeam is a relay that pulled Olivia's team, which registers it.
func relayWithTeam(t *testing.T, share int64) (*team, *Relay) {
	t.Helper()
	tm := newTeam(t, true)
	rk := tm.relayKey.pub()
	r := openRelay(t, rk, store.NewMemory(), share)
	if _, err := r.Pull(t.Context(), tm.olivia.remote(rk), tm.olivia.cid); err != nil {
		t.Fatal(err)
	}
	return tm, r
}

// blobsWithTeam is relayWithTeam with the relay's file store in dir.
func blobsWithTeam(t *testing.T, dir string) (*team, *Relay, *Blobs) {
	t.Helper()
	tm, r := relayWithTeam(t, 0)
	b, err := OpenBlobs(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	return tm, r, b
}

// TestPushToRelay: a member pushes a file it shared; the relay verifies
// and stores every chunk, charges it to the community's share once, serves
// it to anyone who names its root, and keeps it across a restart. A
// stranger's push, a push for a community the relay does not keep and a
// file beyond the share are refused with the reason.
func TestPushToRelay(t *testing.T) {
	dir := t.TempDir()
	tm, r, b := blobsWithTeam(t, dir)
	cid := tm.olivia.cid
	sf := newSharedFile(t, 5*blob.PlainChunk+321)
	before := r.comms[cid].bytes
	if errM, errR := push(t, b, tm.olivia.k.pub(), cid, sf); errM != nil || errR != nil {
		t.Fatalf("push: member %v, relay %v", errM, errR)
	}
	cost := charge(int64(len(sf.plain)))
	if got := r.comms[cid].bytes - before; got != cost {
		t.Fatalf("the file cost the share %d bytes, want %d", got, cost)
	}
	// Pushed again (another member, say): nothing more is charged.
	if errM, errR := push(t, b, tm.olivia.k.pub(), cid, sf); errM != nil || errR != nil {
		t.Fatalf("second push: member %v, relay %v", errM, errR)
	}
	if got := r.comms[cid].bytes - before; got != cost {
		t.Fatalf("a second push charged again: %d", got)
	}
	// Anyone who names the root downloads it from the relay.
	fetchFrom := func(st *blob.Store) []byte {
		t.Helper()
		mine, err := blob.NewStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f, err := mine.Open(sf.root, int64(len(sf.plain)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		src := serveSource{st}
		if _, err := blob.Fetch(t.Context(), f, []blob.Source{src}, blob.Options{}); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := f.Decrypt(&out, sf.key); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	if !bytes.Equal(fetchFrom(b.Store()), sf.plain) {
		t.Fatal("the relay's copy differs")
	}
	// Restarted, it holds and counts the file still.
	r2 := openRelay(t, tm.relayKey.pub(), r.cfg.Store, 0)
	held := r2.comms[cid].bytes
	b2, err := OpenBlobs(r2, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.comms[cid].bytes - held; got != cost {
		t.Fatalf("after a restart the file counts %d bytes, want %d", got, cost)
	}
	if !bytes.Equal(fetchFrom(b2.Store()), sf.plain) {
		t.Fatal("the relay's copy differs after a restart")
	}

	other := newSharedFile(t, 2*blob.PlainChunk)
	stranger := newKey(42).pub()
	// A refusal is the relay's answer, delivered and counted, not a failed
	// stream (which would be reset, dropping the answer).
	if errM, errR := push(t, b, stranger, cid, other); !errors.Is(errM, ErrPushRefused) || !strings.Contains(errM.Error(), "not a member") ||
		errR != nil || r.Stats().Refused["not_member"] != 1 {
		t.Fatalf("a stranger's push: member %v, relay %v, refusals %v", errM, errR, r.Stats().Refused)
	}
	if errM, _ := push(t, b, tm.olivia.k.pub(), crdt.ID{9}, other); !errors.Is(errM, ErrPushRefused) || !strings.Contains(errM.Error(), "not registered") {
		t.Fatalf("a push for a community the relay does not keep: %v", errM)
	}
	if f, err := b.Store().Lookup(other.root); err == nil {
		f.Close()
		t.Fatal("a refused file was stored")
	}

	// A share just above what the community holds: the file is refused.
	tm2, small := relayWithTeam(t, 0)
	small.cfg.CommunityShare = small.comms[tm2.olivia.cid].bytes + 1000
	bs, err := OpenBlobs(small, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	errM, errR := push(t, bs, tm2.olivia.k.pub(), tm2.olivia.cid, other)
	if !errors.Is(errM, ErrPushRefused) || !strings.Contains(errM.Error(), "share") || errR != nil || small.Stats().Refused["quota"] != 1 {
		t.Fatalf("a file over the share: member %v, relay %v, refusals %v", errM, errR, small.Stats().Refused)
	}
	// The refusal says how much the file takes: a file bigger than the
	// room left is not the relay being full.
	if want := fmt.Sprintf("the file takes %d bytes", charge(int64(len(other.plain)))); !strings.Contains(errM.Error(), want) {
		t.Fatalf("the refusal %q does not say %q", errM, want)
	}
}

// TestPushOfferRefusals: a malformed offer is refused with a reason, and
// nothing is stored.
func TestPushOfferRefusals(t *testing.T) {
	tm, r := relayWithTeam(t, 0)
	b, err := OpenBlobs(r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, off := range map[string]PushOffer{
		"short root":    {Community: tm.olivia.cid[:], Root: make([]byte, 31), Size: 1},
		"no community":  {Root: make([]byte, 32), Size: 1},
		"negative size": {Community: tm.olivia.cid[:], Root: make([]byte, 32), Size: -1},
		"over 2 GiB":    {Community: tm.olivia.cid[:], Root: make([]byte, 32), Size: blob.MaxSize + 1},
	} {
		a, rw := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- b.Accept(context.Background(), rw, tm.olivia.k.pub()); rw.Close() }()
		wire.Write(a, &off)
		var rep PushReply
		if err := wire.Read(a, &rep, MaxPushFrame); err != nil || !strings.Contains(rep.Error, "malformed") {
			t.Errorf("%s: reply %+v, %v", name, rep, err)
		}
		a.Close()
		// The refusal was the answer: the stream ends normally (a failed
		// stream is reset, which would drop the answer on the way).
		if err := <-done; err != nil {
			t.Errorf("%s: a refusal delivered failed the stream: %v", name, err)
		}
	}
	if len(b.owners) != 0 {
		t.Fatalf("malformed offers left %d files", len(b.owners))
	}
	if got := r.Stats().Refused["other"]; got != 4 {
		t.Fatalf("refusals counted %v, want 4 (other)", r.Stats().Refused)
	}
}

// serveSource serves a store over net.Pipe to anyone, as a relay does.
type serveSource struct{ st *blob.Store }

func (s serveSource) Name() string { return "relay" }

func (s serveSource) Open(context.Context) (io.ReadWriteCloser, error) {
	a, b := net.Pipe()
	go blob.Serve(b, s.st, func(blob.Root) error { return nil }, nil)
	return a, nil
}

// FuzzPushOffer: any bytes as an offer are refused or checked, never a
// crash.
func FuzzPushOffer(f *testing.F) {
	good, _ := crdt.Marshal(&PushOffer{Community: make([]byte, 32), Root: make([]byte, 32), Size: 5})
	f.Add(good)
	f.Add([]byte{0xa1, 0x03, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var off PushOffer
		if err := wire.Read(io.MultiReader(bytes.NewReader(frameLen(len(raw))), bytes.NewReader(raw)), &off, MaxPushFrame); err != nil {
			return
		}
		if _, _, err := off.check(); err == nil && (len(off.Root) != 32 || off.Size < 0 || off.Size > blob.MaxSize) {
			t.Fatalf("offer %+v passed its check", off)
		}
	})
}

// frameLen is the varint length prefix of a frame of n bytes.
func frameLen(n int) []byte {
	var b []byte
	for v := uint64(n); ; v >>= 7 {
		if v < 0x80 {
			return append(b, byte(v))
		}
		b = append(b, byte(v)|0x80)
	}
}

// TestPushProgress: the member hears how many of the file's chunks the
// relay has as it pulls them, each counted once, up to all; a push the
// relay resumes counts from the chunks it already holds, not from none.
func TestPushProgress(t *testing.T) {
	tm, r := relayWithTeam(t, 0)
	cid := tm.olivia.cid
	b, err := OpenBlobs(r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// pushed pushes sf to b and returns the progress the member heard.
	pushed := func(sf sharedFile) []int {
		t.Helper()
		a, rr := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- b.Accept(t.Context(), rr, tm.olivia.k.pub()); rr.Close() }()
		var got []int
		err := PushProgress(t.Context(), a, sf.store, cid, sf.root, int64(len(sf.plain)), func(sent, total int) {
			if total != 6 {
				t.Errorf("total %d chunks, want 6", total)
			}
			got = append(got, sent)
		})
		if errR := <-done; err != nil || errR != nil {
			t.Fatalf("push: member %v, relay %v", err, errR)
		}
		return got
	}
	if got, want := pushed(newSharedFile(t, 5*blob.PlainChunk+321)), []int{1, 2, 3, 4, 5, 6}; !slices.Equal(got, want) {
		t.Fatalf("progress %v, want %v", got, want)
	}

	// An earlier push of another file was cut after three chunks.
	sf := newSharedFile(t, 5*blob.PlainChunk+321)
	mine, err := sf.store.Lookup(sf.root)
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.Store().Open(sf.root, int64(len(sf.plain)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s, err := mine.SliceOf(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := part.PutSlice(i, s); err != nil {
			t.Fatal(err)
		}
	}
	mine.Close()
	part.Close()
	if got, want := pushed(sf), []int{3, 4, 5, 6}; !slices.Equal(got, want) {
		t.Fatalf("resumed, progress %v, want %v", got, want)
	}
}

// TestPushOfferAloneChargesNothing: a member who offers a file and sends
// none of it (a made-up root and size) leaves nothing stored and nothing
// charged, so offers alone cannot fill the community's share. A relay
// that restarts drops the empty files it finds.
func TestPushOfferAloneChargesNothing(t *testing.T) {
	dir := t.TempDir()
	tm, r, b := blobsWithTeam(t, dir)
	cid := tm.olivia.cid
	before := r.comms[cid].bytes
	offer := func(root []byte) {
		t.Helper()
		a, rw := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- b.Accept(t.Context(), rw, tm.olivia.k.pub()); rw.Close() }()
		wire.Write(a, &PushOffer{Community: cid[:], Root: root, Size: 100 * blob.PlainChunk})
		var rep PushReply
		if err := wire.Read(a, &rep, MaxPushFrame); err != nil || rep.Error != "" {
			t.Fatalf("offer: %+v, %v", rep, err)
		}
		a.Close() // and sends nothing
		<-done
	}
	fake := make([]byte, 32)
	rand.Read(fake)
	offer(fake)
	if got := r.comms[cid].bytes - before; got != 0 {
		t.Fatalf("an offer with nothing sent holds %d bytes of the share", got)
	}
	if f, err := b.Store().Lookup(blob.Root(fake)); err == nil {
		f.Close()
		t.Fatal("an offer with nothing sent left a file")
	}
	if len(b.owners) != 0 {
		t.Fatalf("owners %v", b.owners)
	}
	// A file left empty by an earlier relay is dropped when it opens.
	if f, err := b.Store().Open(blob.Root(fake), 100*blob.PlainChunk); err == nil {
		f.Close()
	}
	os.WriteFile(filepath.Join(dir, "owners", blob.Root(fake).String()), []byte(hex.EncodeToString(cid[:])), 0o600)
	r2 := openRelay(t, tm.relayKey.pub(), store.NewMemory(), 0)
	if _, err := r2.Pull(t.Context(), tm.olivia.remote(tm.relayKey.pub()), cid); err != nil {
		t.Fatal(err)
	}
	held := r2.comms[cid].bytes
	b2, err := OpenBlobs(r2, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.comms[cid].bytes - held; got != 0 || len(b2.owners) != 0 {
		t.Fatalf("after a restart an empty file holds %d bytes (owners %v)", got, b2.owners)
	}
}
