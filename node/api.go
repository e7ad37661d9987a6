package node

import (
	"context"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Self describes the local node.
type Self struct {
	PeerID string   `json:"peer_id"`
	Name   string   `json:"name"`
	Addrs  []string `json:"addrs"` // full multiaddrs including /p2p/<peer id>
}

// GroupKind says whether a group is the community's announcement group.
type GroupKind string

// Group kinds.
const (
	GroupAnnouncement GroupKind = "announcement"
	GroupRegular      GroupKind = "group"
)

// Community is the summary of one community the local member belongs to.
type Community struct {
	ID      crdt.ID `json:"community"`
	Name    string  `json:"name"`
	Members int     `json:"members"`
	Role    string  `json:"role"` // the local member's role: "owner", "admin" or "member"
}

// Group is one group of a community.
type Group struct {
	ID   crdt.ID   `json:"id"`
	Name string    `json:"name"`
	Kind GroupKind `json:"kind"`
}

// Member is one member of a community.
type Member struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
}

// Message is one message in a group, as shown to people.
type Message struct {
	ID         crdt.ID   `json:"id"`
	Author     string    `json:"author"` // peer id
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	Time       time.Time `json:"time"` // the author's clock; shown, never used for ordering
	Mine       bool      `json:"mine"`
}

// EventKind says what changed.
type EventKind int

// Event kinds.
const (
	// EventCommunities: the set of communities, or a community's name or members, changed.
	EventCommunities EventKind = iota + 1
	// EventGroups: a community's groups changed.
	EventGroups
	// EventMessages: a group's messages changed.
	EventMessages
	// EventPeers: the set of connected peers changed.
	EventPeers
)

// Event tells a subscriber that something changed; it carries ids, not data,
// so a slow subscriber that misses events still reads the latest state.
type Event struct {
	Kind      EventKind
	Community crdt.ID
	Group     crdt.ID
}

// API is what both binaries need from a node. *Node implements it; the
// desktop app declares its own narrower interface over these methods.
type API interface {
	Self() Self
	CreateCommunity(ctx context.Context, name string) (Community, error)
	Communities() []Community
	Groups(community crdt.ID) ([]Group, error)
	Members(community crdt.ID) ([]Member, error)
	CreateInvite(ctx context.Context, community crdt.ID) (string, error)
	Join(ctx context.Context, link string) (Community, error)
	Post(ctx context.Context, community, group crdt.ID, text string) (crdt.ID, error)
	Messages(community, group crdt.ID) ([]Message, error)
	SetName(ctx context.Context, name string) error
	// Subscribe returns a channel of events and a function that ends the
	// subscription. The channel is buffered; when it is full, events are
	// coalesced, never blocking the node.
	Subscribe() (<-chan Event, func())
}
