package node

import (
	"context"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/umbrella-p2p/umbrella/api"
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
	self, _ := keyOf(peerkey.ID(n.id))
	return view.New(n.ctx, view.Config{Replica: n.rep, Meta: n.store, NotFound: store.ErrNotFound, Self: self,
		Names: names{}, Emit: n.events.Emit, Logger: n.log})
}

// presence is the host as the directory sees it.
type presence struct{ n *Node }

// Online reports whether this node is connected to member k now (directly
// or through a relay); the local member always is.
func (p presence) Online(k crdt.PublicKey) bool {
	if k == p.n.selfKey() {
		return true
	}
	id := peerIDOf(k)
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
	p := peerOf(m.Key)
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
func (names) PeerID(k crdt.PublicKey) string               { return peerOf(k) }

func nameOf(st *crdt.State, k crdt.PublicKey) string {
	if m := st.Members[k]; m != nil {
		return displayName(m)
	}
	return displayName(&crdt.Member{Key: k, Name: st.Names[k]})
}

// MessagePage returns up to limit messages of a group (at least 1, at most
// MaxPage) from index from of its display order, the same list Messages
// returns; a negative from means the last limit. Each has its Index, and
// a reply its Quote.
func (n *Node) MessagePage(cid, gid crdt.ID, from, limit int) (api.Page, error) {
	return n.views.MessagePage(cid, gid, from, limit)
}

// Messages returns a group's messages and polls in the deterministic display
// order, with edits, deletions, reactions, votes, pins and hidden-by-removal
// marks folded in.
func (n *Node) Messages(cid, gid crdt.ID) ([]api.Message, error) { return n.views.Messages(cid, gid) }

// Message returns one message or poll of a group.
func (n *Node) Message(cid, gid, id crdt.ID) (api.Message, error) {
	return n.views.Message(cid, gid, id)
}

// Pinned returns a group's pinned messages, oldest pin first.
func (n *Node) Pinned(cid, gid crdt.ID) ([]api.Message, error) { return n.views.Pinned(cid, gid) }

// Search returns up to limit (at least 1, at most MaxPage) messages of a
// group whose text, poll question or options, or author name contains
// query, ignoring case, newest first. Deleted and hidden messages are
// skipped.
func (n *Node) Search(cid, gid crdt.ID, query string, limit int) ([]api.Message, error) {
	return n.views.Search(cid, gid, query, limit)
}

// MarkRead records that the local member has read every message of a group
// so far (this device only). It emits EventGroups and EventCommunities when
// that changes what is unread.
func (n *Node) MarkRead(ctx context.Context, cid, gid crdt.ID) error {
	return n.views.MarkRead(ctx, cid, gid)
}

// SetMuted silences or unsilences a group (this device only): a muted
// group's unread messages do not count in its community's. It emits
// EventGroups and EventCommunities when that changes.
func (n *Node) SetMuted(ctx context.Context, cid, gid crdt.ID, muted bool) error {
	return n.views.SetMuted(ctx, cid, gid, muted)
}
