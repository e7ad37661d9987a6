package act

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// OpenPrivate returns the local member's private conversation with the
// members given by peer id: the open one with exactly these participants
// if there is one (the lowest id when several were started concurrently,
// so every participant lands in the same one), else a new one, whose keys
// it then renews for its participants only. crdt judges whether it may be
// started (the settings, membership); its refusal comes back as the error.
func (a *Actions) OpenPrivate(ctx context.Context, cid crdt.ID, peerIDs []string) (crdt.ID, error) {
	var others []crdt.PublicKey
	for _, p := range peerIDs {
		k, err := a.memberKey(cid, p)
		if err != nil {
			return crdt.ID{}, err
		}
		if k == a.self {
			return crdt.ID{}, api.ErrPrivateSelf
		}
		others = append(others, k)
	}
	slices.SortFunc(others, comparePK)
	others = slices.Compact(others)
	if len(others) == 0 {
		return crdt.ID{}, fmt.Errorf("%w: name at least one member to message", crdt.ErrInvalid)
	}
	want := slices.SortedFunc(slices.Values(append(slices.Clone(others), a.self)), comparePK)
	var found crdt.ID
	if err := a.rep.View(cid, func(c *crdt.Community) error {
		found = existingPrivate(c.State(), want)
		return nil
	}); err != nil {
		return crdt.ID{}, err
	}
	if !found.IsZero() {
		return found, nil
	}
	b := &crdt.GroupCreateBody{Policy: crdt.PolicyPrivate, Time: a.millis()}
	for _, k := range others {
		b.Participants = append(b.Participants, k[:])
	}
	id, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupCreate, b)
	if err != nil {
		return crdt.ID{}, err
	}
	if err := a.keys.Rotate(ctx, cid, id, crdt.RekeyInitial, nil); err != nil {
		return crdt.ID{}, fmt.Errorf("conversation keys: %w", err)
	}
	return id, nil
}

// existingPrivate returns the open private conversation whose participants
// are exactly want (sorted) with the lowest id, or the zero id.
func existingPrivate(st *crdt.State, want []crdt.PublicKey) crdt.ID {
	var best crdt.ID
	for id, g := range st.Groups {
		if !g.Private() || g.Closed() || !slices.Equal(g.Participants, want) {
			continue
		}
		if best.IsZero() || id.Compare(best) < 0 {
			best = id
		}
	}
	return best
}

func comparePK(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) }

// Privates lists the local member's private conversations in community
// cid, newest message first: those it is still in, and closed ones it
// was in when they closed.
func (a *Actions) Privates(cid crdt.ID) ([]api.Private, error) {
	out := []api.Private{}
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Role(a.self) == crdt.RoleNone {
			return nil
		}
		for id, g := range st.Groups {
			if !g.Private() || !g.Has(a.self) {
				continue
			}
			p := api.Private{Group: id, Closed: g.Closed(), Mine: g.Creator == a.self, Last: lastTime(c, st, g)}
			for _, k := range g.Participants {
				if k == a.self {
					continue
				}
				who := api.Participant{PeerID: a.names.PeerID(k), Name: a.names.Name(st, k)}
				if g.Has(k) && st.Role(k) != crdt.RoleNone {
					p.With = append(p.With, who)
				} else {
					p.Left = append(p.Left, who)
				}
			}
			p.Conversation = api.Group{ID: id, Name: g.Name, Kind: api.GroupPrivate, Policy: g.Policy.String(),
				Joined: true, Closed: p.Closed, Members: groupSize(st, g)}
			p.Conversation.FillPermits(st, a.self)
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	gs := make([]api.Group, len(out))
	for i, p := range out {
		gs[i] = p.Conversation
	}
	if err := a.views.FillGroups(cid, gs); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Conversation = gs[i]
		out[i].Unread, out[i].Mentions, out[i].Muted = gs[i].Unread, gs[i].Mentions, gs[i].Muted
	}
	slices.SortFunc(out, func(x, y api.Private) int {
		if c := y.Last.Compare(x.Last); c != 0 {
			return c
		}
		return x.Group.Compare(y.Group)
	})
	return out, nil
}

// lastTime is the time of g's newest message or poll shown, or the time
// g was created when it has none.
func lastTime(c *crdt.Community, st *crdt.State, g *crdt.Group) time.Time {
	es := c.Entries(g.ID)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Hidden != nil {
			continue
		}
		switch b := es[i].Body.(type) {
		case *crdt.MessageBody:
			return time.UnixMilli(b.Time)
		case *crdt.PollBody:
			return time.UnixMilli(b.Time)
		}
	}
	if b, ok := c.Body(g.ID).(*crdt.GroupCreateBody); ok {
		return time.UnixMilli(b.Time)
	}
	return time.Time{}
}
