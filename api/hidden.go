package api

import (
	"errors"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// HiddenCause is why a message is hidden (crdt.HiddenCause), as the API
// names it.
type HiddenCause string

// Why messages are hidden.
const (
	// HiddenRemoved: its author was removed concurrently.
	HiddenRemoved HiddenCause = "removed"
	// HiddenDemoted: its author was demoted concurrently.
	HiddenDemoted HiddenCause = "demoted"
	// HiddenRankFell: the op that gave its author the rank it needed fell.
	HiddenRankFell HiddenCause = "rank fell"
	// HiddenAdmissionFell: the op that admitted its author fell.
	HiddenAdmissionFell HiddenCause = "admission fell"
)

var hiddenCauses = map[crdt.HiddenCause]HiddenCause{
	crdt.HiddenRemoved: HiddenRemoved, crdt.HiddenDemoted: HiddenDemoted,
	crdt.HiddenRankFell: HiddenRankFell, crdt.HiddenAdmissionFell: HiddenAdmissionFell,
}

// HiddenOf says why a post is hidden, from crdt's verdict (crdt.Post.Hidden):
// in words (Message.Hidden) and typed (Message.HiddenCause). Both are
// empty for a post that stands.
func HiddenOf(verdict error) (string, HiddenCause) {
	if verdict == nil {
		return "", "" // before h, which escapes: a standing post allocates nothing
	}
	var h *crdt.Hidden
	if errors.As(verdict, &h) {
		return h.Reason(), hiddenCauses[h.Cause]
	}
	return verdict.Error(), ""
}
