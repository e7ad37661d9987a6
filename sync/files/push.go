package files

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// ErrRelayRefused marks a relay's refusal of a file (its quota, a file
// too large for it, a member it does not know): pushing again would be
// refused again, so a Pusher records it and stops.
var ErrRelayRefused = errors.New("the relay refused the file")

// PushFunc pushes the file at root, of size clear bytes, that this node
// holds whole, to relay (a peer id) of community cid, returning once the
// relay holds it. A refusal wraps ErrRelayRefused, its text the relay's
// reason; any other error (the relay unreachable, the stream cut) is
// worth a retry.
type PushFunc func(ctx context.Context, relay string, cid crdt.ID, root blob.Root, size int64) error

// Retry bounds a Pusher's retries of one file to one relay: the first
// waits Base, each next twice the last, at most Max, and after Attempts
// tries in all the push is given up (the file still downloads from
// members who hold it).
type Retry struct {
	Base, Max time.Duration
	Attempts  int
}

// DefaultRetry spans about an hour and a half: 10 s, 20 s, 40 s, …, then
// every 15 minutes, 12 tries in all.
var DefaultRetry = Retry{Base: 10 * time.Second, Max: 15 * time.Minute, Attempts: 12}

// MaxRefusals bounds the refusals a Pusher remembers for one relay of one
// community (the latest).
const MaxRefusals = 8

// Pusher hands the files this node shares to a community's relays in the
// background (a Forwarder), retrying a relay it cannot reach with
// backoff, and keeps what came of it for each relay: files pushed,
// pending, refused and given up (Fill). Its methods are safe for
// concurrent use.
type Pusher struct {
	ctx    context.Context
	push   PushFunc
	relays func(cid crdt.ID) []string
	retry  Retry
	wg     *sync.WaitGroup

	mu    sync.Mutex
	state map[relayKey]*pushState
}

type relayKey struct {
	cid   crdt.ID
	relay string
}

// pushState is what came of the pushes to one relay of one community.
type pushState struct {
	pushed, pending, failed int
	lastErr                 string
	refused                 []api.RelayFileRefusal
}

// NewPusher returns a Pusher that pushes with push to the relays that
// relays names for a community, for as long as ctx lasts, counting its
// goroutines in wg. A zero retry is DefaultRetry.
func NewPusher(ctx context.Context, wg *sync.WaitGroup, push PushFunc, relays func(cid crdt.ID) []string, retry Retry) *Pusher {
	if retry.Attempts <= 0 {
		retry = DefaultRetry
	}
	return &Pusher{ctx: ctx, push: push, relays: relays, retry: retry, wg: wg, state: map[relayKey]*pushState{}}
}

// Forward implements Forwarder: it pushes the file to each relay of
// community cid in the background.
func (p *Pusher) Forward(cid crdt.ID, root blob.Root, size int64) {
	for _, r := range p.relays(cid) {
		k := relayKey{cid, r}
		p.mu.Lock()
		st := p.stateOf(k)
		st.pending++
		p.mu.Unlock()
		p.wg.Go(func() { p.run(k, root, size) })
	}
}

// stateOf returns the state of k, made if new; p.mu is held.
func (p *Pusher) stateOf(k relayKey) *pushState {
	st := p.state[k]
	if st == nil {
		st = &pushState{}
		p.state[k] = st
	}
	return st
}

// run pushes one file to one relay until it is held, refused, given up,
// or the pusher's context ends.
func (p *Pusher) run(k relayKey, root blob.Root, size int64) {
	wait := p.retry.Base
	var err error
	for try := 1; ; try++ {
		if err = p.push(p.ctx, k.relay, k.cid, root, size); err == nil || errors.Is(err, ErrRelayRefused) || p.ctx.Err() != nil || try >= p.retry.Attempts {
			break
		}
		p.mu.Lock()
		p.stateOf(k).lastErr = fmt.Sprintf("file %s: try %d of %d: %v", root.String()[:12], try, p.retry.Attempts, err)
		p.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-p.ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if p.ctx.Err() != nil {
			break
		}
		wait = min(2*wait, p.retry.Max)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stateOf(k)
	st.pending--
	switch {
	case err == nil:
		st.pushed++
		st.lastErr = ""
	case errors.Is(err, ErrRelayRefused):
		st.refused = append(st.refused, api.RelayFileRefusal{Root: root.String(), Reason: err.Error()})
		if len(st.refused) > MaxRefusals {
			st.refused = st.refused[len(st.refused)-MaxRefusals:]
		}
	case p.ctx.Err() == nil:
		st.failed++
		st.lastErr = fmt.Sprintf("file %s: gave up after %d tries: %v", root.String()[:12], p.retry.Attempts, err)
	}
}

// Fill sets the file push state of each relay of community cid in rs.
func (p *Pusher) Fill(cid crdt.ID, rs []api.RelayState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range rs {
		st := p.state[relayKey{cid, rs[i].PeerID}]
		if st == nil {
			continue
		}
		rs[i].Files = &api.RelayFiles{Pushed: st.pushed, Pending: st.pending, GaveUp: st.failed, LastError: st.lastErr,
			Refused: append([]api.RelayFileRefusal(nil), st.refused...)}
	}
}
