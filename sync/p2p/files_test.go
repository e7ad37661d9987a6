package p2p

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// TestFilesOverSimnet: a file moves between two libp2p hosts on a
// simulated network, from the holder to a member it allows, and a peer
// it does not allow gets nothing.
func TestFilesOverSimnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(10 * time.Millisecond)}
		nw.Start()
		defer nw.Close()
		a, b, c := simHost(t, nw, 1), simHost(t, nw, 2), simHost(t, nw, 3)
		sa, sb, sc := NewService(ctx, a, nil, nil), NewService(ctx, b, nil, nil), NewService(ctx, c, nil, nil)

		holder, file, key, plain := heldFile(t, 5*blob.PlainChunk+99)
		member, _ := peerkey.Key(a.ID())
		sb.Handle(FileID, FileHandler(holder, func(from crdt.PublicKey, r blob.Root) error {
			if from != member || r != file.Root() {
				return errors.New("may not read it")
			}
			return nil
		}, nil))
		for _, h := range []*Service{sa, sc} {
			if err := h.h.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
				t.Fatal(err)
			}
		}

		got := func(s *Service) (*blob.File, blob.Stats, error) {
			f := emptyFile(t, file)
			st, err := blob.Fetch(ctx, f, []blob.Source{FileSource{S: s, Peer: b.ID()}}, blob.Options{})
			return f, st, err
		}
		f, st, err := got(sa)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := f.Decrypt(&out, key); err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("fetched file differs: %v", err)
		}
		if st.Chunks[b.ID().ShortString()] != f.Chunks() {
			t.Fatalf("stats %v", st.Chunks)
		}
		f, _, err = got(sc)
		if !errors.Is(err, blob.ErrNoSources) {
			t.Fatalf("a peer not allowed: %v", err)
		}
		if n, _ := f.Progress(); n != 0 {
			t.Fatalf("a peer not allowed got %d chunks", n)
		}
	})
}

// heldFile adds a file of size random bytes to a fresh store, as its
// holder; the file is closed.
func heldFile(t *testing.T, size int) (*blob.Store, *blob.File, blob.Key, []byte) {
	t.Helper()
	holder, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, size)
	rand.Read(plain)
	key, _ := blob.NewKey()
	file, err := holder.Add(bytes.NewReader(plain), int64(len(plain)), key)
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	return holder, file, key, plain
}

// emptyFile opens like in a fresh store, to download into; the test
// closes it.
func emptyFile(t *testing.T, like *blob.File) *blob.File {
	t.Helper()
	store, err := blob.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := store.Open(like.Root(), like.Size())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestFileSlowReceiverOverSimnet: a downloader that takes three times
// blob.Stall over one chunk after it arrived (a slow disk, a busy
// progress callback) still gets the whole file over a libp2p stream, and
// the source is not reported stalled: its time runs only while the
// downloader waits for it.
func TestFileSlowReceiverOverSimnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		nw := &simnet.Simnet{LatencyFunc: simnet.StaticLatency(time.Millisecond)}
		nw.Start()
		defer nw.Close()
		a, b := simHost(t, nw, 1), simHost(t, nw, 2)
		sa, sb := NewService(ctx, a, nil, nil), NewService(ctx, b, nil, nil)
		holder, file, key, plain := heldFile(t, 3*blob.CommitEvery*blob.PlainChunk)
		sb.Handle(FileID, FileHandler(holder, func(crdt.PublicKey, blob.Root) error { return nil }, nil))
		if err := sa.h.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
			t.Fatal(err)
		}
		f := emptyFile(t, file)
		start := time.Now()
		slow := false
		_, err := blob.Fetch(ctx, f, []blob.Source{FileSource{S: sa, Peer: b.ID()}}, blob.Options{
			Progress: func(held, _ int) {
				if held == blob.CommitEvery && !slow {
					slow = true
					time.Sleep(3 * blob.Stall)
				}
			},
			Bad: func(src string, err error) { t.Errorf("source %s reported bad: %v", src, err) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 3*blob.Stall {
			t.Fatalf("the fetch took %v, less than the receiver's pause", d)
		}
		var out bytes.Buffer
		if err := f.Decrypt(&out, key); err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("fetched file differs: %v", err)
		}
	})
}
