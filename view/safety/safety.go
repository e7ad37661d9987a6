// Package safety keeps members' safety numbers (identity.SafetyNumber) for
// the members lists that show them. Each costs 5,200 SHA-512 rounds
// (about 1 ms), and the members list of a 5,000-member community is read
// again on every change of who is online: recomputing them would stall the
// app for seconds each time, and computing all of them when the list is
// first read would keep a core busy for seconds on numbers nobody looks at.
//
// So a Cache computes a number only when it is shown: a list computes at
// most a window's worth of missing ones (the first listed, on every core)
// and leaves the others empty; the app asks for the rows it shows
// (Numbers, OfPeers) as they scroll into view, and the CLI for all it
// prints. Nothing runs in the background. It never imports the network
// stack.
package safety

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

// ErrTooMany: OfPeers was asked for more than MaxAsked numbers at once.
var ErrTooMany = errors.New("too many safety numbers asked at once")

// Cache remembers members' safety numbers, at most maxCached of them. It
// is safe for concurrent use.
type Cache struct {
	mu sync.Mutex
	m  map[crdt.PublicKey]string // guarded by mu
	// compute is identity.SafetyNumber; tests count its calls.
	compute func([]byte) string
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{compute: identity.SafetyNumber}
}

// lookup returns the known safety numbers of keys, in order ("" for the
// others), and the indices of the others.
func (c *Cache) lookup(keys []crdt.PublicKey) (out []string, missing []int) {
	out = make([]string, len(keys))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		if s, ok := c.m[k]; ok {
			out[i] = s
		} else {
			missing = append(missing, i)
		}
	}
	return out, missing
}

// fill computes the safety numbers of keys[i] for i in missing into out
// on workers goroutines, and remembers them.
func (c *Cache) fill(keys []crdt.PublicKey, missing []int, out []string, workers int) {
	c.mu.Lock()
	compute := c.compute
	c.mu.Unlock()
	workers = max(1, min(workers, len(missing)))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for j := w; j < len(missing); j += workers {
				i := missing[j]
				out[i] = compute(keys[i][:])
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[crdt.PublicKey]string)
	}
	for _, i := range missing {
		if len(c.m) >= maxCached {
			break
		}
		c.m[keys[i]] = out[i]
	}
}

// Numbers returns the safety numbers of keys, in order, computing the
// ones not known yet on every core.
func (c *Cache) Numbers(keys []crdt.PublicKey) []string {
	out, missing := c.lookup(keys)
	if len(missing) > 0 {
		c.fill(keys, missing, out, runtime.GOMAXPROCS(0))
	}
	return out
}

// OfPeers returns the safety numbers of the members whose peer ids (as
// text) are peers, in order, computing the ones not known yet on every
// core; key reads a peer id. It refuses more than MaxAsked at once
// (ErrTooMany) and a peer id key cannot read.
func (c *Cache) OfPeers(peers []string, key func(string) (crdt.PublicKey, error)) ([]string, error) {
	if len(peers) > MaxAsked {
		return nil, fmt.Errorf("%w: %d, at most %d", ErrTooMany, len(peers), MaxAsked)
	}
	keys := make([]crdt.PublicKey, len(peers))
	for i, p := range peers {
		k, err := key(p)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return c.Numbers(keys), nil
}

// List returns the safety numbers of keys for a members list: the known
// ones, and of the others the first inline (those a window of the list
// shows first), computed on every core; the rest are left empty until
// asked for with Numbers or OfPeers. A 5,000-member list thus costs no
// more than a window's numbers, however often it is read.
func (c *Cache) List(keys []crdt.PublicKey) []string {
	out, missing := c.lookup(keys)
	if len(missing) > 0 {
		c.fill(keys, missing[:min(len(missing), inline)], out, runtime.GOMAXPROCS(0))
	}
	return out
}
