package node

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// parseRelay parses a relay's multiaddr, which must name its peer id.
func parseRelay(s string) (peer.AddrInfo, error) {
	a, err := ma.NewMultiaddr(strings.TrimSpace(s))
	if err != nil {
		return peer.AddrInfo{}, err
	}
	ai, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return peer.AddrInfo{}, errors.New("a relay address must end in /p2p/<peer id>")
	}
	return *ai, nil
}

// relays returns the relays this node knows: its configuration's, then
// those named in the invites it joined by.
func (n *Node) relays() []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, s := range append(slices.Clone(n.cfg.Relays), n.peers.relays()...) {
		ai, err := parseRelay(s)
		if err != nil || ai.ID == n.host.ID() {
			continue
		}
		if i := slices.IndexFunc(out, func(o peer.AddrInfo) bool { return o.ID == ai.ID }); i >= 0 {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...) // another address of a relay already listed
			continue
		}
		out = append(out, ai)
	}
	return out
}

// reservation is a slot this node holds on a relay.
type reservation struct {
	addrs   []ma.Multiaddr // the relay's addresses, without /p2p
	expires time.Time
}

// maxReservations is how many relays a node keeps a slot on at once.
const maxReservations = 2

// relayLoop keeps slots on up to maxReservations known relays while this
// node cannot be reached directly, renewing them before they expire.
func (n *Node) relayLoop() {
	defer n.wg.Done()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		n.keepReservations()
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		case <-n.reachCh:
		}
	}
}

func (n *Node) keepReservations() {
	if n.reachability() != "private" {
		return
	}
	held := 0
	for _, r := range n.relays() {
		if held >= maxReservations || n.ctx.Err() != nil {
			return
		}
		n.resMu.Lock()
		cur, ok := n.reservations[r.ID]
		n.resMu.Unlock()
		if ok && time.Until(cur.expires) > 15*time.Minute {
			held++
			continue
		}
		ctx, cancel := context.WithTimeout(n.ctx, 20*time.Second)
		res, err := client.Reserve(ctx, n.host, r)
		cancel()
		if err != nil {
			n.log.Debug("relay reservation failed", "relay", r.ID, "err", err)
			continue
		}
		addrs := r.Addrs
		if len(addrs) == 0 {
			addrs = n.host.Peerstore().Addrs(r.ID)
		}
		n.resMu.Lock()
		n.reservations[r.ID] = reservation{addrs: addrs, expires: res.Expiration}
		n.resMu.Unlock()
		held++
		n.log.Info("holding a relay slot", "relay", r.ID, "until", res.Expiration.Format(time.RFC3339))
		n.emit(api.Event{Kind: api.EventPeers})
	}
}

// withRelayAddrs is the host's address factory: its own addresses plus a
// circuit address through every relay it holds a slot on.
func (n *Node) withRelayAddrs(addrs []ma.Multiaddr) []ma.Multiaddr {
	n.resMu.Lock()
	defer n.resMu.Unlock()
	for id, r := range n.reservations {
		if time.Now().After(r.expires) {
			delete(n.reservations, id)
			continue
		}
		for _, a := range r.addrs {
			if c, err := ma.NewMultiaddr(a.String() + "/p2p/" + id.String() + "/p2p-circuit"); err == nil {
				addrs = append(addrs, c)
			}
		}
	}
	return addrs
}

// viaRelays adds to ai the circuit addresses that reach it through each
// known relay, for a peer that may only be reachable that way.
func viaRelays(ai peer.AddrInfo, relays []peer.AddrInfo) peer.AddrInfo {
	for _, r := range relays {
		if r.ID == ai.ID {
			continue
		}
		for _, ra := range r.Addrs {
			c, err := ma.NewMultiaddr(ra.String() + "/p2p/" + r.ID.String() + "/p2p-circuit")
			if err == nil && !slices.ContainsFunc(ai.Addrs, c.Equal) {
				ai.Addrs = append(ai.Addrs, c)
			}
		}
	}
	return ai
}

// isRelayed reports whether a connection runs through a circuit relay.
func isRelayed(c network.Conn) bool {
	_, err := c.RemoteMultiaddr().ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// Status reports this node's network and sync state.
func (n *Node) Status() api.Status {
	st := api.Status{PeerID: n.host.ID().String(), Addrs: n.fullAddrs(), Reachable: n.reachability(), Peers: []api.PeerStatus{}, Communities: []api.CommunitySync{}}
	for _, r := range n.relays() {
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
			if !isRelayed(c) {
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

// reachability returns what AutoNAT last concluded.
func (n *Node) reachability() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch n.reach {
	case network.ReachabilityPublic:
		return "public"
	case network.ReachabilityPrivate:
		return "private"
	}
	return "unknown"
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
	for _, ai := range n.peers.known() {
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
