package pull

import (
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// Direct adds. An admin adds a peer it already knows from another
// community they share with a member.add op naming the peer's key (act's
// AddMember). The op is sealed, so the peer, which holds nothing of the
// new community, cannot read it; it learns of it by a nudge:
//
//   - every member's node that accepts a member.add nudges the added peer
//     if it is connected to it (the admin's own node at once);
//   - a member's node that connects to a member of a community who has
//     not arrived there (no prekey in it: a node publishes one as soon as
//     it holds a community) nudges it too, so an added peer that was
//     offline learns of it from the first member it meets. It costs one
//     small request per such member and connection, and none once the
//     peer arrived.
//
// A nudge (wire.KindNudge) names only a community. A node takes a nudge
// for a community it neither holds nor waits for, from someone it shares
// a community with (or a relay of one, see below), as "you may have been added there": it expects the
// community and pulls it from the nudger like a join in flight (keys
// first, then the ops; the pull that shows it a member completes it, see
// finishPendingJoin) and then tells subscribers EventAdded — once, even
// if the node restarts between the nudge and the pull: the join in flight
// is kept in the book, and the pull that completes it finds in the
// control log that a member added this node. The nudger
// answers the pull only if the peer is a member in its state, so a false
// nudge costs one refused pull. A nudge from anyone it shares no
// community with is ignored: that is the whole of what a direct add
// allows, and a node added where it does not want to be leaves at once.
// At most maxAddWaits such communities wait at once, each for at most
// addWaitAge; so a member of a shared community cannot make a node pull
// for ever.
//
// A relay cannot tell a peer of the add (member.add is sealed). The add
// comes with the keys wrapped to the added peer in clear share ops
// (crdt's RekeyShare, keys' Share), which make the peer an author the
// relay knows (package sync/relay, rule 5), so the relay serves it the
// community, and its node opens the keys from those ops as its pull
// parks them (keys' NoteParked): a nudged peer whose nudger went offline
// reads the community from a relay alone. The relay cannot read the add,
// but it sees that an author it knows from such a share has published no
// prekey in the community (it has not arrived there), so when that peer
// connects to it, it nudges it (package sync/relay, "Nudging newcomers"):
// an added peer that was offline learns of the add from the first member
// or relay of the community it meets. This node heeds a relay's nudge
// like a contact's if the relay is registered with some community it
// holds (it trusts that relay as far as it trusts the admin who
// registered it), and pulls the community from the relay; a nudge from a
// relay of no community it holds is ignored, and a relay's nudges count
// against the same maxAddWaits.

// addWait is a community this node was nudged about by a peer it shares a
// community with.
type addWait struct {
	from peer.ID
	at   time.Time
}

// addWaits are the communities this node may have been added to and
// waits to hold.
type addWaits struct {
	mu sync.Mutex
	by map[crdt.ID]addWait // guarded by mu
}

// holds reports whether this node holds community cid.
func (s *Scheduler) holds(cid crdt.ID) bool {
	return slices.Contains(s.cfg.Replica.Communities(), cid)
}

// sharesWith reports whether this node and k are both members of some
// community this node holds.
func (s *Scheduler) sharesWith(k crdt.PublicKey) bool {
	self, ok := peerkey.Key(s.cfg.Self)
	if !ok {
		return false
	}
	for _, cid := range s.cfg.Replica.Communities() {
		if s.cfg.Replica.Role(cid, k) != crdt.RoleNone && s.cfg.Replica.Role(cid, self) != crdt.RoleNone {
			return true
		}
	}
	return false
}

// relayOfHeld reports whether p is a relay registered with some
// community this node holds (and not a member of it).
func (s *Scheduler) relayOfHeld(p peer.ID) bool {
	for _, cid := range s.cfg.Replica.Communities() {
		if s.isRelay(cid, p) {
			return true
		}
	}
	return false
}

// maybeAdded heeds k's nudge for community cid, which this node neither
// holds nor waits for: see "Direct adds" above.
func (s *Scheduler) maybeAdded(cid crdt.ID, from peer.ID, k crdt.PublicKey) {
	if !s.sharesWith(k) && !s.relayOfHeld(from) {
		s.log.Debug("nudge for an unknown community from a stranger ignored", "peer", from, "community", cid.Short())
		return
	}
	now := s.cfg.Now()
	s.adds.mu.Lock()
	if s.adds.by == nil {
		s.adds.by = map[crdt.ID]addWait{}
	}
	var stale []crdt.ID
	for c, w := range s.adds.by {
		if now.Sub(w.at) > addWaitAge {
			stale = append(stale, c)
			delete(s.adds.by, c)
		}
	}
	_, waiting := s.adds.by[cid]
	full := len(s.adds.by) >= maxAddWaits
	if !waiting && !full {
		s.adds.by[cid] = addWait{from, now}
	}
	s.adds.mu.Unlock()
	for _, c := range stale {
		if !s.holds(c) {
			s.cfg.Book.SetJoining(c, false, now)
		}
	}
	if full && !waiting {
		s.log.Info("too many communities to be added to at once; nudge ignored", "peer", from, "community", cid.Short())
		return
	}
	s.log.Info("a contact may have added this node to a community; pulling it", "peer", from, "community", cid.Short())
	s.cfg.Replica.Expect(cid)
	s.cfg.Book.SetJoining(cid, true, now)
	s.Pull(from, cid)
}

// tookAdd forgets community cid's add wait and reports whether there
// was one.
func (s *Scheduler) tookAdd(cid crdt.ID) bool {
	s.adds.mu.Lock()
	defer s.adds.mu.Unlock()
	_, ok := s.adds.by[cid]
	delete(s.adds.by, cid)
	return ok
}

// nudgeNewcomer nudges connected member p of community cid if it has not
// arrived there yet (see "Direct adds" above).
func (s *Scheduler) nudgeNewcomer(p peer.ID, cid crdt.ID) {
	k, ok := peerkey.Key(p)
	if !ok || s.cfg.Replica.Arrived(cid, k) {
		return
	}
	s.Nudge(cid, k)
}

// emitAdded tells subscribers that this node now holds community cid,
// which a member added it to.
func (s *Scheduler) emitAdded(cid crdt.ID) {
	s.cfg.Local.Emit(api.Event{Kind: api.EventAdded, Community: cid})
}
