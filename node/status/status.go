// Package status builds the network and sync report of a member node
// (api.Status) from the parts that know each piece: the libp2p host's
// connections, the relays it uses (reach), the pulls under way
// (sync/pull) and the communities it holds (sync/replica).
package status

import (
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/reach"
)

// Relays are the relays the node uses (reach.Relays).
type Relays interface {
	Reachability() string
	Known() []peer.AddrInfo
}

// Replica is the communities the node holds (sync/replica).
type Replica interface {
	Communities() []crdt.ID
	// Snapshot returns community cid's control state, read-only.
	Snapshot(cid crdt.ID) (*crdt.State, error)
}

// Community is what the node knows of one community's sync beyond its
// state.
type Community interface {
	// LastSync returns the last pull of community cid, if any.
	LastSync(cid crdt.ID) (api.SyncStats, bool)
	// Live reports whether the node holds community cid's topic secret.
	Live(cid crdt.ID) bool
	// Relays describes the relays registered with community cid.
	Relays(cid crdt.ID) ([]api.RelayState, error)
}

// Parts are what a report reads.
type Parts struct {
	// Self is the node's peer id, Addrs its addresses with it.
	Self  peer.ID
	Addrs []string
	// Network is the host's network: its peers and connections.
	Network network.Network
	Relays  Relays
	// Syncing returns the communities pulled now, by the peer pulled from.
	Syncing   func() map[peer.ID]crdt.ID
	Replica   Replica
	Community Community
}

// Report returns the node's network and sync state.
func Report(p Parts) api.Status {
	st := api.Status{PeerID: p.Self.String(), Addrs: p.Addrs, Reachable: p.Relays.Reachability(), Peers: []api.PeerStatus{}, Communities: []api.CommunitySync{}}
	relays := map[string]bool{} // peer ids of the relays this node uses or a community registered
	for _, r := range p.Relays.Known() {
		relays[r.ID.String()] = true
		for _, a := range r.Addrs {
			st.Relays = append(st.Relays, a.String()+"/p2p/"+r.ID.String())
		}
	}
	shared := map[peer.ID][]string{}
	names := map[peer.ID]string{}
	pulling := p.Syncing()
	syncing := len(pulling) > 0
	busy := map[crdt.ID]bool{}
	for _, cid := range pulling {
		busy[cid] = true
	}
	peers := p.Network.Peers()
	for _, cid := range p.Replica.Communities() {
		cs := api.CommunitySync{ID: cid.String()}
		if s, err := p.Replica.Snapshot(cid); err == nil {
			cs.Name = s.Name
			for k := range s.Relays {
				relays[peerkey.Text(k)] = true
			}
			for _, pr := range peers {
				if k, ok := peerkey.Key(pr); ok && s.Role(k) != crdt.RoleNone {
					cs.Members++
					shared[pr] = append(shared[pr], cid.String())
					if m := s.Members[k]; m != nil && names[pr] == "" {
						names[pr] = m.Name
					}
				}
			}
		}
		if ls, ok := p.Community.LastSync(cid); ok {
			cs.LastSync = &ls
		}
		cs.Live = p.Community.Live(cid)
		cs.Relays, _ = p.Community.Relays(cid)
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
	for _, pr := range peers {
		ps := api.PeerStatus{PeerID: pr.String(), Name: names[pr], Relayed: true, Relay: relays[pr.String()], Communities: shared[pr], Addrs: []string{}}
		for _, c := range p.Network.ConnsToPeer(pr) {
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
