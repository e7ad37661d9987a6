package safety

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/internal/depcheck"
)

func testKeys(n int) []crdt.PublicKey {
	keys := make([]crdt.PublicKey, n)
	for i := range keys {
		keys[i][0], keys[i][1], keys[i][2] = byte(i), byte(i>>8), byte(i>>16)
	}
	return keys
}

// TestNoNetwork: the cache builds without the network and storage stacks.
func TestNoNetwork(t *testing.T) {
	depcheck.Ban(t, "go-libp2p", "quic-go", "badger", "fyne.io", "umbrella/node", "umbrella/sync/", "=net")
}

// TestSafetyNumbersCached: a member's safety number is computed once,
// then read from the cache, in the order asked; the cache stays bounded.
func TestSafetyNumbersCached(t *testing.T) {
	var calls atomic.Int64
	c := New()
	c.compute = func(k []byte) string { calls.Add(1); return identity.SafetyNumber(k) }
	keys := testKeys(40)
	first := c.Numbers(keys)
	for i, k := range keys {
		if want := identity.SafetyNumber(k[:]); first[i] != want {
			t.Fatalf("key %d: %q, want %q", i, first[i], want)
		}
	}
	if calls.Load() != 40 {
		t.Fatalf("%d computed, want 40", calls.Load())
	}
	again := c.Numbers(append(keys[20:], testKeys(45)[40:]...))
	if calls.Load() != 45 {
		t.Fatalf("%d computed after asking for 20 known and 5 new keys, want 45", calls.Load())
	}
	if again[0] != first[20] || again[19] != first[39] {
		t.Fatal("cached numbers out of order")
	}

	c = New()
	c.compute = func([]byte) string { return "x" }
	c.Numbers(testKeys(maxCached + 10))
	if len(c.m) != maxCached {
		t.Fatalf("%d numbers kept, want at most %d", len(c.m), maxCached)
	}
}

// TestSafetyNumbersOnDemand: a members list missing a few safety numbers
// computes them before it returns; one missing many computes only the
// first inline of them and leaves the rest to be asked for: nothing is
// computed in the background, so a node that listed 5,000 members idles.
func TestSafetyNumbersOnDemand(t *testing.T) {
	var calls atomic.Int64
	c := New()
	c.compute = func(k []byte) string { calls.Add(1); return identity.SafetyNumber(k) }
	few := testKeys(inline)
	for i, s := range c.List(few) {
		if s != identity.SafetyNumber(few[i][:]) {
			t.Fatalf("few keys: number %d is %q", i, s)
		}
	}
	many := testKeys(inline + 200)[inline:]
	got := c.List(many)
	for i, s := range got {
		if want := identity.SafetyNumber(many[i][:]); i < inline && s != want {
			t.Fatalf("many keys: number %d (of the first listed) is %q, want %q", i, s, want)
		}
		if i >= inline && s != "" {
			t.Fatalf("many keys: number %d computed though not shown first", i)
		}
	}
	if n := calls.Load(); n != 2*inline {
		t.Fatalf("%d numbers computed, want %d", n, 2*inline)
	}
	// The rows scrolled into view are asked for, by peer id.
	peers := []string{"p100", "p150"}
	key := func(p string) (crdt.PublicKey, error) {
		var i int
		if _, err := fmt.Sscanf(p, "p%d", &i); err != nil {
			return crdt.PublicKey{}, err
		}
		return many[i], nil
	}
	sn, err := c.OfPeers(peers, key)
	if err != nil {
		t.Fatal(err)
	}
	if sn[0] != identity.SafetyNumber(many[100][:]) || sn[1] != identity.SafetyNumber(many[150][:]) {
		t.Fatalf("OfPeers: %q", sn)
	}
	if got := c.List(many); got[100] != sn[0] || got[150] != sn[1] {
		t.Fatal("numbers asked for are not listed after")
	}
	if _, err := c.OfPeers([]string{"nonsense"}, key); err == nil {
		t.Fatal("a peer id that does not read gave no error")
	}
	if _, err := c.OfPeers(make([]string, MaxAsked+1), key); !errors.Is(err, ErrTooMany) {
		t.Fatalf("asking for %d: %v, want ErrTooMany", MaxAsked+1, err)
	}
}

// BenchmarkSafetyNumbers5000 measures the safety numbers of a 5,000-member
// community's members list, which the info pane reads on each change of
// who is online: the first time (computed on every core) and after.
func BenchmarkSafetyNumbers5000(b *testing.B) {
	keys := testKeys(5000)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			c := New()
			c.Numbers(keys)
		}
	})
	b.Run("warm", func(b *testing.B) {
		c := New()
		c.Numbers(keys)
		b.ReportAllocs()
		for b.Loop() {
			c.Numbers(keys)
		}
	})
}
