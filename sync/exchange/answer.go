package exchange

import (
	"fmt"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// AnswerSync answers one pull request from peer from (see wire's pull
// protocol). Fetch, Secret, Peers and Keys are answered for members only;
// a former member and a registered relay may Fetch what mayServe lets
// them have; a Nudge is passed
// to the NudgeHandler, whoever sends it.
func (s *Server) AnswerSync(from crdt.PublicKey, req *wire.Request) *wire.Response {
	var cid crdt.ID
	if len(req.Community) != len(cid) {
		return &wire.Response{Error: "malformed community id"}
	}
	copy(cid[:], req.Community)
	if req.Kind == wire.KindNudge {
		if s.cfg.Nudges != nil {
			s.cfg.Nudges.Nudged(cid, from)
		}
		return &wire.Response{}
	}
	if !s.IsMember(cid, from) && (req.Kind != wire.KindFetch || !s.IsFormer(cid, from) && !s.IsRelay(cid, from)) {
		return &wire.Response{Error: ErrNotMember.Error()}
	}
	switch req.Kind {
	case wire.KindPeers:
		resp := &wire.Response{}
		if s.cfg.Peers != nil {
			resp.Peers = s.cfg.Peers.SharedPeers(cid, from)
		}
		return resp
	case wire.KindKeys:
		if s.cfg.Keys == nil {
			return &wire.Response{Error: "this node does not serve keys"}
		}
		return s.cfg.Keys.AnswerKeys(cid, from, req)
	case wire.KindSecret:
		if s.cfg.Secrets != nil {
			if sec, ok := s.cfg.Secrets.Secret(cid); ok {
				return &wire.Response{Secret: sec}
			}
		}
		return &wire.Response{Error: "this node does not have the community's topic secret"}
	case wire.KindFetch:
		ids, err := wire.IDs(req.IDs)
		if err != nil || len(ids) > wire.MaxFetch {
			return &wire.Response{Error: "malformed fetch"}
		}
		return &wire.Response{Ops: s.serveOps(cid, from, ids)}
	default:
		return &wire.Response{Error: fmt.Sprintf("unknown request kind %d", req.Kind)}
	}
}

// serveOps returns the encodings of the ops among ids that peer k may
// have, in the order asked, up to wire.MaxResponseBytes. They are served
// from the ops the community holds in memory: no disk reads.
func (s *Server) serveOps(cid crdt.ID, k crdt.PublicKey, ids []crdt.ID) [][]byte {
	var out [][]byte
	// A View: mayServe asks the causal past, which only the community
	// holds; the bytes of an op are immutable and safe to keep after it.
	_ = s.cfg.Replica.View(cid, func(c *crdt.Community) error {
		size := 0
		for _, id := range ids {
			op := c.Op(id)
			if op == nil || !mayServe(c, k, op) {
				continue
			}
			if size += len(op.Bytes()); size > wire.MaxResponseBytes {
				break
			}
			out = append(out, op.Bytes())
		}
		return nil
	})
	return out
}
