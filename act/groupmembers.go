package act

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Admins put community members into groups and take them out, group by
// group (crdt's group.add and group.remove). Each action asks crdt first
// (State.Judge), so a refusal says why before anything is written — and
// before any keys are renewed for a removal that would not pass.

// groupMember resolves peerID, a member of community cid, and asks crdt
// whether the local member may act on it in group gid with kind.
func (a *Actions) groupMember(cid, gid crdt.ID, peerID string, kind crdt.Kind) (crdt.PublicKey, error) {
	if err := a.checkGroup(cid, gid); err != nil {
		return crdt.PublicKey{}, err
	}
	k, err := a.memberKey(cid, peerID)
	if err != nil {
		return k, err
	}
	err = a.rep.View(cid, func(c *crdt.Community) error {
		return c.State().Judge(a.self, crdt.Action{Kind: kind, Group: gid, Member: k, Time: a.millis()})
	})
	if err != nil {
		return k, fmt.Errorf("group %s: %w", gid.Short(), err)
	}
	return k, nil
}

// AddToGroup puts member peerID of community cid into group gid at once,
// whatever the group's policy (admins). In the same action the group's
// epochs are wrapped to the member (Rotator.Share), so it reads the group
// from any holder of the control log, a relay included, with its history
// as the community's settings say; an admin outside the group holds no
// keys to share, and the member then gets them from a member.
func (a *Actions) AddToGroup(ctx context.Context, cid, gid crdt.ID, peerID string) error {
	k, err := a.groupMember(cid, gid, peerID, crdt.KindGroupAdd)
	if err != nil {
		return err
	}
	if _, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupAdd, &crdt.GroupAddBody{Group: idBytes(gid), Member: k[:], Time: a.millis()}); err != nil {
		return err
	}
	return a.share(ctx, cid, k, []crdt.ID{gid})
}

// share hands member k of community cid the keys of logs after an add.
func (a *Actions) share(ctx context.Context, cid crdt.ID, k crdt.PublicKey, logs []crdt.ID) error {
	if err := a.keys.Share(ctx, cid, k, logs); err != nil {
		return fmt.Errorf("added, but the keys were not handed over (a member online hands them): %w", err)
	}
	return nil
}

// RemoveFromGroup takes member peerID of community cid out of group gid
// (admins); it stays in the community and its other groups. The group
// gets a fresh epoch withheld from the member first, which the removal
// cites, so the member reads nothing written there after.
func (a *Actions) RemoveFromGroup(ctx context.Context, cid, gid crdt.ID, peerID string) error {
	k, err := a.groupMember(cid, gid, peerID, crdt.KindGroupRemove)
	if err != nil {
		return err
	}
	rotate := false
	_ = a.rep.View(cid, func(c *crdt.Community) error { rotate = c.State().MayRotate(a.self, gid); return nil })
	if rotate {
		if err := a.keys.Rotate(ctx, cid, gid, crdt.RekeyRemoval, &k); err != nil {
			return fmt.Errorf("renew the group's keys before the removal: %w", err)
		}
	}
	var seen []crdt.SeenLog
	_ = a.rep.View(cid, func(c *crdt.Community) error { seen = c.GroupSeen(gid); return nil })
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupRemove, &crdt.GroupRemoveBody{Group: idBytes(gid), Member: k[:], Seen: seen, Time: a.millis()})
	return err
}

// GroupCandidates lists the members of community cid who are not in group
// gid, by name, each with whether the local member may add them now
// (Member.CanAddToGroup): the picker of a group's Add members.
func (a *Actions) GroupCandidates(cid, gid crdt.ID) ([]api.Member, error) {
	out := []api.Member{}
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		g, ok := st.Groups[gid]
		if !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		now := a.millis()
		for k, m := range st.Members {
			if g.Has(k) {
				continue
			}
			am := api.Member{PeerID: a.names.PeerID(k), Name: a.names.Name(st, k), Role: m.Role.String(), Photo: m.Photo}
			am.FillGroupPermits(st, a.self, k, gid, now)
			out = append(out, am)
		}
		return nil
	})
	slices.SortFunc(out, func(x, y api.Member) int {
		if c := strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)); c != 0 {
			return c
		}
		return strings.Compare(x.PeerID, y.PeerID)
	})
	return out, err
}

// addedBy names the admin whose group.add put the local member into group
// g of community c, or "" when it is not in g by an add.
func (a *Actions) addedBy(c *crdt.Community, g *crdt.Group) string {
	id, ok := g.Members[a.self]
	if !ok {
		return ""
	}
	o := c.Op(id)
	if o == nil || o.Kind != crdt.KindGroupAdd || o.Author == a.self {
		return ""
	}
	return a.names.Name(c.State(), o.Author)
}
