package gossip

// Gossip that outruns its parents. A node forwards an op only once it holds
// everything the op cites (parents, deps, the target of a reaction or
// edit), so a member who signs ops citing parents that do not exist reaches
// only its direct neighbours, and they park it only within its author's
// bounded share of the pending buffer: the validator does not forward such
// an op, parks it itself (gossip will not deliver it again) and pulls from
// the sender, which brings honest out-of-order ops with their parents. An
// honest sender validated what it forwarded, so it holds what the op cites;
// after the pull this node asks the sender for whatever is still missing,
// and a sender that cannot supply it is penalised like one that sends
// garbage on a sync stream (gossip scoring then drops its messages).
//
// Ops published in a burst (a rotation and the removal that cites it, a
// post and a reaction to it) reach the validator before the ops they cite
// are ingested: an op is passed if what it cites is held or was passed by
// the validator a moment before (recentOps). Junk cannot use this: its
// made-up parents were never passed, so neither is any op citing it.

import (
	"context"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// recentOps remembers the ids of the last maxRecentOps ops the gossip
// validator passed. The zero value is ready.
type recentOps struct {
	mu   sync.Mutex
	set  map[crdt.ID]struct{} // guarded by mu
	ring []crdt.ID            // guarded by mu; insertion order
	next int                  // guarded by mu; the ring's oldest entry once full
}

func (r *recentOps) add(id crdt.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set == nil {
		r.set = make(map[crdt.ID]struct{}, maxRecentOps)
	}
	if _, ok := r.set[id]; ok {
		return
	}
	if len(r.ring) < maxRecentOps {
		r.ring = append(r.ring, id)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % maxRecentOps
	}
	r.set[id] = struct{}{}
}

// without returns ids less those passed recently.
func (r *recentOps) without(ids []crdt.ID) []crdt.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := ids[:0]
	for _, id := range ids {
		if _, ok := r.set[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

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
		if !slices.Contains(m[cid], id) {
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

// unheld returns what op cites that this node does not hold, and whether
// it holds op's community at all.
func (s *Service) unheld(cid crdt.ID, op *crdt.Op) (missing []crdt.ID, known bool) {
	missing, err := s.rep.Lacks(cid, op)
	return s.passed.without(missing), err == nil
}

// keepUnbacked parks, in its author's bounded share of the pending buffer,
// an op the validator will not forward for what it cites: gossip marks it
// seen and will not deliver it again, and the ops it cites may be on their
// way (validation runs concurrently, so the op a rotation's removal cites
// can be checked after it).
//
// Only an op by a member, or by the sender itself, is parked: a member who
// signs junk with made-up keys would otherwise park a share per key. An op
// by a newcomer whose join has not arrived yet comes with the pull.
func (s *Service) keepUnbacked(from peer.ID, op *crdt.Op) {
	if k, ok := peerkey.Key(from); !ok || k != op.Author {
		if s.rep.Role(op.CommunityID(), op.Author) == crdt.RoleNone {
			return
		}
	}
	if _, err := s.rep.Ingest(s.ctx, op); err != nil {
		s.log.Debug("op refused", "op", op.ID().Short(), "err", err)
	}
}

// ignoreUnbacked is the validator's answer to an op from p whose parents
// this node lacks: remember what it lacks and pull from p.
func (s *Service) ignoreUnbacked(p peer.ID, cid crdt.ID, missing []crdt.ID) {
	if p == s.self {
		return
	}
	s.unbacked.note(p, cid, missing)
	s.peers.Pull(p, cid)
}

// JudgeUnbacked runs after a pull of cid from p (pulled is its error):
// what p's gossiped ops cited and this node still lacks is asked of p, and
// if p cannot supply it, p gossiped ops it could not have validated and is
// penalised. A pull or fetch that fails is not held against p — a
// connection can drop — unless p cited as many missing ops as are sampled
// (maxUnbackedIDs): an honest sender never has that many unbacked at once,
// and a flooder must not escape by not answering.
func (s *Service) JudgeUnbacked(ctx context.Context, p peer.ID, cid crdt.ID, pulled error) {
	var still []crdt.ID
	for _, id := range s.unbacked.take(p, cid) {
		if !s.rep.Holds(ctx, id) {
			still = append(still, id)
		}
	}
	if len(still) == 0 {
		return
	}
	flood := len(still) >= maxUnbackedIDs
	err := pulled
	if err == nil {
		err = s.peers.Fetch(ctx, p, cid, still)
	}
	if err != nil {
		s.log.Debug("fetch what gossip cited", "peer", p, "err", err)
		if flood {
			s.log.Info("a peer gossiped many ops citing parents it does not supply; penalising it", "peer", p, "community", cid.Short())
			s.Penalise(p)
		}
		return
	}
	for _, id := range still {
		if !s.rep.Holds(ctx, id) { // parked (waiting for a key, say) counts: p supplied it
			s.log.Info("a peer gossiped ops citing parents it does not hold; penalising it", "peer", p, "community", cid.Short())
			s.Penalise(p)
			return
		}
	}
}
