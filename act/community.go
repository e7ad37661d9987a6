package act

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Post sends a text message to a group.
func (a *Actions) Post(ctx context.Context, cid, gid crdt.ID, text string) (crdt.ID, error) {
	return a.sendMessage(ctx, cid, gid, text, crdt.ZeroID)
}

// sendMessage writes a message, answering replyTo unless it is zero, with
// the members named "@Name" in text as its mentions.
func (a *Actions) sendMessage(ctx context.Context, cid, gid crdt.ID, text string, replyTo crdt.ID) (crdt.ID, error) {
	text = strings.TrimRight(lines(text), " \t\n")
	b := &crdt.MessageBody{Text: text, Time: a.millis()}
	if err := a.rep.View(cid, func(c *crdt.Community) error {
		if _, ok := c.State().Groups[gid]; !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		if !replyTo.IsZero() {
			if t := c.Timeline(gid); t == nil || t.Get(replyTo) == nil {
				return fmt.Errorf("message %s: %w", replyTo.Short(), api.ErrUnknownMessage)
			}
			b.ReplyTo = idBytes(replyTo)
		}
		b.Mentions = mentions(c.State(), text)
		return nil
	}); err != nil {
		return crdt.ID{}, err
	}
	return a.write(ctx, cid, gid, crdt.KindMessage, b)
}

// mentions finds "@Name" in text for the community's members (the longest
// name that matches, case-insensitively, and ends at a word boundary) and
// returns their keys sorted, unique, at most crdt.MaxMentions.
func mentions(st *crdt.State, text string) [][]byte {
	lower := strings.ToLower(text)
	seen := map[crdt.PublicKey]bool{}
	for i := strings.IndexByte(lower, '@'); i >= 0 && len(seen) < crdt.MaxMentions; {
		rest := lower[i+1:]
		best, bestLen := crdt.PublicKey{}, 0
		for k, m := range st.Members {
			name := strings.ToLower(m.Name)
			if len(name) <= bestLen || !strings.HasPrefix(rest, name) {
				continue
			}
			if r, _ := utf8.DecodeRuneInString(rest[len(name):]); r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				continue // "@Ann" is not a mention of "Annabel"
			}
			best, bestLen = k, len(name)
		}
		if bestLen > 0 {
			seen[best] = true
		}
		j := strings.IndexByte(rest, '@')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	out := make([][]byte, 0, len(seen))
	for k := range seen {
		out = append(out, k[:])
	}
	slices.SortFunc(out, bytes.Compare)
	if len(out) == 0 {
		return nil
	}
	return out
}

// Groups lists a community's groups in the order every member sees them
// (crdt.State.SortedGroups): the announcement group first, then the
// others in the admins' order, then by name.
func (a *Actions) Groups(cid crdt.ID) ([]api.Group, error) {
	var out []api.Group
	self := a.self
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		role := st.Role(self)
		for _, g := range st.SortedGroups() {
			if g.Private() {
				continue // listed by Privates, for its participants only
			}
			kind := api.GroupRegular
			if g.Announcement {
				kind = api.GroupAnnouncement
			}
			joined := role != crdt.RoleNone && g.Has(self)
			ag := api.Group{ID: g.ID, Name: g.Name, Kind: kind, Description: g.Description, Policy: g.Policy.String(),
				Joined: joined, Archived: g.Archived, Suggested: g.Suggested, Members: groupSize(st, g)}
			ag.FillPermits(st, self)
			ag.Requested, ag.Denied = g.Requests[self] != nil, st.GroupJoinDenied(self, g.ID)
			ag.AddedBy = a.addedBy(c, g)
			out = append(out, ag)
		}
		return nil
	})
	if err == nil {
		err = a.views.FillGroups(cid, out)
	}
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

// target checks that msg is a message or poll in group gid.
func (a *Actions) target(cid, gid, msg crdt.ID) error {
	return a.rep.View(cid, func(c *crdt.Community) error {
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

// onTarget writes body to group gid once msg is a message or poll in it.
func (a *Actions) onTarget(ctx context.Context, cid, gid, msg crdt.ID, kind crdt.Kind, body any) error {
	if err := a.target(cid, gid, msg); err != nil {
		return err
	}
	_, err := a.write(ctx, cid, gid, kind, body)
	return err
}

// Reply sends a message that answers another.
func (a *Actions) Reply(ctx context.Context, cid, gid, replyTo crdt.ID, text string) (crdt.ID, error) {
	return a.sendMessage(ctx, cid, gid, text, replyTo)
}

// Edit replaces the text of one of the local member's messages.
func (a *Actions) Edit(ctx context.Context, cid, gid, msg crdt.ID, text string) error {
	return a.onTarget(ctx, cid, gid, msg, crdt.KindEdit, &crdt.EditBody{Target: idBytes(msg), Text: strings.TrimRight(lines(text), " \t\n"), Time: a.millis()})
}

// Delete deletes a message or poll for everyone (one's own, or anyone's as
// an admin).
func (a *Actions) Delete(ctx context.Context, cid, gid, msg crdt.ID) error {
	return a.onTarget(ctx, cid, gid, msg, crdt.KindDelete, &crdt.DeleteBody{Target: idBytes(msg), Time: a.millis()})
}

// Pin pins or unpins a message (admins).
func (a *Actions) Pin(ctx context.Context, cid, gid, msg crdt.ID, on bool) error {
	return a.onTarget(ctx, cid, gid, msg, crdt.KindPin, &crdt.PinBody{Target: idBytes(msg), On: on, Time: a.millis()})
}

// React adds or removes an emoji reaction.
func (a *Actions) React(ctx context.Context, cid, gid, msg crdt.ID, emoji string, on bool) error {
	emoji = strings.TrimSpace(emoji)
	if err := crdt.CheckEmoji(emoji); err != nil {
		return fmt.Errorf("%w: %v", crdt.ErrInvalid, err)
	}
	return a.onTarget(ctx, cid, gid, msg, crdt.KindReaction, &crdt.ReactionBody{Target: idBytes(msg), Emoji: emoji, On: on, Time: a.millis()})
}

// CreatePoll posts a poll; a zero closes means open until closed.
func (a *Actions) CreatePoll(ctx context.Context, cid, gid crdt.ID, question string, options []string, multi bool, closes time.Time) (crdt.ID, error) {
	if err := a.checkGroup(cid, gid); err != nil {
		return crdt.ID{}, err
	}
	b := &crdt.PollBody{Question: strings.TrimSpace(lines(question)), Multi: multi, Time: a.millis()}
	for _, o := range options {
		b.Options = append(b.Options, strings.TrimSpace(o))
	}
	if !closes.IsZero() {
		if !closes.After(a.now()) {
			return crdt.ID{}, fmt.Errorf("%w: the closing time %s is in the past", crdt.ErrInvalid, closes.Format(time.RFC3339))
		}
		b.Closes = closes.UnixMilli()
	}
	return a.write(ctx, cid, gid, crdt.KindPoll, b)
}

// Vote sets the local member's choices in a poll (options counted from 0);
// no choices withdraws the vote.
func (a *Actions) Vote(ctx context.Context, cid, gid, poll crdt.ID, choices []int) error {
	b := &crdt.VoteBody{Poll: idBytes(poll), Time: a.millis()}
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
	m, err := a.views.Message(cid, gid, poll)
	if err != nil {
		return err
	}
	if m.Poll == nil {
		return fmt.Errorf("%w: %s is not a poll", crdt.ErrInvalid, poll.Short())
	}
	if m.Poll.Closed || (m.Poll.Closes != nil && !a.now().Before(*m.Poll.Closes)) {
		return fmt.Errorf("%w: the poll is closed", crdt.ErrInvalid)
	}
	return a.onTarget(ctx, cid, gid, poll, crdt.KindVote, b)
}

// ClosePoll closes a poll (its creator or an admin).
func (a *Actions) ClosePoll(ctx context.Context, cid, gid, poll crdt.ID) error {
	return a.onTarget(ctx, cid, gid, poll, crdt.KindPollClose, &crdt.PollCloseBody{Poll: idBytes(poll), Time: a.millis()})
}

// CreateGroup creates a group (or, where only admins create groups,
// suggests one). policy is "open" (default), "approval" or "everyone".
func (a *Actions) CreateGroup(ctx context.Context, cid crdt.ID, name, description, policy string) (api.Group, error) {
	p, err := parseGroupPolicy(policy)
	if err != nil {
		return api.Group{}, err
	}
	id, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: strings.TrimSpace(name), Description: strings.TrimSpace(lines(description)), Policy: p, Time: a.millis()})
	if err != nil {
		return api.Group{}, err
	}
	suggested := false
	_ = a.rep.View(cid, func(c *crdt.Community) error {
		g := c.State().Groups[id]
		suggested = g == nil || g.Suggested
		return nil
	})
	if !suggested { // a suggestion gets its keys once approved
		if err := a.keys.Rotate(ctx, cid, id, crdt.RekeyInitial, nil); err != nil {
			return api.Group{}, fmt.Errorf("group keys: %w", err)
		}
	}
	gs, err := a.Groups(cid)
	for _, g := range gs {
		if g.ID == id {
			return g, nil
		}
	}
	return api.Group{}, fmt.Errorf("group %s not found after creating it: %v", id.Short(), err)
}

// JoinGroup joins an open group, or asks to join an approval group.
func (a *Actions) JoinGroup(ctx context.Context, cid, gid crdt.ID) error {
	if err := a.checkGroup(cid, gid); err != nil {
		return err
	}
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupJoin, &crdt.GroupJoinBody{Group: idBytes(gid), Time: a.millis()})
	return err
}

// LeaveGroup leaves a group.
func (a *Actions) LeaveGroup(ctx context.Context, cid, gid crdt.ID) error {
	if err := a.checkGroup(cid, gid); err != nil {
		return err
	}
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupLeave, &crdt.GroupLeaveBody{Group: idBytes(gid), Time: a.millis()})
	return err
}

// memberKey resolves a member's peer id.
func (a *Actions) memberKey(cid crdt.ID, peerID string) (crdt.PublicKey, error) {
	k, err := a.names.Key(peerID)
	if err != nil {
		return crdt.PublicKey{}, err
	}
	err = a.rep.View(cid, func(c *crdt.Community) error {
		if c.State().Role(k) == crdt.RoleNone {
			return fmt.Errorf("%s: %w", peerID, api.ErrUnknownMember)
		}
		return nil
	})
	return k, err
}

// RemoveMember removes a member from the community and all its groups.
func (a *Actions) RemoveMember(ctx context.Context, cid crdt.ID, peerID string) error {
	k, err := a.memberKey(cid, peerID)
	if err != nil {
		return err
	}
	// Every log the member could read gets a fresh epoch it is not given,
	// written before the removal, which cites it (Draft anchors on the
	// author's own latest ops): nobody holds the removal without the keys.
	var logs []crdt.ID
	err = a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if !st.Permits(a.self, crdt.Action{Kind: crdt.KindRemove, Member: k}) {
			return nil // the removal below says why not
		}
		logs = append(logs, crdt.ZeroID)
		for gid, g := range st.Groups {
			// A private conversation the remover is not in is renewed by
			// its participants once the removal lands (crdt.State.Stale).
			if !g.Suggested && st.MayRead(k, gid) && st.MayRotate(a.self, gid) {
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
		if err := a.keys.Rotate(ctx, cid, log, crdt.RekeyRemoval, &k); err != nil {
			return fmt.Errorf("renew keys before the removal: %w", err)
		}
	}
	var seen []crdt.SeenLog
	_ = a.rep.View(cid, func(c *crdt.Community) error { seen = c.SeenLogs(); return nil })
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: k[:], Seen: seen, Time: a.millis()})
	return err
}

// SetRole promotes or demotes a member: role is "member", "admin" or "owner".
func (a *Actions) SetRole(ctx context.Context, cid crdt.ID, peerID, role string) error {
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
	k, err := a.memberKey(cid, peerID)
	if err != nil {
		return err
	}
	var seen []crdt.SeenLog
	_ = a.rep.View(cid, func(c *crdt.Community) error { seen = c.SeenLogs(); return nil })
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindRole, &crdt.RoleBody{Member: k[:], Role: r, Seen: seen, Time: a.millis()})
	return err
}

// Audit lists the admin actions that took effect, oldest first.
func (a *Actions) Audit(cid crdt.ID) ([]api.AuditEntry, error) {
	out := []api.AuditEntry{}
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, ae := range c.Audit() {
			e := api.AuditEntry{Op: ae.Op, Action: ae.Kind.String(), Actor: a.names.PeerID(ae.Actor), ActorName: a.names.Name(st, ae.Actor), Detail: ae.Detail, Time: time.UnixMilli(ae.Time),
				Approved: ae.Approved, Name: ae.Name, MaxUses: int(ae.MaxUses), Pinned: ae.Pinned, MaxFileSize: ae.FileLimit, Addrs: ae.Addrs}
			if ae.Role != crdt.RoleNone {
				e.Role = ae.Role.String()
			}
			if ae.Expires != 0 {
				t := time.Unix(ae.Expires, 0)
				e.Expires = &t
			}
			if ae.Target != (crdt.PublicKey{}) {
				e.Target, e.TargetName = a.names.PeerID(ae.Target), a.names.Name(st, ae.Target)
			}
			if !ae.Object.IsZero() {
				obj := ae.Object
				e.Object = &obj
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
