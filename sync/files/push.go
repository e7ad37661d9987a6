package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// relay holds it, telling progress (never nil) how many of the file's
// chunks went to the relay, of how many, as it goes. A refusal wraps
// ErrRelayRefused, its text the relay's reason; any other error (the
// relay unreachable, the stream cut) is worth a retry.
type PushFunc func(ctx context.Context, relay string, cid crdt.ID, root blob.Root, size int64, progress func(sent, total int)) error

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
	// files is each file's push to each relay, for the file's row;
	// order the files in the order they were first forwarded. Guarded
	// by mu.
	files map[fileKey]map[string]*filePush
	order []fileKey
}

type fileKey struct {
	cid  crdt.ID
	root blob.Root
}

// filePush is how the push of one file to one relay goes.
type filePush struct {
	sent, total int
	done        bool
	refused     string
	gaveUp      string
	retrying    string
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
	return &Pusher{ctx: ctx, push: push, relays: relays, retry: retry, wg: wg, state: map[relayKey]*pushState{}, files: map[fileKey]map[string]*filePush{}}
}

// Forward implements Forwarder: it pushes the file to each relay of
// community cid in the background.
func (p *Pusher) Forward(cid crdt.ID, root blob.Root, size int64) {
	for _, r := range p.relays(cid) {
		k := relayKey{cid, r}
		p.mu.Lock()
		st := p.stateOf(k)
		st.pending++
		fp := &filePush{total: blob.Chunks(size)}
		p.fileOf(fileKey{cid, root})[r] = fp
		p.mu.Unlock()
		p.wg.Go(func() { p.run(k, fp, root, size) })
	}
}

// fileOf returns the pushes of file k by relay, made if new (forgetting
// the oldest file whose pushes all ended, past MaxFilePushes); p.mu is
// held.
func (p *Pusher) fileOf(k fileKey) map[string]*filePush {
	if m, ok := p.files[k]; ok {
		return m
	}
	if len(p.order) >= MaxFilePushes {
		for i, old := range p.order {
			if !p.running(old) {
				delete(p.files, old)
				p.order = append(p.order[:i], p.order[i+1:]...)
				break
			}
		}
	}
	m := map[string]*filePush{}
	p.files[k] = m
	p.order = append(p.order, k)
	return m
}

// running reports whether a push of file k has not ended; p.mu is held.
func (p *Pusher) running(k fileKey) bool {
	for _, fp := range p.files[k] {
		if !fp.done && fp.refused == "" && fp.gaveUp == "" {
			return true
		}
	}
	return false
}

// FileState is how the push of the file at root, shared in community
// cid, to the community's relays goes, or nil when this node pushed it
// to none since it started.
func (p *Pusher) FileState(cid crdt.ID, root blob.Root) *api.RelayPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.files[fileKey{cid, root}]
	if len(m) == 0 {
		return nil
	}
	out := &api.RelayPush{Relays: len(m)}
	for _, fp := range m {
		switch {
		case fp.done:
			out.Held++
		case fp.refused != "":
			out.Refused = fp.refused
		case fp.gaveUp != "":
			out.GaveUp = fp.gaveUp
		default:
			out.Pending++
			if fp.total > 0 {
				out.Percent = max(out.Percent, 100*fp.sent/fp.total)
			}
			if fp.retrying != "" {
				out.Retrying = fp.retrying
			}
		}
	}
	return out
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
func (p *Pusher) run(k relayKey, fp *filePush, root blob.Root, size int64) {
	wait := p.retry.Base
	var err error
	progress := func(sent, total int) {
		p.mu.Lock()
		fp.sent, fp.total, fp.retrying = sent, total, ""
		p.mu.Unlock()
	}
	for try := 1; ; try++ {
		if err = p.push(p.ctx, k.relay, k.cid, root, size, progress); err == nil || errors.Is(err, ErrRelayRefused) || p.ctx.Err() != nil || try >= p.retry.Attempts {
			break
		}
		p.mu.Lock()
		p.stateOf(k).lastErr = fmt.Sprintf("file %s: try %d of %d: %v", root.String()[:12], try, p.retry.Attempts, err)
		fp.retrying = fmt.Sprintf("try %d of %d: %v", try, p.retry.Attempts, err)
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
		fp.done, fp.sent, fp.retrying = true, fp.total, ""
	case errors.Is(err, ErrRelayRefused):
		st.refused = append(st.refused, api.RelayFileRefusal{Root: root.String(), Reason: err.Error()})
		if len(st.refused) > MaxRefusals {
			st.refused = st.refused[len(st.refused)-MaxRefusals:]
		}
		fp.refused = strings.TrimPrefix(err.Error(), ErrRelayRefused.Error()+": ")
	case p.ctx.Err() == nil:
		st.failed++
		st.lastErr = fmt.Sprintf("file %s: gave up after %d tries: %v", root.String()[:12], p.retry.Attempts, err)
		fp.gaveUp = fmt.Sprintf("gave up after %d tries: %v", p.retry.Attempts, err)
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
