package node

import (
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"

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
	relays := map[string]bool{} // peer ids of the relays this node uses or a community registered
	for _, r := range n.relays.Known() {
		relays[r.ID.String()] = true
		for _, a := range r.Addrs {
			st.Relays = append(st.Relays, a.String()+"/p2p/"+r.ID.String())
		}
	}
	shared := map[peer.ID][]string{}
	names := map[peer.ID]string{}
	pulling := n.pulls.Syncing()
	syncing := len(pulling) > 0
	busy := map[crdt.ID]bool{}
	for _, cid := range pulling {
		busy[cid] = true
	}
	peers := n.host.Network().Peers()
	for _, cid := range n.rep.Communities() {
		cs := api.CommunitySync{ID: cid.String()}
		_ = n.rep.View(cid, func(c *crdt.Community) error {
			s := c.State()
			cs.Name = s.Name
			for k := range s.Relays {
				relays[peerOf(k)] = true
			}
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
		cs.Relays, _ = n.Relays(cid)
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
		ps := api.PeerStatus{PeerID: p.String(), Name: names[p], Relayed: true, Relay: relays[p.String()], Communities: shared[p], Addrs: []string{}}
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
