package calls

import (
	"context"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/turn"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// turnID is the TURN credential protocol as libp2p knows it.
const turnID = protocol.ID(turn.Protocol)

// relayTURN asks each relay community cid registered for a TURN
// credential (the relays that run no TURN, or do not know this member,
// refuse) and returns the servers that gave one: ICE servers for the
// community's calls (call.Config.ICE).
func (h hooks) relayTURN(ctx context.Context, cid crdt.ID) []call.ICEServer {
	var out []call.ICEServer
	for _, p := range h.cfg.Relays(cid) {
		st, err := h.cfg.Open(ctx, p, turnID)
		if err != nil {
			h.cfg.Log.Debug("no turn credential from relay", "relay", p.ShortString(), "err", err)
			continue
		}
		c, err := turn.Ask(st)
		if err != nil {
			st.Reset()
			h.cfg.Log.Debug("no turn credential from relay", "relay", p.ShortString(), "err", err)
			continue
		}
		st.Close()
		out = append(out, call.ICEServer{URLs: c.URLs, Username: c.Username, Credential: c.Password})
	}
	return out
}

// TURN returns the ICE servers the relays of community cid give this
// node for the community's calls (what call.Config.ICE is given).
func TURN(ctx context.Context, cfg Config, cid crdt.ID) []call.ICEServer {
	return hooks{cfg}.relayTURN(ctx, cid)
}
