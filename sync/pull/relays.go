package pull

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Relays: a relay an admin registered with a community (crdt's relay op,
// api.Community.Relays) is a peer to pull from and push to like a member,
// on start and every tick: this node dials it if it is not connected (the
// connection pulls), pulls from it, and then nudges it, so it pulls what
// this node wrote (the push). A relay serves no keys, topic secrets or
// peer lists, so none are asked of it. Its answer to the nudge says
// whether it keeps what it is given (a relay at its quota says so).

// relayAddrTTL is how long a relay's registered addresses stay in the
// peerstore; every tick renews them.
const relayAddrTTL = 30 * time.Minute

// RelayStatus is what this node knows of its pushes to one relay.
type RelayStatus struct {
	// Pushed is when the relay last answered a nudge, zero if never.
	Pushed time.Time
	// Refused is the relay's refusal of the last nudge (its quota
	// reason), or the error reaching it; empty when it accepted.
	Refused string
	// Pulled is when a pull from the relay last succeeded, zero if never.
	Pulled time.Time
	// UpToDate: the relay accepted a push that started after this node's
	// last write to the community (PushToRelays), so it holds all of it.
	UpToDate bool
	// covers is the count of this node's writes when the last push the
	// relay accepted started.
	covers uint64
}

// relaysOf returns the relays registered with community cid, with the
// addresses their registration gives.
func (s *Scheduler) relaysOf(cid crdt.ID) []peer.AddrInfo {
	c, err := s.cfg.Local.Community(cid)
	if err != nil {
		return nil
	}
	var out []peer.AddrInfo
	for _, r := range c.Relays {
		p, err := peerkey.FromPublicKey(r.Key[:])
		if err != nil || p == s.cfg.Self {
			continue
		}
		ai := peer.AddrInfo{ID: p}
		for _, a := range r.Addrs {
			if m, err := ma.NewMultiaddr(a); err == nil {
				ai.Addrs = append(ai.Addrs, m)
			}
		}
		out = append(out, ai)
	}
	return out
}

// isRelay reports whether p is a relay registered with community cid
// and not a member of it.
func (s *Scheduler) isRelay(cid crdt.ID, p peer.ID) bool {
	if s.IsMember(cid, p) {
		return false
	}
	for _, ai := range s.relaysOf(cid) {
		if ai.ID == p {
			return true
		}
	}
	return false
}

// syncRelays pulls community cid from each of its relays this node is
// connected to (a push follows the pull) and dials the others.
func (s *Scheduler) syncRelays(cid crdt.ID) {
	for _, ai := range s.relaysOf(cid) {
		if s.cfg.Network.Connected(ai.ID) {
			s.Pull(ai.ID, cid)
			continue
		}
		if len(ai.Addrs) > 0 {
			s.cfg.Network.AddAddrs(ai.ID, ai.Addrs, relayAddrTTL)
		}
		s.Dial(ai) // OnConnect pulls
	}
}

// PushToRelays nudges every registered relay of community cid that this
// node is connected to, so it pulls at once what this node just wrote
// (relays do not follow the gossip topics), and dials the others (the
// connection pulls and pushes). The ops just written, when given and
// small enough (wire.MaxPushOps, wire.MaxPushBytes), go along in the push
// (wire.KindPush), so the relay stores them at once instead of pulling.
// It notes the write, so Relays can tell whether each relay is up to
// date. One push to a relay is in flight at a time; one asked for
// meanwhile runs once after it, as a nudge (the running one may have made
// the relay reconcile before the write).
func (s *Scheduler) PushToRelays(cid crdt.ID, ops ...*crdt.Op) {
	var raws [][]byte
	size := 0
	for _, op := range ops {
		size += len(op.Bytes())
		raws = append(raws, op.Bytes())
	}
	if len(raws) > wire.MaxPushOps || size > wire.MaxPushBytes {
		raws = nil // too big to go along: the relay pulls them
	}
	s.mu.Lock()
	s.wrote[cid]++
	s.mu.Unlock()
	for _, ai := range s.relaysOf(cid) {
		if !s.cfg.Network.Connected(ai.ID) {
			if len(ai.Addrs) > 0 {
				s.cfg.Network.AddAddrs(ai.ID, ai.Addrs, relayAddrTTL)
			}
			s.Dial(ai)
			continue
		}
		key := laterKey{ai.ID, cid}
		s.mu.Lock()
		_, busy := s.pushing[key]
		s.pushing[key] = busy // true: push again after the running one
		s.mu.Unlock()
		if busy {
			continue
		}
		s.goTracked(func() {
			raws := raws
			for {
				s.push(ai.ID, cid, raws)
				raws = nil
				s.mu.Lock()
				again := s.pushing[key] && s.ctx.Err() == nil
				if !again {
					delete(s.pushing, key)
				} else {
					s.pushing[key] = false
				}
				s.mu.Unlock()
				if !again {
					return
				}
			}
		})
	}
}

// pullFromRelay is one pull of Pull from relay p, and the push after it.
func (s *Scheduler) pullFromRelay(p peer.ID, cid crdt.ID) {
	if err := s.PullNow(s.ctx, p, cid, nil); err != nil {
		s.log.Debug("pull from relay failed", "relay", p, "community", cid.Short(), "err", err)
	} else {
		s.mu.Lock()
		st := s.relays[laterKey{p, cid}]
		st.Pulled = s.cfg.Now()
		s.relays[laterKey{p, cid}] = st
		s.mu.Unlock()
	}
	s.push(p, cid, nil)
}

// push sends relay p the ops raws of community cid, or with none nudges it
// to pull, and notes its answer.
func (s *Scheduler) push(p peer.ID, cid crdt.ID, raws [][]byte) {
	key := laterKey{p, cid}
	s.mu.Lock()
	at := s.wrote[cid]
	s.mu.Unlock()
	req := &wire.Request{Kind: wire.KindNudge, Community: cid[:]}
	if len(raws) > 0 {
		req = &wire.Request{Kind: wire.KindPush, Community: cid[:], Ops: raws}
	}
	resp, err := s.cfg.Transport.Request(s.ctx, p, req)
	// Read again: a pull from the relay may have noted itself meanwhile.
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.relays[key]
	switch {
	case err != nil:
		st.Refused = err.Error()
	case resp.Error != "":
		st.Pushed, st.Refused = s.cfg.Now(), resp.Error
		s.log.Warn("relay refuses what this node writes", "relay", p, "community", cid.Short(), "reason", resp.Error)
	default:
		st.Pushed, st.Refused, st.covers = s.cfg.Now(), "", max(st.covers, at)
	}
	s.relays[key] = st
}

// Relays describes the relays registered with community cid: where they
// are, whether this node is connected to each, and how its pulls and
// pushes went.
func (s *Scheduler) Relays(cid crdt.ID) []api.RelayState {
	out := []api.RelayState{}
	for _, ai := range s.relaysOf(cid) {
		st := s.RelayStatus(cid, ai.ID)
		rs := api.RelayState{PeerID: ai.ID.String(), Addrs: []string{}, Online: s.cfg.Network.Connected(ai.ID), Refused: st.Refused, UpToDate: st.UpToDate}
		for _, a := range ai.Addrs {
			rs.Addrs = append(rs.Addrs, a.String())
		}
		if !st.Pulled.IsZero() {
			t := st.Pulled
			rs.LastSync = &t
		}
		if !st.Pushed.IsZero() {
			t := st.Pushed
			rs.LastPush = &t
		}
		out = append(out, rs)
	}
	return out
}

// RelayStatus returns what this node knows of its pushes to relay p of
// community cid.
func (s *Scheduler) RelayStatus(cid crdt.ID, p peer.ID) RelayStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.relays[laterKey{p, cid}]
	st.UpToDate = st.Refused == "" && !st.Pushed.IsZero() && st.covers >= s.wrote[cid]
	return st
}

// RelaysOf returns the relays registered with community cid, with the
// addresses their registration gives (for invite links: a relay answers
// their lookups and takes joins with no member online).
func (s *Scheduler) RelaysOf(cid crdt.ID) []peer.AddrInfo { return s.relaysOf(cid) }
