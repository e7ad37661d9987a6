package node

// Gossip that outruns its parents. A node forwards an op only once it holds
// everything the op cites (parents, deps, the target of a reaction or
// edit), so a member who signs ops citing parents that do not exist reaches
// only its direct neighbours, and they park nothing: the validator ignores
// such an op (neither forwarded nor delivered) and pulls from the sender
// instead, which brings honest out-of-order ops with their parents. An
// honest sender validated what it forwarded, so it holds what the op cites;
// after the pull this node asks the sender for whatever is still missing,
// and a sender that cannot supply it is penalised like one that sends
// garbage on a sync stream (gossip scoring then drops its messages).

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Bounds of what is remembered of ops ignored for missing parents.
const (
	maxUnbackedPeers = 1024 // senders remembered at once
	maxUnbackedIDs   = 16   // missing ids sampled per sender and community
)

// unbackedOps samples, per sender and community, ids that ops the sender
// gossiped cited and this node did not hold. The zero value is ready.
type unbackedOps struct {
	mu     sync.Mutex
	byPeer map[peer.ID]map[crdt.ID][]crdt.ID // guarded by mu
}

// note records missing ids of an op from p in community cid.
func (u *unbackedOps) note(p peer.ID, cid crdt.ID, missing []crdt.ID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byPeer == nil {
		u.byPeer = map[peer.ID]map[crdt.ID][]crdt.ID{}
	}
	m := u.byPeer[p]
	if m == nil {
		if len(u.byPeer) >= maxUnbackedPeers {
			return // what is already sampled is judged first
		}
		m = map[crdt.ID][]crdt.ID{}
		u.byPeer[p] = m
	}
	for _, id := range missing {
		if len(m[cid]) >= maxUnbackedIDs {
			return
		}
		if !containsID(m[cid], id) {
			m[cid] = append(m[cid], id)
		}
	}
}

// take returns and forgets what was sampled from p in cid.
func (u *unbackedOps) take(p peer.ID, cid crdt.ID) []crdt.ID {
	u.mu.Lock()
	defer u.mu.Unlock()
	ids := u.byPeer[p][cid]
	delete(u.byPeer[p], cid)
	if len(u.byPeer[p]) == 0 {
		delete(u.byPeer, p)
	}
	return ids
}

func containsID(ids []crdt.ID, id crdt.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// unheld returns what op cites that this node does not hold, and whether
// it holds op's community at all.
func (n *Node) unheld(cid crdt.ID, op *crdt.Op) (missing []crdt.ID, known bool) {
	err := n.rep.View(cid, func(c *crdt.Community) error {
		missing = c.Missing(op)
		return nil
	})
	return missing, err == nil
}

// ignoreUnbacked is the validator's answer to an op from p whose parents
// this node lacks: remember what it lacks and pull from p.
func (n *Node) ignoreUnbacked(p peer.ID, cid crdt.ID, missing []crdt.ID) {
	if p == n.host.ID() {
		return
	}
	n.unbacked.note(p, cid, missing)
	n.goPull(p, cid)
}

// judgeUnbacked runs after a pull of cid from p: what p's gossiped ops
// cited and this node still lacks is asked of p, and if p cannot supply
// it, p gossiped ops it could not have validated and is penalised.
func (n *Node) judgeUnbacked(p peer.ID, cid crdt.ID) {
	var still []crdt.ID
	for _, id := range n.unbacked.take(p, cid) {
		if has, err := n.rep.Has(n.ctx, id); err == nil && !has {
			still = append(still, id)
		}
	}
	if len(still) == 0 {
		return
	}
	if err := n.fetch(n.ctx, p, cid, still, nil); err != nil {
		n.log.Debug("fetch what gossip cited", "peer", p, "err", err)
		return // not p's fault that we know of
	}
	for _, id := range still {
		if has, err := n.rep.Has(n.ctx, id); err == nil && !has {
			n.log.Info("a peer gossiped ops citing parents it does not hold; penalising it", "peer", p, "community", cid.Short())
			n.penalise(p)
			return
		}
	}
}
