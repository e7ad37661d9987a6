package node

import (
	"runtime"
	"sync"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

const (
	// maxSafetyCached bounds the safety numbers kept: more than the
	// members of a few full communities.
	maxSafetyCached = 50_000
	// safetyInline is how many missing safety numbers a members list
	// computes before it returns (on every core, about 0.1 s); a list
	// missing more returns without them and has them computed after.
	safetyInline = 64
)

// safetyCache remembers members' safety numbers. Each costs 5,200
// SHA-512 rounds (2.5–3.5 ms), and the members list of a 5,000-member
// community, which shows them, is read again on every change of who is
// online: recomputing them would stall the app for seconds each time.
type safetyCache struct {
	mu sync.Mutex
	m  map[crdt.PublicKey]string
	// filling: a background fill runs.
	filling bool
	// compute is identity.SafetyNumber; tests count its calls.
	compute func([]byte) string
}

// lookup returns the known safety numbers of keys, in order ("" for the
// others), and the indices of the others.
func (c *safetyCache) lookup(keys []crdt.PublicKey) (out []string, missing []int) {
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
func (c *safetyCache) fill(keys []crdt.PublicKey, missing []int, out []string, workers int) {
	c.mu.Lock()
	compute := c.compute
	c.mu.Unlock()
	if compute == nil {
		compute = identity.SafetyNumber
	}
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
		if len(c.m) >= maxSafetyCached {
			break
		}
		c.m[keys[i]] = out[i]
	}
}

// numbers returns the safety numbers of keys, in order, computing the
// ones not known yet on every core.
func (c *safetyCache) numbers(keys []crdt.PublicKey) []string {
	out, missing := c.lookup(keys)
	if len(missing) > 0 {
		c.fill(keys, missing, out, runtime.GOMAXPROCS(0))
	}
	return out
}

// safetyNumbers returns the safety numbers of keys for a members list.
// When more than safetyInline are not known yet (a big community's first
// list since the node started) it leaves those empty and computes them in
// the background, leaving a core free, then emits EventPeers so that
// lists on screen read them again. Nothing computes them before a list
// asks: a relay never does.
func (n *Node) safetyNumbers(keys []crdt.PublicKey) []string {
	out, missing := n.safety.lookup(keys)
	switch {
	case len(missing) == 0:
	case len(missing) <= safetyInline:
		n.safety.fill(keys, missing, out, runtime.GOMAXPROCS(0))
	default:
		n.safety.mu.Lock()
		start := !n.safety.filling && n.ctx.Err() == nil
		n.safety.filling = n.safety.filling || start
		n.safety.mu.Unlock()
		if start {
			todo := make([]crdt.PublicKey, len(missing))
			for j, i := range missing {
				todo[j] = keys[i]
			}
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.fillSafety(todo)
				n.safety.mu.Lock()
				n.safety.filling = false
				n.safety.mu.Unlock()
				n.emit(api.Event{Kind: api.EventPeers})
			}()
		}
	}
	return out
}

// fillSafety computes the safety numbers of keys not known yet on all
// cores but one, in slices, so that a close is noticed within one.
func (n *Node) fillSafety(keys []crdt.PublicKey) {
	workers := max(1, runtime.GOMAXPROCS(0)-1)
	for len(keys) > 0 && n.ctx.Err() == nil {
		k := min(len(keys), 128)
		out, missing := n.safety.lookup(keys[:k])
		n.safety.fill(keys[:k], missing, out, workers)
		keys = keys[k:]
	}
}
