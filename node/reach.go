package node

import (
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/reach"
)

// ErrPortInUse: a listen address names a port another program holds.
var ErrPortInUse = reach.ErrPortInUse

// The node's side of reachability (package reach): the status the API
// shows, and meeting the members of a community.

// Status reports this node's network and sync state.
func (n *Node) Status() api.Status {
	st := api.Status{PeerID: n.host.ID().String(), Addrs: n.fullAddrs(), Reachable: n.relays.Reachability(), Peers: []api.PeerStatus{}, Communities: []api.CommunitySync{}}
	for _, r := range n.relays.Known() {
		for _, a := range r.Addrs {
			st.Relays = append(st.Relays, a.String()+"/p2p/"+r.ID.String())
		}
	}
	shared := map[peer.ID][]string{}
	names := map[peer.ID]string{}
	n.mu.Lock()
	syncing := len(n.syncing) > 0
	busy := map[crdt.ID]bool{}
	for _, cid := range n.syncing {
		busy[cid] = true
	}
	n.mu.Unlock()
	peers := n.host.Network().Peers()
	for _, cid := range n.rep.Communities() {
		cs := api.CommunitySync{ID: cid.String()}
		_ = n.rep.View(cid, func(c *crdt.Community) error {
			s := c.State()
			cs.Name = s.Name
			for _, p := range peers {
				if k, ok := keyOf(p); ok && s.Role(k) != crdt.RoleNone {
					cs.Members++
					shared[p] = append(shared[p], cid.String())
					if m := s.Members[k]; m != nil && names[p] == "" {
						names[p] = m.Name
					}
				}
			}
			return nil
		})
		if ls, ok := n.LastSync(cid); ok {
			cs.LastSync = &ls
		}
		_, cs.Live = n.keys.Secret(cid)
		switch {
		case busy[cid]:
			cs.State = "syncing"
		case cs.Members == 0:
			cs.State = "offline"
		default:
			cs.State = "synced"
		}
		st.Communities = append(st.Communities, cs)
	}
	for _, p := range peers {
		ps := api.PeerStatus{PeerID: p.String(), Name: names[p], Relayed: true, Communities: shared[p], Addrs: []string{}}
		for _, c := range n.host.Network().ConnsToPeer(p) {
			ps.Addrs = append(ps.Addrs, c.RemoteMultiaddr().String())
			if !reach.IsRelayed(c) {
				ps.Relayed = false
			}
		}
		st.Peers = append(st.Peers, ps)
	}
	slices.SortFunc(st.Peers, func(a, b api.PeerStatus) int { return strings.Compare(a.PeerID, b.PeerID) })
	switch {
	case syncing:
		st.Network = "syncing"
	case len(peers) > 0:
		st.Network = "online"
	default:
		st.Network = "offline"
	}
	return st
}

// Member address exchange: after a pull, a member asks the peer it pulled
// from for the addresses of the community's other members it knows (wire
// KindPeers) and dials those it is not connected to, up to wantPeers, so
// members find each other without the inviter.

const (
	// wantPeers is how many members of a community a node tries to stay
	// connected to; gossip needs a handful, not everyone.
	wantPeers = 8
	// maxSharedPeers bounds a KindPeers answer.
	maxSharedPeers = 32
)

// sharedPeers lists members of community cid this node knows addresses for
// (connected peers first), for member asker.
func (n *Node) sharedPeers(cid crdt.ID, asker peer.ID) []peer.AddrInfo {
	var out []peer.AddrInfo
	add := func(ai peer.AddrInfo) {
		if len(out) >= maxSharedPeers || ai.ID == asker || ai.ID == n.host.ID() || len(ai.Addrs) == 0 || !n.isMember(cid, ai.ID) ||
			slices.ContainsFunc(out, func(o peer.AddrInfo) bool { return o.ID == ai.ID }) {
			return
		}
		if len(ai.Addrs) > crdt.MaxAddrs {
			ai.Addrs = ai.Addrs[:crdt.MaxAddrs]
		}
		out = append(out, ai)
	}
	for _, p := range n.host.Network().Peers() {
		add(n.host.Peerstore().PeerInfo(p))
	}
	for _, ai := range n.peers.Known() {
		add(ai)
	}
	return out
}

// meetMembers dials members of cid that this node is not connected to,
// from addrs a peer shared, until it is connected to wantPeers of them.
func (n *Node) meetMembers(cid crdt.ID, addrs []peer.AddrInfo) {
	connected := 0
	for _, p := range n.host.Network().Peers() {
		if n.isMember(cid, p) {
			connected++
		}
	}
	for _, ai := range addrs {
		if connected >= wantPeers {
			return
		}
		if ai.ID == n.host.ID() || n.host.Network().Connectedness(ai.ID) == network.Connected || !n.isMember(cid, ai.ID) {
			continue
		}
		n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, 10*time.Minute)
		n.goConnect(ai)
		connected++
	}
}

// watchIdentify remembers a member's addresses once libp2p's identify has
// learnt them: a member that connected in (a joiner, say) has none in the
// peerstore before that, and would otherwise be forgotten if this node
// restarts before its next sync with it.
func (n *Node) watchIdentify(sub event.Subscription) {
	n.watchEvents(sub, func(e any) {
		p := e.(event.EvtPeerIdentificationCompleted).Peer
		for _, cid := range n.rep.Communities() {
			if n.isMember(cid, p) {
				n.peers.Remember(n.host.Peerstore().PeerInfo(p))
				return
			}
		}
	})
}
