package relay

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Joins through the relay (see the package doc, "Joins").

// inviteBook is what the clear ops of one community tell the relay of its
// invites: the joins it holds through each, and their invite-keys ops.
// The maps are made on first use; learn may note an op more than once.
type inviteBook struct {
	joins    map[crdt.ID]map[crdt.ID]bool // invite → the proven joins through it
	keys     map[crdt.ID][]crdt.ID        // invite → its invite-keys ops by known authors, in the order noted
	approval map[crdt.ID]bool             // invite → its newest keys op says the community admits by approval
}

// joined notes join op o, whose proof verified.
func (b *inviteBook) joined(o *crdt.Op) {
	body, err := crdt.DecodeBody(o)
	if err != nil {
		return
	}
	inv := crdt.ID(body.(*crdt.JoinBody).Invite)
	if b.joins == nil {
		b.joins = map[crdt.ID]map[crdt.ID]bool{}
	}
	if b.joins[inv] == nil {
		b.joins[inv] = map[crdt.ID]bool{}
	}
	b.joins[inv][o.ID()] = true
}

// keyed notes invite-keys op o, by a known author.
func (b *inviteBook) keyed(o *crdt.Op) {
	body, err := crdt.DecodeBody(o)
	if err != nil {
		return
	}
	kb := body.(*crdt.InviteKeysBody)
	inv, id := crdt.ID(kb.Invite), o.ID()
	if b.keys == nil {
		b.keys, b.approval = map[crdt.ID][]crdt.ID{}, map[crdt.ID]bool{}
	}
	if slices.Contains(b.keys[inv], id) {
		return
	}
	b.keys[inv] = append(b.keys[inv], id)
	b.approval[inv] = kb.Approval
}

// Joins answers the join protocol on a relay node (sync/p2p's
// JoinResponder): short links' lookups, and joins with no member online.
type Joins struct {
	Relay *Relay
	// Now is the relay's clock, for invites' expiry; nil means time.Now.
	Now func() time.Time
}

// AnswerJoin implements sync/p2p's JoinResponder.
func (j Joins) AnswerJoin(ctx context.Context, from crdt.PublicKey, req *wire.JoinRequest) *wire.JoinResponse {
	if len(req.Lookup) > 0 {
		return j.Relay.AnswerLookup(ctx, req)
	}
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	resp, err := j.Relay.Admit(ctx, from, req, now())
	if err != nil {
		resp = &wire.JoinResponse{Error: err.Error()}
		var r *refusal
		if errors.As(err, &r) {
			resp.Reason = r.reason
		}
		j.Relay.log.Info("join refused", "peer", from, "err", err)
	}
	return resp
}

// AnswerLookup answers a short link's lookup: the invite op whose key is
// req.Lookup, from the clear invite ops by known authors of the
// communities registered with the relay, or wire.UnknownInvite, alike for
// any key of no such invite, a malformed request or a store that fails.
func (r *Relay) AnswerLookup(ctx context.Context, req *wire.JoinRequest) *wire.JoinResponse {
	unknown := &wire.JoinResponse{Error: wire.UnknownInvite}
	if len(req.Lookup) != ed25519.PublicKeySize || len(req.Invite) > 0 || len(req.Join) > 0 {
		return unknown
	}
	var cid, iid crdt.ID
	r.mu.Lock()
	for id, c := range r.comms {
		if !c.registered() {
			continue
		}
		for inv, key := range c.invites {
			if bytes.Equal(key, req.Lookup) {
				cid, iid = id, inv
			}
		}
	}
	r.mu.Unlock()
	if iid.IsZero() {
		return unknown
	}
	ops, err := r.Serve(ctx, cid, []crdt.ID{iid})
	if err != nil || len(ops) != 1 {
		return unknown
	}
	return &wire.JoinResponse{Invite: ops[0]}
}

// refusal is a join refused because of its invite, with the wire's reason.
type refusal struct {
	reason uint8
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// ErrNoInviteKeys: the relay holds no invite-keys op for the invite (one
// made before them), so a joiner it took could read nothing: it needs a
// member.
var ErrNoInviteKeys = errors.New("this relay cannot admit joins with this invite while no member is online")

// Admit takes the join in req from peer from at time now, with no member
// online (see the package doc, "Joins"): it checks what a blind relay can
// see, stores the join, and answers Relayed with the invite's keys ops,
// or Pending when they say the community admits by approval. A join it
// holds already is answered the same way again.
func (r *Relay) Admit(ctx context.Context, from crdt.PublicKey, req *wire.JoinRequest, now time.Time) (*wire.JoinResponse, error) {
	inv, err := crdt.DecodeOp(req.Invite)
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	join, err := crdt.DecodeOp(req.Join)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if from != join.Author {
		return nil, errors.New("join op is not signed by the connecting peer")
	}
	cid := inv.CommunityID()
	if join.Kind != crdt.KindJoin || inv.Kind != crdt.KindInvite || join.CommunityID() != cid {
		return nil, errors.New("not an invite and a join of one community")
	}
	ib, err := crdt.DecodeBody(inv)
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	body := ib.(*crdt.InviteBody)
	iid := inv.ID()

	r.mu.Lock()
	c := r.comms[cid]
	var keys []crdt.ID
	var approval, held bool
	var uses int
	var lookErr error
	if c != nil {
		_, known := c.invites[iid]
		if !c.registered() || !known {
			c = nil
		} else {
			keys, approval, uses = slices.Clone(c.book.keys[iid]), c.book.approval[iid], len(c.book.joins[iid])
			_, held, lookErr = r.locate(ctx, c, join.ID())
		}
	}
	r.mu.Unlock()
	switch {
	case lookErr != nil:
		return nil, lookErr
	case c == nil:
		return nil, errors.New("this relay does not know that invite (it may have been revoked or belong to a community the relay does not keep)")
	case len(keys) == 0:
		return nil, ErrNoInviteKeys
	case held:
	case body.Expires != 0 && now.Unix() > body.Expires:
		return nil, &refusal{wire.JoinReasonExpired, fmt.Errorf("the invite expired on %s", time.Unix(body.Expires, 0).UTC().Format(time.RFC1123))}
	case body.MaxUses != 0 && uses >= int(body.MaxUses):
		return nil, &refusal{wire.JoinReasonUsedUp, fmt.Errorf("the invite was used %d of %d times", uses, body.MaxUses)}
	}
	if !held {
		errs, err := r.Ingest(ctx, cid, [][]byte{req.Join})
		if err != nil {
			return nil, err
		}
		if errs[0] != nil {
			return nil, fmt.Errorf("the relay did not take the join: %w", errs[0])
		}
		r.log.Info("join taken with no member online", "community", cid.Short(), "peer", from.String()[:8], "request", approval)
	}
	resp := &wire.JoinResponse{Relayed: true, Pending: approval}
	if approval {
		return resp, nil
	}
	ops, err := r.Serve(ctx, cid, keys[:min(len(keys), wire.MaxJoinKeys)])
	if err != nil {
		return nil, err
	}
	resp.Keys = ops
	return resp, nil
}
