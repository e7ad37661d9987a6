package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
)

func (n *Node) selfKey() crdt.PublicKey {
	k, _ := keyOf(n.host.ID())
	return k
}

// Groups lists a community's groups: the announcement group first, then
// the others by name.
func (n *Node) Groups(cid crdt.ID) ([]api.Group, error) {
	var out []api.Group
	self := n.selfKey()
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		role := st.Role(self)
		for _, g := range st.Groups {
			kind := api.GroupRegular
			if g.Announcement {
				kind = api.GroupAnnouncement
			}
			joined := role != crdt.RoleNone && g.Has(self)
			ag := api.Group{ID: g.ID, Name: g.Name, Kind: kind, Description: g.Description, Policy: g.Policy.String(),
				Joined: joined, Archived: g.Archived, Suggested: g.Suggested, Members: groupSize(st, g)}
			ag.FillPermits(st, self)
			out = append(out, ag)
		}
		return nil
	})
	if err == nil {
		err = n.views.FillGroups(cid, out)
	}
	slices.SortFunc(out, func(a, b api.Group) int {
		if (a.Kind == api.GroupAnnouncement) != (b.Kind == api.GroupAnnouncement) {
			if a.Kind == api.GroupAnnouncement {
				return -1
			}
			return 1
		}
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	return out, err
}

// groupSize counts a group's members.
func groupSize(st *crdt.State, g *crdt.Group) int {
	if g.Everyone() {
		return len(st.Members)
	}
	n := 0
	for k := range g.Members {
		if st.Members[k] != nil {
			n++
		}
	}
	return n
}

// checkGroup fails unless community cid has group gid.
func (n *Node) checkGroup(cid, gid crdt.ID) error {
	return n.rep.View(cid, func(c *crdt.Community) error {
		if _, ok := c.State().Groups[gid]; !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		return nil
	})
}

// write encodes body and writes it to log of community cid.
func (n *Node) write(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body any) (crdt.ID, error) {
	b, err := crdt.EncodeAny(body)
	if err != nil {
		return crdt.ID{}, err
	}
	op, err := n.author(ctx, cid, log, kind, b)
	if err != nil {
		return crdt.ID{}, err
	}
	return op.ID(), nil
}

// target checks that msg is a message or poll in group gid.
func (n *Node) target(cid, gid, msg crdt.ID) error {
	return n.rep.View(cid, func(c *crdt.Community) error {
		if _, ok := c.State().Groups[gid]; !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		t := c.Timeline(gid)
		if t == nil || t.Get(msg) == nil {
			return fmt.Errorf("message %s: %w", msg.Short(), api.ErrUnknownMessage)
		}
		return nil
	})
}

func (n *Node) onTarget(ctx context.Context, cid, gid, msg crdt.ID, kind crdt.Kind, body any) error {
	if err := n.target(cid, gid, msg); err != nil {
		return err
	}
	_, err := n.write(ctx, cid, gid, kind, body)
	return err
}

// Reply sends a message that answers another.
func (n *Node) Reply(ctx context.Context, cid, gid, replyTo crdt.ID, text string) (crdt.ID, error) {
	return n.sendMessage(ctx, cid, gid, text, replyTo)
}

// Edit replaces the text of one of the local member's messages.
func (n *Node) Edit(ctx context.Context, cid, gid, msg crdt.ID, text string) error {
	return n.onTarget(ctx, cid, gid, msg, crdt.KindEdit, &crdt.EditBody{Target: idBytes(msg), Text: strings.TrimRight(text, " \t\r\n"), Time: n.millis()})
}

// Delete deletes a message or poll for everyone (one's own, or anyone's as
// an admin).
func (n *Node) Delete(ctx context.Context, cid, gid, msg crdt.ID) error {
	return n.onTarget(ctx, cid, gid, msg, crdt.KindDelete, &crdt.DeleteBody{Target: idBytes(msg), Time: n.millis()})
}

// Pin pins or unpins a message (admins).
func (n *Node) Pin(ctx context.Context, cid, gid, msg crdt.ID, on bool) error {
	return n.onTarget(ctx, cid, gid, msg, crdt.KindPin, &crdt.PinBody{Target: idBytes(msg), On: on, Time: n.millis()})
}

// React adds or removes an emoji reaction.
func (n *Node) React(ctx context.Context, cid, gid, msg crdt.ID, emoji string, on bool) error {
	return n.onTarget(ctx, cid, gid, msg, crdt.KindReaction, &crdt.ReactionBody{Target: idBytes(msg), Emoji: strings.TrimSpace(emoji), On: on, Time: n.millis()})
}

// CreatePoll posts a poll; a zero closes means open until closed.
func (n *Node) CreatePoll(ctx context.Context, cid, gid crdt.ID, question string, options []string, multi bool, closes time.Time) (crdt.ID, error) {
	if err := n.checkGroup(cid, gid); err != nil {
		return crdt.ID{}, err
	}
	b := &crdt.PollBody{Question: strings.TrimSpace(question), Multi: multi, Time: n.millis()}
	for _, o := range options {
		b.Options = append(b.Options, strings.TrimSpace(o))
	}
	if !closes.IsZero() {
		if !closes.After(n.now()) {
			return crdt.ID{}, fmt.Errorf("%w: the closing time %s is in the past", crdt.ErrInvalid, closes.Format(time.RFC3339))
		}
		b.Closes = closes.UnixMilli()
	}
	return n.write(ctx, cid, gid, crdt.KindPoll, b)
}

// Vote sets the local member's choices in a poll (options counted from 0);
// no choices withdraws the vote.
func (n *Node) Vote(ctx context.Context, cid, gid, poll crdt.ID, choices []int) error {
	b := &crdt.VoteBody{Poll: idBytes(poll), Time: n.millis()}
	sorted := slices.Clone(choices)
	slices.Sort(sorted)
	for i, ch := range sorted {
		if ch < 0 || ch >= crdt.MaxOptions {
			return fmt.Errorf("%w: option %d does not exist", crdt.ErrInvalid, ch+1)
		}
		if i > 0 && sorted[i-1] == ch {
			return fmt.Errorf("%w: option %d chosen twice", crdt.ErrInvalid, ch+1)
		}
		b.Choices = append(b.Choices, uint8(ch))
	}
	m, err := n.Message(cid, gid, poll)
	if err != nil {
		return err
	}
	if m.Poll == nil {
		return fmt.Errorf("%w: %s is not a poll", crdt.ErrInvalid, poll.Short())
	}
	if m.Poll.Closed || (m.Poll.Closes != nil && !n.now().Before(*m.Poll.Closes)) {
		return fmt.Errorf("%w: the poll is closed", crdt.ErrInvalid)
	}
	return n.onTarget(ctx, cid, gid, poll, crdt.KindVote, b)
}

// ClosePoll closes a poll (its creator or an admin).
func (n *Node) ClosePoll(ctx context.Context, cid, gid, poll crdt.ID) error {
	return n.onTarget(ctx, cid, gid, poll, crdt.KindPollClose, &crdt.PollCloseBody{Poll: idBytes(poll), Time: n.millis()})
}

// CreateGroup creates a group (or, where only admins create groups,
// suggests one). policy is "open" (default), "approval" or "everyone".
func (n *Node) CreateGroup(ctx context.Context, cid crdt.ID, name, description, policy string) (api.Group, error) {
	p, err := parseGroupPolicy(policy)
	if err != nil {
		return api.Group{}, err
	}
	id, err := n.write(ctx, cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: strings.TrimSpace(name), Description: strings.TrimSpace(description), Policy: p, Time: n.millis()})
	if err != nil {
		return api.Group{}, err
	}
	suggested := false
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		g := c.State().Groups[id]
		suggested = g == nil || g.Suggested
		return nil
	})
	if !suggested { // a suggestion gets its keys once approved
		if err := n.keys.Rotate(ctx, cid, id, crdt.RekeyInitial, nil); err != nil {
			return api.Group{}, fmt.Errorf("group keys: %w", err)
		}
	}
	gs, err := n.Groups(cid)
	for _, g := range gs {
		if g.ID == id {
			return g, nil
		}
	}
	return api.Group{}, fmt.Errorf("group %s not found after creating it: %v", id.Short(), err)
}

// JoinGroup joins an open group, or asks to join an approval group.
func (n *Node) JoinGroup(ctx context.Context, cid, gid crdt.ID) error {
	if err := n.checkGroup(cid, gid); err != nil {
		return err
	}
	_, err := n.write(ctx, cid, crdt.ZeroID, crdt.KindGroupJoin, &crdt.GroupJoinBody{Group: idBytes(gid), Time: n.millis()})
	return err
}

// LeaveGroup leaves a group.
func (n *Node) LeaveGroup(ctx context.Context, cid, gid crdt.ID) error {
	if err := n.checkGroup(cid, gid); err != nil {
		return err
	}
	_, err := n.write(ctx, cid, crdt.ZeroID, crdt.KindGroupLeave, &crdt.GroupLeaveBody{Group: idBytes(gid), Time: n.millis()})
	return err
}

// memberKey resolves a member's peer id.
func (n *Node) memberKey(cid crdt.ID, peerID string) (crdt.PublicKey, error) {
	p, err := peer.Decode(strings.TrimSpace(peerID))
	if err != nil {
		return crdt.PublicKey{}, fmt.Errorf("%w: member %q is not a peer id: %v", crdt.ErrInvalid, peerID, err)
	}
	k, ok := keyOf(p)
	if !ok {
		return crdt.PublicKey{}, fmt.Errorf("%w: member %q is not an Ed25519 peer id", crdt.ErrInvalid, peerID)
	}
	err = n.rep.View(cid, func(c *crdt.Community) error {
		if c.State().Role(k) == crdt.RoleNone {
			return fmt.Errorf("%s: %w", peerID, api.ErrUnknownMember)
		}
		return nil
	})
	return k, err
}

// RemoveMember removes a member from the community and all its groups.
func (n *Node) RemoveMember(ctx context.Context, cid crdt.ID, peerID string) error {
	k, err := n.memberKey(cid, peerID)
	if err != nil {
		return err
	}
	// Every log the member could read gets a fresh epoch it is not given,
	// written before the removal, which cites it (Draft anchors on the
	// author's own latest ops): nobody holds the removal without the keys.
	var logs []crdt.ID
	err = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if !st.Permits(n.selfKey(), crdt.Action{Kind: crdt.KindRemove, Member: k}) {
			return nil // the removal below says why not
		}
		logs = append(logs, crdt.ZeroID)
		for gid, g := range st.Groups {
			if !g.Suggested && st.MayRead(k, gid) {
				logs = append(logs, gid)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(logs, crdt.ID.Compare)
	for _, log := range logs {
		if err := n.keys.Rotate(ctx, cid, log, crdt.RekeyRemoval, &k); err != nil {
			return fmt.Errorf("renew keys before the removal: %w", err)
		}
	}
	var seen []crdt.SeenLog
	_ = n.rep.View(cid, func(c *crdt.Community) error { seen = c.SeenLogs(); return nil })
	_, err = n.write(ctx, cid, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: k[:], Seen: seen, Time: n.millis()})
	return err
}

// SetRole promotes or demotes a member: role is "member", "admin" or "owner".
func (n *Node) SetRole(ctx context.Context, cid crdt.ID, peerID, role string) error {
	var r crdt.Role
	switch role {
	case "member":
		r = crdt.RoleMember
	case "admin":
		r = crdt.RoleAdmin
	case "owner":
		r = crdt.RoleOwner
	default:
		return fmt.Errorf("%w: role %q: want member, admin or owner", crdt.ErrInvalid, role)
	}
	k, err := n.memberKey(cid, peerID)
	if err != nil {
		return err
	}
	var seen []crdt.SeenLog
	_ = n.rep.View(cid, func(c *crdt.Community) error { seen = c.SeenLogs(); return nil })
	_, err = n.write(ctx, cid, crdt.ZeroID, crdt.KindRole, &crdt.RoleBody{Member: k[:], Role: r, Seen: seen, Time: n.millis()})
	return err
}

// Audit lists the admin actions that took effect, oldest first.
func (n *Node) Audit(cid crdt.ID) ([]api.AuditEntry, error) {
	out := []api.AuditEntry{}
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, a := range c.Audit() {
			e := api.AuditEntry{Op: a.Op, Action: a.Kind.String(), Actor: peerOf(a.Actor), ActorName: nameOf(st, a.Actor), Detail: a.Detail, Time: time.UnixMilli(a.Time),
				Approved: a.Approved, Name: a.Name, MaxUses: int(a.MaxUses), Pinned: a.Pinned}
			if a.Role != crdt.RoleNone {
				e.Role = a.Role.String()
			}
			if a.Expires != 0 {
				t := time.Unix(a.Expires, 0)
				e.Expires = &t
			}
			if a.Target != (crdt.PublicKey{}) {
				e.Target, e.TargetName = peerOf(a.Target), nameOf(st, a.Target)
			}
			if !a.Object.IsZero() {
				obj := a.Object
				e.Object = &obj
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
