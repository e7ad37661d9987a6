package node

import (
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/view"
	"github.com/umbrella-p2p/umbrella/view/safety"
)

// newViews builds the node's views (package view): paging, search, unread
// counts, read marks and mutes.
func newViews(n *Node) (*view.Views, error) {
	self, _ := peerkey.Key(peerkey.ID(n.id))
	return view.New(n.ctx, view.Config{Replica: n.rep, Meta: n.store, NotFound: store.ErrNotFound, Self: self,
		Names: names{}, Emit: n.events.Emit, Logger: n.log})
}

// SafetyNumbers returns the safety numbers of the members with these peer
// ids, in order, computing those not known yet (view/safety): members
// lists carry only a window's worth, and the app asks for the rows it
// shows.
func (n *Node) SafetyNumbers(peers []string) ([]string, error) {
	return n.safety.OfPeers(peers, names{}.Key)
}

// presence is the host as the directory sees it.
type presence struct{ n *Node }

// Online reports whether this node is connected to member k now (directly
// or through a relay); the local member always is.
func (p presence) Online(k crdt.PublicKey) bool {
	if k == p.n.selfKey() {
		return true
	}
	id := peerkey.Peer(k)
	if id == "" {
		return false
	}
	c := p.n.host.Network().Connectedness(id)
	return c == network.Connected || c == network.Limited
}

func displayName(m *crdt.Member) string {
	if m == nil {
		return "Unknown member"
	}
	if m.Name != "" {
		return m.Name
	}
	p := peerkey.Text(m.Key)
	return "Member " + p[len(p)-6:]
}

// What the node hands its views.
var (
	_ view.Replica       = (*replica.Replica)(nil)
	_ view.Meta          = store.OpStore(nil)
	_ view.Presence      = presence{}
	_ view.SafetyNumbers = (*safety.Cache)(nil)
)

// names names members for the views as the rest of the node does.
type names struct{}

var _ view.Names = names{}

func (names) Name(st *crdt.State, k crdt.PublicKey) string { return nameOf(st, k) }
func (names) PeerID(k crdt.PublicKey) string               { return peerkey.Text(k) }

func nameOf(st *crdt.State, k crdt.PublicKey) string {
	if m := st.Members[k]; m != nil {
		return displayName(m)
	}
	return displayName(&crdt.Member{Key: k, Name: st.Names[k]})
}
