package api

import (
	"time"
)

// PeerStatus describes one connected peer.
type PeerStatus struct {
	PeerID string `json:"peer_id"`
	// Name is the peer's display name in a shared community, if any.
	Name string `json:"name,omitempty"`
	// Relayed: every connection to the peer runs through a relay; false
	// means at least one is direct (possibly after hole punching).
	Relayed bool     `json:"relayed"`
	Addrs   []string `json:"addrs"`
	// Relay: the peer is a relay, one this node was given or one
	// registered with a community it is in.
	Relay bool `json:"relay,omitempty"`
	// Communities lists the shared communities' ids.
	Communities []string `json:"communities,omitempty"`
}

// CommunitySync describes how up to date one community is.
type CommunitySync struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// State: "synced" (a pull completed within the sync interval and no
	// pull runs), "syncing" (a pull runs), or "offline" (no member is
	// connected).
	State    string     `json:"state"`
	Members  int        `json:"members_online"`
	LastSync *SyncStats `json:"last_sync,omitempty"`
	Live     bool       `json:"live"` // has the topic secret: gets live messages by gossip
	// Relays are the community's registered relays and how this node's
	// pulls from and pushes to each went.
	Relays []RelayState `json:"relays,omitempty"`
}

// Status is what `umbrellad status` and the desktop indicator show.
type Status struct {
	PeerID string `json:"peer_id"`
	// Network: "online" (some peer connected), "syncing" (a pull runs) or
	// "offline" (no peer connected).
	Network     string          `json:"network"`
	Reachable   string          `json:"reachability"` // public, private or unknown, as AutoNAT last found
	Addrs       []string        `json:"addrs"`
	Relays      []string        `json:"relays,omitempty"` // relays this node may use
	Peers       []PeerStatus    `json:"peers"`
	Communities []CommunitySync `json:"communities"`
}

// SyncStats describes the last pull from a peer: one or more
// reconciliation sessions, then fetches.
type SyncStats struct {
	Peer     string    `json:"peer"`
	At       time.Time `json:"at"`
	Sessions int       `json:"sessions"`
	// RoundTrips is the most any session took (messages this node sent).
	RoundTrips int `json:"round_trips"`
	Missing    int `json:"missing"` // ops found missing, over all sessions
}
