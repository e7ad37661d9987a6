package api

import (
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Relay is a relay registered with a community (crdt's relay op): an
// always-on node that keeps the community's sealed logs for members who
// are offline.
type Relay struct {
	// PeerID is the relay's libp2p peer id; Key the same identity key as
	// crdt holds it.
	PeerID string         `json:"peer_id"`
	Key    crdt.PublicKey `json:"-"`
	// Addrs are where to dial it, as the registering admin wrote them.
	Addrs []string `json:"addrs"`
}

// FillRelays sets c.Relays from the community's control state st, sorted
// by key. peerID turns a key into its peer id text (the node's libp2p
// glue; api does not import libp2p).
func (c *Community) FillRelays(st *crdt.State, peerID func(crdt.PublicKey) string) {
	c.Relays = nil
	for k, r := range st.Relays {
		c.Relays = append(c.Relays, Relay{PeerID: peerID(k), Key: k, Addrs: slices.Clone(r.Addrs)})
	}
	slices.SortFunc(c.Relays, func(a, b Relay) int { return slices.Compare(a.Key[:], b.Key[:]) })
}

// RelayState is a registered relay as the local node sees it (`umbrellad
// community relays`).
type RelayState struct {
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`
	// Online: the node is connected to the relay now.
	Online bool `json:"online"`
	// LastSync is when a pull from the relay last succeeded; LastPush
	// when it last answered this node's push (nudge).
	LastSync *time.Time `json:"last_sync"`
	LastPush *time.Time `json:"last_push,omitempty"`
	// Refused is the relay's refusal of the last push (its quota reason,
	// a full disk), or why it could not be reached; empty when all is
	// well.
	Refused string `json:"refused,omitempty"`
	// UpToDate: the relay accepted a push that started after this node's
	// last write to the community, so it holds everything this node
	// wrote.
	UpToDate bool `json:"up_to_date"`
	// Files is how the pushes of the files this node shared to the relay
	// went (since the node started); absent when it pushed none.
	Files *RelayFiles `json:"files,omitempty"`
}

// RelayFiles is how this node's pushes of the files it shared to one
// relay went: each is retried with backoff while the relay cannot be
// reached, and given up after a bounded number of tries; a refusal is
// final.
type RelayFiles struct {
	Pushed  int `json:"pushed"`
	Pending int `json:"pending"` // being pushed or waiting to retry
	GaveUp  int `json:"gave_up,omitempty"`
	// LastError is the last failure to reach the relay with a file (a
	// retry follows while Pending), empty after a push succeeds.
	LastError string `json:"last_error,omitempty"`
	// Refused are the relay's latest refusals (its quota, a file too
	// large).
	Refused []RelayFileRefusal `json:"refused,omitempty"`
}

// RelayFileRefusal is a file a relay refused, and why.
type RelayFileRefusal struct {
	Root   string `json:"root"`
	Reason string `json:"reason"`
}
