package exchange

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// AnswerJoin answers a join request from peer from (see wire's join
// protocol): admitted, pending approval, or refused with the reason.
func (s *Server) AnswerJoin(ctx context.Context, from crdt.PublicKey, req *wire.JoinRequest) *wire.JoinResponse {
	if len(req.Lookup) > 0 {
		return s.AnswerLookup(ctx, req)
	}
	resp := &wire.JoinResponse{}
	pending, err := s.Admit(ctx, from, req)
	resp.Pending = pending
	if err != nil {
		resp.Error = err.Error()
		var r *refusal
		if errors.As(err, &r) {
			resp.Reason = r.reason
		}
		s.log.Info("join refused", "peer", from, "err", err)
	}
	return resp
}

// AnswerLookup answers a short link's lookup (see wire's join protocol):
// the signed invite op whose key is req.Lookup, from any community this
// replica holds, or wire.UnknownInvite, alike for a key of no community,
// a malformed request and a store that fails.
func (s *Server) AnswerLookup(ctx context.Context, req *wire.JoinRequest) *wire.JoinResponse {
	unknown := &wire.JoinResponse{Error: wire.UnknownInvite}
	if len(req.Lookup) != ed25519.PublicKeySize || len(req.Invite) > 0 || len(req.Join) > 0 {
		return unknown
	}
	rep := s.cfg.Replica
	for _, cid := range rep.Communities() {
		var id crdt.ID
		_ = rep.View(cid, func(c *crdt.Community) error {
			for iid, inv := range c.State().Invites {
				if bytes.Equal(inv.Body.Key, req.Lookup) {
					id = iid
					return nil
				}
			}
			return nil
		})
		if id.IsZero() {
			continue
		}
		op, err := rep.Get(ctx, id)
		if err != nil {
			s.log.Warn("invite lookup: the invite is not in the store", "community", cid.Short(), "err", err)
			return unknown
		}
		return &wire.JoinResponse{Invite: op.Bytes()}
	}
	return unknown
}

// refusal is a join refused because of its invite, with the reason the
// joiner is told (a wire.JoinReason constant).
type refusal struct {
	reason uint8
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// inviteRefusal says why invite i, as the community's state has it, admits
// no one more, or returns nil.
func inviteRefusal(i *crdt.Invite) *refusal {
	switch {
	case i == nil:
		return &refusal{wire.JoinReasonRevoked, errors.New("the invite is no longer valid")}
	case i.Revoked:
		return &refusal{wire.JoinReasonRevoked, errors.New("the invite was revoked")}
	case i.Lapsed:
		return &refusal{wire.JoinReasonLapsed, errors.New("the admin who made this invite is no longer an admin")}
	case i.Body.MaxUses != 0 && i.Uses >= i.Body.MaxUses:
		return &refusal{wire.JoinReasonUsedUp, fmt.Errorf("the invite was used %d of %d times", i.Uses, i.Body.MaxUses)}
	}
	return nil
}

// Admit accepts a join op presented by peer from. pending reports that
// the community admits by approval and the join became a request.
func (s *Server) Admit(ctx context.Context, from crdt.PublicKey, req *wire.JoinRequest) (pending bool, err error) {
	inv, err := crdt.DecodeOp(req.Invite)
	if err != nil {
		return false, fmt.Errorf("invite: %w", err)
	}
	join, err := crdt.DecodeOp(req.Join)
	if err != nil {
		return false, fmt.Errorf("join: %w", err)
	}
	if from != join.Author {
		return false, errors.New("join op is not signed by the connecting peer")
	}
	if join.Kind != crdt.KindJoin || inv.Kind != crdt.KindInvite || join.CommunityID() != inv.CommunityID() {
		return false, errors.New("not an invite and a join of one community")
	}
	rep := s.cfg.Replica
	// A member, or one who asked already, whose own node lost the
	// community (a join cut short after it was admitted) is answered as
	// admitted, whatever the state of the invite, and nothing is recorded:
	// it is a member already, and the pull that follows is what it needs.
	// The connection proved who it is.
	member, asked, denied := false, false, false
	_ = rep.View(join.CommunityID(), func(c *crdt.Community) error {
		st := c.State()
		member, asked, denied = st.Role(join.Author) != crdt.RoleNone, st.Requests[join.Author] != nil, st.JoinDenied(join.Author)
		return nil
	})
	// A requester asks again, with the join op it asked with, while it
	// waits: it holds nothing of the community until it is let in, so
	// this answer is how it learns that an admin declined. A join op not
	// seen before is a new request, judged as any join.
	if denied {
		if seen, _ := rep.Has(ctx, join.ID()); seen {
			return false, &refusal{wire.JoinReasonDenied, errors.New("an admin declined the request to join")}
		}
	}
	if member || asked {
		s.log.Info("join from a member; answered as admitted", "peer", from, "community", join.CommunityID().Short(), "requested", asked)
		s.admitted(from, join, false)
		return asked, nil
	}
	if has, _ := rep.Has(ctx, inv.ID()); !has {
		return false, errors.New("this node does not know that invite (it may have been revoked or belong to another community)")
	}
	body, err := crdt.DecodeBody(inv)
	if err != nil {
		return false, err
	}
	exp := body.(*crdt.InviteBody).Expires
	expired := func(err error) *refusal {
		return &refusal{wire.JoinReasonExpired, err}
	}
	if exp != 0 && s.cfg.Now().Unix() > exp {
		return false, expired(fmt.Errorf("the invite expired on %s", time.Unix(exp, 0).UTC().Format(time.RFC1123)))
	}
	// Refuse, before recording it, a join that could only win by undoing
	// someone else's: concurrent joins past an invite's limit are settled
	// deterministically, not first come, first served.
	err = rep.View(inv.CommunityID(), func(c *crdt.Community) error {
		if r := inviteRefusal(c.State().Invites[inv.ID()]); r != nil {
			return r
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	res, err := rep.Ingest(ctx, join)
	if err != nil {
		// The joiner's clock may be past the expiry when this node's is not.
		if jb, derr := crdt.DecodeBody(join); derr == nil && exp != 0 && jb.(*crdt.JoinBody).Time/1000 > exp {
			return false, expired(err)
		}
		return false, err
	}
	if res.Outcome == replica.Parked {
		return false, errors.New("join op cites ops this node lacks")
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.Ingested(res)
	}
	// A join valid in its causal past can still lose in the community's
	// order (an invite used up or revoked concurrently): say why.
	err = rep.View(inv.CommunityID(), func(c *crdt.Community) error {
		st := c.State()
		switch {
		case st.Requests[join.Author] != nil:
			pending = true
		case st.Role(join.Author) != crdt.RoleNone:
		case st.Rejected[join.ID()] != nil:
			if r := inviteRefusal(st.Invites[inv.ID()]); r != nil {
				return &refusal{r.reason, st.Rejected[join.ID()]}
			}
			return st.Rejected[join.ID()]
		default:
			return errors.New("the join did not take effect")
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	s.admitted(from, join, true)
	return pending, nil
}

func (s *Server) admitted(from crdt.PublicKey, join *crdt.Op, recorded bool) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Admitted(from, join, recorded)
	}
}
