package api

import (
	"errors"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Contact is someone the local member shares at least one community with:
// who an admin may add to another community directly, without a link.
type Contact struct {
	PeerID string `json:"peer_id"`
	// Name is the contact's display name, as the first of Communities (by
	// id) names it.
	Name string `json:"name"`
	// Communities are the communities both are members of, by id.
	Communities []crdt.ID `json:"communities"`
}

// ErrNotContact: a direct add names someone the local member shares no
// community with (besides, possibly, the one it adds them to); only an
// invite link can bring them in.
var ErrNotContact = errors.New("you share no other community with this person; send them an invite link instead")
