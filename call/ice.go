package call

import (
	"context"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// ICE servers. A community's relay may run a TURN server (package
// call/turn) for members who cannot reach each other directly; before a
// call's media starts, the Manager asks Config.ICE for the servers of the
// call's community (the node asks each relay the community registered for
// a short-lived credential) and gives them to the media in MediaConfig.

// ICEServer is a STUN or TURN server with its credential.
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// ICESource returns the ICE servers of community cid's calls; it returns
// within ctx and gives none when it has none.
type ICESource func(ctx context.Context, cid crdt.ID) []ICEServer

// iceFor returns the ICE servers of community cid, within ICETimeout.
func (m *Manager) iceFor(ctx context.Context, cid crdt.ID) []ICEServer {
	if m.cfg.ICE == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ICETimeout)
	defer cancel()
	s := m.cfg.ICE(ctx, cid)
	return s[:min(len(s), MaxICEServers)]
}
