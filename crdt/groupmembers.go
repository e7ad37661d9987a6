package crdt

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Group membership by admins (kinds group.add and group.remove).
//
// An admin puts a community member into a group (group.add) or takes one
// out of it (group.remove), whatever the group's policy: an open group, or
// one that admits by approval, where the add needs no request. Groups that
// every member is in (the announcement group, PolicyEveryone) and private
// conversations take neither; an archived or suggested group takes no
// add. An admin acts on members and admins, an owner on anyone but itself;
// a member leaves a group it was added to with group.leave, as any other.
//
// No add-loops: an admin may not add someone to a group they left less
// than an hour before (GroupRejoinWait), unless they asked to join it
// since. The hour is measured between the two ops' own clocks (the add's
// Time against the leave's), so every replica judges it alike; an add
// concurrent with a leave is refused when it comes after it in the order
// and undone by it otherwise, so the leave wins either way.
//
// Strong removal, within one group: a group.remove is a loss (resolve.go)
// that takes its target's place in the group, not its rank. What the
// target wrote in that group that neither the removal's deps nor what its
// author had seen of the group (GroupRemoveBody.Seen) hold is hidden,
// marked as undone by the removal; the rest of the community is untouched.
// The remover renews the group's keys first, so the target reads nothing
// written there after (keys, act); a target that may hold the group's
// current epoch otherwise leaves it exposed (State.Stale).
//
// A group.add needs an admin's rank, so a demotion or removal of its
// author concurrent with it strikes it; the added member's posts in the
// group that rest on the fallen add (their deps hold it but not the loss)
// are hidden like those of a member whose admission fell.

// GroupRejoinWait is how long, by the ops' own clocks (milliseconds),
// after someone leaves a group an admin must wait before adding them to it
// again, unless they ask to join.
const GroupRejoinWait = 60 * 60 * 1000

// ErrLeftRecently: the member left the group less than GroupRejoinWait
// before the add, and has not asked to join since (it wraps ErrInvalid in
// a verdict).
var ErrLeftRecently = errors.New("left the group less than an hour ago")

// ErrLeftCommunityRecently: no add-loops for the community either. An
// admin's member.add of someone who left the community less than
// GroupRejoinWait before the add (by the two ops' own clocks, as for
// groups) is refused, unless they asked to join since (it wraps
// ErrInvalid in a verdict). Someone an admin removed may be added back
// at once: that is the admins' own choice.
var ErrLeftCommunityRecently = errors.New("left the community less than an hour ago")

// GroupAddBody: an admin puts a community member into a group.
type GroupAddBody struct {
	Group  []byte `cbor:"1,keyasint"`
	Member []byte `cbor:"2,keyasint"`
	Time   int64  `cbor:"3,keyasint,omitempty"` // author's clock, unix milliseconds; judged against the member's last leave
}

// GroupRemoveBody: an admin takes a member out of a group. Seen is what
// the remover had seen of that group's content log (at most the one
// group's entry): strong removal keeps the target's ops there.
type GroupRemoveBody struct {
	Group  []byte    `cbor:"1,keyasint"`
	Member []byte    `cbor:"2,keyasint"`
	Seen   []SeenLog `cbor:"3,keyasint,omitempty"`
	Time   int64     `cbor:"4,keyasint,omitempty"`
}

func (b *GroupAddBody) check() error {
	if err := checkID("group", b.Group); err != nil {
		return err
	}
	return checkID("member", b.Member)
}

func (b *GroupRemoveBody) check() error {
	if err := checkID("group", b.Group); err != nil {
		return err
	}
	if err := checkID("member", b.Member); err != nil {
		return err
	}
	if len(b.Seen) > MaxGroupSeen || len(b.Seen) == 1 && idOf(b.Seen[0].Group) != idOf(b.Group) {
		return fmt.Errorf("a group removal names what was seen of its own group only")
	}
	return checkSeen(b.Seen)
}

// groupBody returns the body for the group membership kinds, nil for
// others.
func groupBody(k Kind) interface{ check() error } {
	switch k {
	case KindGroupAdd:
		return new(GroupAddBody)
	case KindGroupRemove:
		return new(GroupRemoveBody)
	}
	return nil
}

// checkGroupMembers judges a group.add or group.remove by o's author,
// whose role is role; ok is false for other bodies.
func (s *State) checkGroupMembers(o *Op, body any, role Role) (need Role, err error, ok bool) {
	var gid []byte
	var k PublicKey
	switch b := body.(type) {
	case *GroupAddBody:
		gid, k = b.Group, keyOf(b.Member)
	case *GroupRemoveBody:
		gid, k = b.Group, keyOf(b.Member)
	default:
		return 0, nil, false
	}
	g, exists := s.Groups[idOf(gid)]
	t := s.Role(k)
	switch {
	case !exists:
		return RoleAdmin, invalid("group %x does not exist", gid[:4]), true
	case g.Private():
		return RoleAdmin, invalid("nobody is added to or removed from a private conversation; its creator chose who is in it"), true
	case g.Progress():
		return RoleAdmin, invalid("nobody is added to or removed from a progress log; its readers follow the roles"), true
	case g.Everyone():
		return RoleAdmin, invalid("every member is in group %q", g.Name), true
	case t == RoleNone:
		return RoleAdmin, invalid("%s is not a member of the community", s.who(k)), true
	}
	if b, add := body.(*GroupAddBody); add {
		switch {
		case g.Archived:
			return RoleAdmin, invalid("group %q is archived", g.Name), true
		case g.Suggested:
			return RoleAdmin, invalid("group %q is a suggestion not yet approved", g.Name), true
		case g.Has(k):
			return RoleAdmin, invalid("%s is already in group %q", s.who(k), g.Name), true
		}
		if left, ok := g.Left[k]; ok && b.Time < left+GroupRejoinWait && g.Requests[k] == nil {
			return RoleAdmin, fmt.Errorf("%w: %s %w (%q); they may ask to join", ErrInvalid, s.who(k), ErrLeftRecently, g.Name), true
		}
		need, err := s.needRole(role, RoleAdmin, "add members to groups")
		return need, err, true
	}
	switch {
	case !g.Has(k):
		return RoleAdmin, invalid("%s is not in group %q", s.who(k), g.Name), true
	case k == o.Author:
		return RoleAdmin, invalid("leave group %q instead of removing yourself", g.Name), true
	}
	need, err = s.needRole(role, max(RoleAdmin, t), "remove a "+t.String()+" from groups")
	return need, err, true
}

// needRole is check's rank test: role must be at least r to do what.
func (s *State) needRole(role, r Role, what string) (Role, error) {
	if role < r {
		if role == RoleNone {
			return r, unauthorized("not a member may not %s", what)
		}
		return r, unauthorized("a %s may not %s", role, what)
	}
	return r, nil
}

// mutateGroupMembers applies a group.add, group.remove or group.leave
// that check accepted and reports whether it was one.
func (s *State) mutateGroupMembers(o *Op, body any, audit func(AuditEntry)) bool {
	switch b := body.(type) {
	case *GroupAddBody:
		g, k := s.ownGroup(idOf(b.Group)), keyOf(b.Member)
		g.Members[k] = o.ID()
		delete(g.Requests, k)
		audit(AuditEntry{Target: k, Object: g.ID, Detail: "added to " + g.Name, Name: g.Name, Time: b.Time})
	case *GroupRemoveBody:
		g, k := s.ownGroup(idOf(b.Group)), keyOf(b.Member)
		delete(g.Members, k)
		delete(g.Requests, k)
		s.exposeGroup(k, o.Author, g.ID)
		audit(AuditEntry{Target: k, Object: g.ID, Detail: "removed from " + g.Name, Name: g.Name, Time: b.Time})
	case *GroupLeaveBody:
		g := s.ownGroup(idOf(b.Group))
		delete(g.Members, o.Author)
		// Copied on write: ownGroup does not copy it.
		left := maps.Clone(g.Left)
		if left == nil {
			left = map[PublicKey]int64{}
		}
		left[o.Author] = b.Time
		g.Left = left
		s.exposeGroup(o.Author, o.Author, g.ID)
	default:
		return false
	}
	return true
}

// exposeGroup records, as member k is taken out of group gid by by (or
// leaves it: by is k), that k may hold the group's current epoch, unless
// it is by's own rotation for the removal, not wrapped to k (see expose).
func (s *State) exposeGroup(k, by PublicKey, gid ID) {
	e := s.Current[gid]
	if e == nil {
		return
	}
	if _, wrapped := e.Wraps[k]; !wrapped && e.Reason == RekeyRemoval && e.By == by && by != k {
		return
	}
	s.Exposed[e.ID] = true
}

// groupLoss is an applied group.remove: a loss of one group's place.
type groupLoss struct {
	*loss
	group ID
}

// fellAdd is a group.add struck by a loss of its author's rank: its
// target's posts that rest on it fall.
type fellAdd struct {
	group, add ID
	author     PublicKey // the add's
	loss       ID        // the demotion or removal that struck it
}

// noteGroupApplied records an applied group.remove for the content rules.
func (r *resolution) noteGroupApplied(o *Op, body any) {
	b, ok := body.(*GroupRemoveBody)
	if !ok {
		return
	}
	if r.groupLosses == nil {
		r.groupLosses = map[PublicKey][]groupLoss{}
	}
	k := keyOf(b.Member)
	l := &loss{op: o, idx: r.lossIdx[o.ID()], target: k, prevRole: r.state.Role(k), lostTo: r.state.Role(k), seen: seenMap(b.Seen)}
	r.groupLosses[k] = append(r.groupLosses[k], groupLoss{l, idOf(b.Group)})
}

// sawLate reports whether the author of an applied loss — a removal, a
// demotion or a removal from a group — named content op id of group among
// the heads it had seen of that group's timeline.
func (r *resolution) sawLate(group, id ID) bool {
	for _, ls := range r.losses {
		for _, l := range ls {
			if slices.Contains(l.seen[group], id) {
				return true
			}
		}
	}
	for _, gls := range r.groupLosses {
		for _, l := range gls {
			if slices.Contains(l.seen[group], id) {
				return true
			}
		}
	}
	return false
}

// noteStruckAdd records, when err strikes group.add o, what fell with it.
func (r *resolution) noteStruckAdd(o *Op, body any, err error) {
	b, ok := body.(*GroupAddBody)
	var u *undoneError
	if !ok || !errors.As(err, &u) {
		return
	}
	if r.fellAdds == nil {
		r.fellAdds = map[PublicKey][]fellAdd{}
	}
	k := keyOf(b.Member)
	r.fellAdds[k] = append(r.fellAdds[k], fellAdd{group: idOf(b.Group), add: o.ID(), author: o.Author, loss: u.by.ID()})
}

// noteRefusedAdd records, when group.add o is refused at its place in the
// order after a concurrent loss of its author's admin rank, that it fell
// with that loss, as if it had come first and been struck.
func (r *resolution) noteRefusedAdd(o *Op, body any, concurrent func(*loss, *Op) bool) {
	if _, ok := body.(*GroupAddBody); !ok {
		return
	}
	for _, l := range r.losses[o.Author] {
		if l.prevRole >= RoleAdmin && l.lostTo < RoleAdmin && concurrent(l, o) {
			r.noteStruckAdd(o, body, l.reason())
			return
		}
	}
}

// groupVerdict is verdict's part for group membership: whether content op
// e of timeline t is hidden because its author was taken out of the group
// concurrently, or was in it only by an add that fell.
func (c *Community) groupVerdict(t *Timeline, e *Entry) *Hidden {
	r, a := c.res, e.Op.Author
	for _, l := range r.groupLosses[a] {
		if l.group == t.group && !c.depsPast(l.loss, e.Op.Deps) && !t.seenBy(l.loss, e.Op.ID()) {
			return &Hidden{Cause: HiddenRemoved, By: l.op.ID()}
		}
	}
	for _, f := range r.fellAdds[a] {
		if f.group != t.group || c.lossIn(f.author, f.loss, e.Op.Deps) {
			continue
		}
		for _, d := range e.Op.Deps {
			if c.reaches(d, f.add) {
				return &Hidden{Cause: HiddenAdmissionFell}
			}
		}
	}
	return nil
}

// lossIn reports whether loss op id of target is in the causal past of
// control heads deps.
func (c *Community) lossIn(target PublicKey, id ID, deps []ID) bool {
	for _, l := range c.res.losses[target] {
		if l.op.ID() == id {
			return c.depsPast(l, deps)
		}
	}
	return false
}

// GroupSeen returns what a remover has seen of group gid's content log,
// for GroupRemoveBody.Seen: its heads, within MaxParents; nil when the
// group holds no content.
func (c *Community) GroupSeen(gid ID) []SeenLog {
	t := c.groups[gid]
	if t == nil || len(t.heads.ids) == 0 {
		return nil
	}
	s := SeenLog{Group: gid[:]}
	for _, h := range t.heads.ids[:min(len(t.heads.ids), MaxParents)] {
		s.Heads = append(s.Heads, h[:])
	}
	return []SeenLog{s}
}

// leftOutOfGroup is LeftOut for an epoch of group g, which has explicit
// members: the rotation left k out on purpose when the op that let k into
// the group (a join, an approval, an add, or the creation of a private
// conversation) and a prekey of k's were in its author's view. A member
// added to the group after the rotation, or concurrently with it, was not
// left out: it is handed the group's earlier epochs by any member, so it
// reads the group's history (as the community's settings let it see).
// The prekey is found as k's newest, or one published after k came into
// the group, in the rotation's past.
func (c *Community) leftOutOfGroup(e *Epoch, k PublicKey, g *Group) bool {
	in, ok := g.Members[k]
	if g.Progress() {
		if in, ok = c.progressEntry(e, k, g); !ok {
			return false
		}
	}
	if !ok {
		return false
	}
	last, entry := c.control[e.Last], c.control[in]
	if last == nil || entry == nil || entry.Height >= last.Height || !c.reaches(e.Last, in) {
		return false
	}
	if pk := c.res.state.Prekeys[k]; pk != nil && c.reaches(e.Last, pk.Op) {
		return true
	}
	seen := map[ID]bool{}
	stack := slices.Clone(last.Parents)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		o := c.control[id]
		if seen[id] || o == nil || o.Height <= entry.Height {
			continue
		}
		seen[id] = true
		if o.Kind == KindPrekey && o.Author == k {
			return true
		}
		stack = append(stack, o.Parents...)
	}
	return false
}

// progressEntry is, for leftOutOfGroup, the op that made member k a reader
// of progress log g, as the rotation that made epoch e saw it: the later
// (higher) of the log's opening and the op k's reading rests on (its
// admission for the log's member, its role for an admin). ok is false when
// k does not read g, or the rotation did not see both: then k came in
// after it, or concurrently, and was not left out.
func (c *Community) progressEntry(e *Epoch, k PublicKey, g *Group) (ID, bool) {
	st := c.res.state
	m := st.Members[k]
	if m == nil || !st.reads(g, k) {
		return ID{}, false
	}
	by := m.RoleBy
	if k == g.Creator {
		by = m.Since
	}
	a, b := c.control[g.ID], c.control[by]
	if a == nil || b == nil || !c.reaches(e.Last, g.ID) || !c.reaches(e.Last, by) {
		return ID{}, false
	}
	if b.Height > a.Height {
		return by, true
	}
	return g.ID, true
}
