package pull

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// Former members.
//
// A peer that was a member of a community and, in this node's view, no
// longer is (crdt.State.Departed: removed, or left) is not a stranger:
//
//   - It may hold control ops nobody else has, written before it went: an
//     admin's removal of the admin who concurrently removed it. Members
//     pull them from it, read-only — they fetch what it offers and the crdt
//     rules judge every op, as from anyone — when it connects, when it
//     nudges, and when its departure arrives while it is connected; at most
//     once per Interval per peer and community (formerPulls), and at most
//     exchange.MaxFormerOps control ops a pull (pullFromFormer), so a former
//     member can neither keep a node busy nor fill it. Gossip stays closed
//     to it: the topic peer filter admits members only, both ways.
//   - It must learn that it went, or it goes on writing what nobody
//     receives. A node serves it exactly the control ops in the causal past
//     of the op by which it went (the removal is sealed under the epoch
//     before it, which the removed member holds, so it can open it): its
//     reconciliation set and its fetches hold those and nothing else — no
//     content, no keys, no topic secret, no peer addresses. Package
//     sync/exchange decides this (ReadableSet, AnswerSync) and pulls from
//     a former member (PullControl); this file keeps when to pull.
//
// A joiner whose join took effect and was later undone (crdt records it in
// Departed too: its link was revoked, or its maker lost the rank to invite,
// concurrently) is served the same way: the ops in the past of what undid
// it, so it learns that it is not a member.

// isFormer reports whether peer p was a member of community cid and, in
// this node's view, no longer is.
func (s *Scheduler) isFormer(cid crdt.ID, p peer.ID) bool {
	k, ok := peerkey.Key(p)
	return ok && s.cfg.Replica.Departure(cid, k) != nil
}

// formerPulls limits the pulls from former members to one per interval
// per peer and community; a pull asked for sooner runs when the interval
// ends, once.
type formerPulls struct {
	mu       sync.Mutex
	last     map[formerKey]time.Time // when the last pull began; guarded by mu
	deferred map[formerKey]bool      // a pull is scheduled; guarded by mu
}

type formerKey struct {
	p   peer.ID
	cid crdt.ID
}

// next reports how long to wait before pulling k (0: now, and the pull is
// recorded) and whether a deferred pull should be scheduled (false when
// one already is).
func (f *formerPulls) next(k formerKey, now time.Time, interval time.Duration) (wait time.Duration, schedule bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		f.last, f.deferred = map[formerKey]time.Time{}, map[formerKey]bool{}
	}
	if t, ok := f.last[k]; ok && now.Sub(t) < interval {
		wait = interval - now.Sub(t)
		schedule = !f.deferred[k]
		f.deferred[k] = true
		return wait, schedule
	}
	if _, ok := f.last[k]; !ok && len(f.last) >= maxFormerPulls {
		for q, t := range f.last {
			if now.Sub(t) >= interval && !f.deferred[q] {
				delete(f.last, q)
			}
		}
		if len(f.last) >= maxFormerPulls {
			return interval, false // too many at once: this one waits for its next chance
		}
	}
	f.last[k] = now
	return 0, false
}

// done notes that k's deferred pull ran.
func (f *formerPulls) done(k formerKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.deferred, k)
}

// PullFormer pulls community cid from former member p (see the top of this
// file), unless this node itself is not a member.
func (s *Scheduler) PullFormer(p peer.ID, cid crdt.ID) {
	if !s.IsMember(cid, s.cfg.Self) {
		return
	}
	k := formerKey{p, cid}
	wait, schedule := s.former.next(k, s.cfg.Now(), s.cfg.Interval)
	switch {
	case wait == 0:
		s.Pull(p, cid)
	case schedule:
		s.after(wait, func() {
			s.former.done(k)
			s.PullFormer(p, cid)
		})
	}
}

// pullFromFormer is Pull's pull from a former member: control ops only,
// at most exchange.MaxFormerOps of them, and none of what a pull from a
// member brings besides (keys, the topic secret, addresses). What it wrote
// in groups before it went is in its remover's past already (a removal
// records the remover's view of every group, crdt.RemoveBody.Seen), or
// concurrent with the removal and so hidden by it; its control ops can
// still count — a removal or demotion of its remover — or be struck.
func (s *Scheduler) pullFromFormer(p peer.ID, cid crdt.ID) {
	if err := s.cfg.Transport.PullControl(s.ctx, p, cid); err != nil {
		s.log.Debug("pull from a former member failed", "peer", p, "community", cid.Short(), "err", err)
	}
}

// PullDeparted pulls cid from the connected peers that are former members
// in this node's view: a removal or leave just arrived, and what the peer
// wrote concurrently may be on its node alone.
func (s *Scheduler) PullDeparted(cid crdt.ID) {
	for _, p := range s.cfg.Network.Peers() {
		if s.isFormer(cid, p) {
			s.PullFormer(p, cid)
		}
	}
}
