package exchange

import (
	"context"
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
// have, in the order asked, up to wire.MaxResponseBytes. Ops that keep
// their encoding in memory (new since start, and control ops) are served
// from it; the others (content ops rebuilt from the store,
// crdt.Op.Encoded) from the store, one read by log key each.
func (s *Server) serveOps(cid crdt.ID, k crdt.PublicKey, ids []crdt.ID) [][]byte {
	var ops []*crdt.Op
	var stored []*crdt.Op // of ops, those without their encoding
	// A View: mayServe asks the causal past, which only the community
	// holds; an op is immutable and safe to keep after it.
	_ = s.cfg.Replica.View(cid, func(c *crdt.Community) error {
		for _, id := range ids {
			if op := c.Op(id); op != nil && mayServe(c, k, op) {
				ops = append(ops, op)
				if !op.Encoded() {
					stored = append(stored, op)
				}
			}
		}
		return nil
	})
	var read [][]byte
	if len(stored) > 0 {
		var err error
		if read, err = s.cfg.Replica.Encodings(context.Background(), stored); err != nil {
			s.log.Warn("serve ops from the store", "community", cid.Short(), "err", err)
			read = nil // serve what memory holds: the peer asks again
		}
	}
	var out [][]byte
	size := 0
	for _, op := range ops {
		raw := op.Bytes()
		if !op.Encoded() {
			if len(read) == 0 {
				continue
			}
			raw, read = read[0], read[1:]
		}
		if raw == nil {
			continue // pruned
		}
		if size += len(raw); size > wire.MaxResponseBytes {
			break
		}
		out = append(out, raw)
	}
	return out
}
