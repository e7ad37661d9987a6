package pull

import (
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Member address exchange: after a pull, a member asks the peer it pulled
// from for the addresses of the community's other members it knows (wire
// KindPeers) and dials those it is not connected to, up to wantPeers, so
// members find each other without the inviter.

// SharedPeers lists members of community cid this node knows addresses for
// (connected peers first), for member asker.
func (s *Scheduler) SharedPeers(cid crdt.ID, asker peer.ID) []peer.AddrInfo {
	var out []peer.AddrInfo
	add := func(ai peer.AddrInfo) {
		if len(out) >= MaxSharedPeers || ai.ID == asker || ai.ID == s.cfg.Self || len(ai.Addrs) == 0 || !s.IsMember(cid, ai.ID) ||
			slices.ContainsFunc(out, func(o peer.AddrInfo) bool { return o.ID == ai.ID }) {
			return
		}
		if len(ai.Addrs) > crdt.MaxAddrs {
			ai.Addrs = ai.Addrs[:crdt.MaxAddrs]
		}
		out = append(out, ai)
	}
	for _, p := range s.cfg.Network.Peers() {
		add(s.cfg.Network.PeerInfo(p))
	}
	for _, ai := range s.cfg.Book.Known() {
		add(ai)
	}
	return out
}

// meetMembers dials members of cid that this node is not connected to,
// from addrs a peer shared, until it is connected to wantPeers of them.
func (s *Scheduler) meetMembers(cid crdt.ID, addrs []peer.AddrInfo) {
	connected := 0
	for _, p := range s.cfg.Network.Peers() {
		if s.IsMember(cid, p) {
			connected++
		}
	}
	for _, ai := range addrs {
		if connected >= wantPeers {
			return
		}
		if ai.ID == s.cfg.Self || s.cfg.Network.Connected(ai.ID) || !s.IsMember(cid, ai.ID) {
			continue
		}
		s.cfg.Network.AddAddrs(ai.ID, ai.Addrs, sharedAddrTTL)
		s.Dial(ai)
		connected++
	}
}

// exchangePeers asks member p for the addresses of cid's members it knows
// and dials some of them.
func (s *Scheduler) exchangePeers(p peer.ID, cid crdt.ID) {
	resp, err := s.cfg.Transport.Request(s.ctx, p, &wire.Request{Kind: wire.KindPeers, Community: cid[:]})
	if err != nil || resp.Error != "" {
		refused := ""
		if resp != nil {
			refused = resp.Error
		}
		s.log.Debug("peer exchange", "peer", p, "err", err, "refused", refused)
		return
	}
	var addrs []peer.AddrInfo
	for _, pa := range resp.Peers[:min(len(resp.Peers), MaxSharedPeers)] {
		id, err := peer.IDFromBytes(pa.ID)
		if err != nil {
			continue
		}
		ai := peer.AddrInfo{ID: id}
		for _, b := range pa.Addrs[:min(len(pa.Addrs), crdt.MaxAddrs)] {
			if a, err := ma.NewMultiaddrBytes(b); err == nil {
				ai.Addrs = append(ai.Addrs, a)
			}
		}
		if len(ai.Addrs) > 0 {
			addrs = append(addrs, ai)
		}
	}
	s.meetMembers(cid, addrs)
}
