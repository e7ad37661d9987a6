package p2p

import (
	"bytes"
	"crypto/rand"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/marcopolo/simnet"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

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
		holder, err := blob.NewStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		plain := make([]byte, 3*blob.CommitEvery*blob.PlainChunk)
		rand.Read(plain)
		key, _ := blob.NewKey()
		file, err := holder.Add(bytes.NewReader(plain), int64(len(plain)), key)
		if err != nil {
			t.Fatal(err)
		}
		file.Close()
		sb.Handle(FileID, FileHandler(holder, func(crdt.PublicKey, blob.Root) error { return nil }, nil))
		if err := sa.h.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
			t.Fatal(err)
		}
		store, err := blob.NewStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f, err := store.Open(file.Root(), file.Size())
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		start := time.Now()
		slow := false
		_, err = blob.Fetch(ctx, f, []blob.Source{FileSource{S: sa, Peer: b.ID()}}, blob.Options{
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
