package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
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
//     once per SyncInterval per peer and community (formerPulls), and at
//     most exchange.MaxFormerOps control ops a pull (pullFromFormer), so a former
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
//
// The departed node itself shows it (Community.Removed, RemovedBy, Left,
// JoinUndone) and refuses to write there (ErrRemoved, ErrLeft,
// ErrJoinUndone).

// departedError says who removed the local member from which community;
// it is ErrRemoved or ErrLeft.
type departedError struct {
	community string
	by        string // who removed the member; empty when it left
	undone    bool   // its join was undone
}

func (e *departedError) Error() string {
	if e.undone {
		return fmt.Sprintf("your join of %s was undone: the link you joined by was revoked, or whoever made it lost the right to invite, while you joined; ask an admin for a new link", e.community)
	}
	if e.by == "" {
		return fmt.Sprintf("you left %s; what it said before stays readable, but you can no longer write in it", e.community)
	}
	return fmt.Sprintf("you were removed from %s by %s; what it said before stays readable, but you can no longer write in it", e.community, e.by)
}

func (e *departedError) Is(target error) bool {
	if e.undone {
		return target == api.ErrJoinUndone
	}
	return target == api.ErrRemoved && e.by != "" || target == api.ErrLeft && e.by == ""
}

// departed describes how the local member went from community cid, or is
// nil while it is a member (or never was one).
func departed(st *crdt.State, self crdt.PublicKey) *departedError {
	d := st.Departed[self]
	if d == nil {
		return nil
	}
	e := &departedError{community: st.Name, undone: !d.Join.IsZero()}
	if d.By != self && !e.undone {
		e.by = nameOf(st, d.By)
	}
	return e
}

// checkStillMember fails with ErrRemoved or ErrLeft if the local member
// went from community cid.
func (n *Node) checkStillMember(cid crdt.ID) error {
	self := n.selfKey()
	var err error
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		if e := departed(c.State(), self); e != nil {
			err = e
		}
		return nil
	})
	return err
}

// isFormer reports whether peer p was a member of community cid and, in
// this node's view, no longer is.
func (n *Node) isFormer(cid crdt.ID, p peer.ID) bool {
	k, ok := keyOf(p)
	return ok && n.rep.Departure(cid, k) != nil
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

// maxFormerPulls bounds the peers and communities formerPulls remembers.
const maxFormerPulls = 4096

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

// pullFormer pulls community cid from former member p (see the top of this
// file), unless this node itself is not a member.
func (n *Node) pullFormer(p peer.ID, cid crdt.ID) {
	if !n.isMember(cid, n.host.ID()) {
		return
	}
	k := formerKey{p, cid}
	wait, schedule := n.former.next(k, n.now(), n.cfg.SyncInterval)
	switch {
	case wait == 0:
		n.goPull(p, cid)
	case schedule:
		n.after(wait, func() {
			n.former.done(k)
			n.pullFormer(p, cid)
		})
	}
}

// pullFromFormer is goPull's pull from a former member: control ops only,
// at most exchange.MaxFormerOps of them, and none of what a pull from a member
// brings besides (keys, the topic secret, addresses). What it wrote in
// groups before it went is in its remover's past already (a removal
// records the remover's view of every group, crdt.RemoveBody.Seen), or
// concurrent with the removal and so hidden by it; its control ops can
// still count — a removal or demotion of its remover — or be struck.
func (n *Node) pullFromFormer(p peer.ID, cid crdt.ID) {
	if err := (protoHooks{n}).checkPeer(p, n.proto.x.PullControl(n.ctx, n.proto.remote(p), cid)); err != nil {
		n.log.Debug("pull from a former member failed", "peer", p, "community", cid.Short(), "err", err)
	}
}

// pullDeparted pulls cid from the connected peers that are former members
// in this node's view: a removal or leave just arrived, and what the peer
// wrote concurrently may be on its node alone.
func (n *Node) pullDeparted(cid crdt.ID) {
	for _, p := range n.host.Network().Peers() {
		if n.isFormer(cid, p) {
			n.pullFormer(p, cid)
		}
	}
}
