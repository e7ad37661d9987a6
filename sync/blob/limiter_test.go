package blob

import (
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// TestServeRateCountsTrees: the upload limit bounds the trees a node
// serves too, so a peer cannot pull unbounded bytes past it by asking for
// a file's tree again and again.
func TestServeRateCountsTrees(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, _, _ := sender(t, 8*PlainChunk, 9)
		tree := TreeSize(sf.cipherSize)
		lim := NewLimiter(1000)
		a, b := net.Pipe()
		go Serve(b, ss, func(Root) error { return nil }, lim)
		defer a.Close()
		root := sf.Root()
		rd := wire.NewReader(a)
		const asks = 20
		start := time.Now()
		for range asks {
			if err := wire.Write(a, &Request{Kind: KindTree, Root: root[:]}); err != nil {
				t.Fatal(err)
			}
			var resp Response
			if err := rd.Read(&resp, MaxTree+64); err != nil || len(resp.Tree) != tree {
				t.Fatalf("tree: %d bytes, %v", len(resp.Tree), err)
			}
		}
		// The first tree goes at once, the others at 1000 bytes a second.
		if d, want := time.Since(start), time.Duration((asks-1)*tree)*time.Second/1000; d < want {
			t.Fatalf("%d trees of %d bytes at 1000 B/s went in %v, want at least %v", asks, tree, d, want)
		}
	})
}
