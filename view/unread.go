package view

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Read state and mutes belong to this device, not to the community: they
// live in Meta, never in an op.
//
// A group's read mark is how many messages by others its display list held
// when the member last read it (MarkRead). Messages never leave the list —
// deleted and hidden ones keep their place — so the count only grows, and
// the unread ones are the others' messages past it. A group never marked
// counts what others said before the member came as read, so a newcomer
// to a community with years of history starts with nothing unread.

func readKey(cid, gid crdt.ID) string  { return "read/" + cid.String() + "/" + gid.String() }
func mutedKey(cid, gid crdt.ID) string { return "muted/" + cid.String() + "/" + gid.String() }

// groupLocal is this device's state of one group.
type groupLocal struct {
	read  int // others' messages read; -1: never marked
	muted bool
}

// readCount is how many of the others' messages count as read, given how
// many were said before the member came.
func (l groupLocal) readCount(before int) int {
	if l.read < 0 {
		return before
	}
	return l.read
}

// localGroup returns this device's state of a group, reading it from Meta
// the first time.
func (v *Views) localGroup(cid, gid crdt.ID) groupLocal {
	k := groupKey{cid, gid}
	v.localMu.Lock()
	defer v.localMu.Unlock()
	if l, ok := v.local[k]; ok {
		return l
	}
	l := groupLocal{read: -1}
	if val, err := v.meta.GetMeta(v.ctx, readKey(cid, gid)); err == nil {
		if r, err := strconv.Atoi(string(val)); err == nil && r >= 0 {
			l.read = r
		} else {
			v.log.Warn("stored read mark is corrupt; counting the group as never read", "group", gid.Short())
		}
	} else if !errors.Is(err, v.notFound) {
		v.log.Warn("read mark", "group", gid.Short(), "err", err)
		return l // not remembered: asked again next time
	}
	if val, err := v.meta.GetMeta(v.ctx, mutedKey(cid, gid)); err == nil {
		l.muted = string(val) == "1"
	} else if !errors.Is(err, v.notFound) {
		v.log.Warn("mute", "group", gid.Short(), "err", err)
		return l
	}
	v.local[k] = l
	return l
}

// updateLocal changes this device's state of a group with fn and stores
// what changed. It returns the state before.
func (v *Views) updateLocal(ctx context.Context, cid, gid crdt.ID, fn func(*groupLocal)) (before groupLocal, err error) {
	before = v.localGroup(cid, gid)
	v.localMu.Lock()
	defer v.localMu.Unlock()
	if l, ok := v.local[groupKey{cid, gid}]; ok {
		before = l
	}
	after := before
	fn(&after)
	if after.read != before.read {
		if err := v.meta.PutMeta(ctx, readKey(cid, gid), []byte(strconv.Itoa(after.read))); err != nil {
			return before, fmt.Errorf("save read mark: %w", err)
		}
	}
	if after.muted != before.muted {
		val := "0"
		if after.muted {
			val = "1"
		}
		if err := v.meta.PutMeta(ctx, mutedKey(cid, gid), []byte(val)); err != nil {
			return before, fmt.Errorf("save mute: %w", err)
		}
	}
	v.local[groupKey{cid, gid}] = after
	return before, nil
}

// groupCounts is what a group's unread count needs, from a pass over its
// timeline: cheaper than the display list, so FillGroups and Unread can
// count every group. It is kept per group (guarded by Views.mu, changed
// only in replica Views) and extended, like crdt.Fold, by the ops that
// arrive when they go last.
type groupCounts struct {
	comm          *crdt.Community
	ctrl, ops     int
	gen           uint64 // comm.EntriesGen of entries
	since, joined int64
	// entries are the entries counted, a prefix of the timeline's order
	// (shared with it); hidden the positions of the hidden ones.
	entries []*crdt.Entry
	hidden  []int32
	tally
	mentionAt map[crdt.ID]int // the position among others' messages of each that mentions the member
	deleted   map[crdt.ID]bool
}

// tally is a snapshot of a group's counts.
type tally struct {
	others int // others' messages shown
	before int // of them, said before the member came
	// mentions holds, in order, the positions among others' messages of
	// those that mention the member and are neither deleted nor hidden. It
	// is never changed in place once handed out.
	mentions []int
}

// counts returns group gid's counts, bringing them up to date. Call it in
// a replica View of c.
func (v *Views) counts(c *crdt.Community, gid crdt.ID) tally {
	k := groupKey{c.ID(), gid}
	ctrl, ops := groupLen(c, gid)
	v.mu.Lock()
	defer v.mu.Unlock()
	gc := v.tallies[k]
	if gc != nil && gc.comm == c && gc.ctrl == ctrl && gc.ops == ops {
		return gc.tally
	}
	self := v.self
	st := c.State()
	joined := joinedAt(c, st, gid, self)
	since := int64(0)
	if st.HideHistory {
		since = joined
	}
	es := c.Entries(gid)
	gen := c.EntriesGen(gid)
	if gc == nil || gc.comm != c || gc.since != since || gc.joined != joined || gc.gen != gen && !gc.extends(es) {
		gc = &groupCounts{comm: c, since: since, joined: joined, mentionAt: map[crdt.ID]int{}, deleted: map[crdt.ID]bool{}}
	}
	gc.ctrl, gc.ops, gc.gen = ctrl, ops, gen
	for i := len(gc.entries); i < len(es); i++ {
		gc.add(int32(i), es[i], self)
	}
	gc.entries = es
	v.tallies[k] = gc
	return gc.tally
}

// extends reports whether es starts with the entries gc counted, each
// hidden or not as it was: asked only when the timeline was rewritten
// since (EntriesGen), as a new message costs O(1) otherwise.
func (gc *groupCounts) extends(es []*crdt.Entry) bool {
	if len(es) < len(gc.entries) {
		return false
	}
	same := len(gc.entries) == 0 || &es[0] == &gc.entries[0]
	h := 0
	for i, e := range gc.entries {
		if !same && es[i] != e {
			return false
		}
		if e.Hidden != nil {
			if h == len(gc.hidden) || gc.hidden[h] != int32(i) {
				return false
			}
			h++
		}
	}
	return h == len(gc.hidden)
}

// add counts entry e, the i-th of the order.
func (gc *groupCounts) add(i int32, e *crdt.Entry, self crdt.PublicKey) {
	o := e.Op
	if e.Hidden != nil {
		gc.hidden = append(gc.hidden, i)
	} else if o.Kind == crdt.KindDelete {
		id := crdt.ID(e.Body.(*crdt.DeleteBody).Target)
		gc.deleted[id] = true
		if at, ok := gc.mentionAt[id]; ok {
			if j, found := slices.BinarySearch(gc.mentions, at); found {
				gc.mentions = slices.Delete(slices.Clone(gc.mentions), j, j+1)
			}
		}
		return
	}
	if !crdt.IsPostKind(o.Kind) || o.Author == self {
		return
	}
	var t int64 // a hidden post carries no time, as in the display list
	me := false
	if e.Hidden == nil {
		switch b := e.Body.(type) {
		case *crdt.MessageBody:
			t = b.Time
			me = slices.ContainsFunc(b.Mentions, func(m []byte) bool { return crdt.PublicKey(m) == self })
		case *crdt.PollBody:
			t = b.Time
		default:
			t = teamPostTime(e.Body) // team.go
		}
	}
	if !shownTo(o.Author, t, self, gc.since) {
		return
	}
	if t < gc.joined {
		gc.before++
	}
	if me {
		gc.mentionAt[o.ID()] = gc.others
		if !gc.deleted[o.ID()] {
			gc.mentions = append(gc.mentions, gc.others)
		}
	}
	gc.others++
}

// unread returns the unread messages of a group and how many of them
// mention the member.
func (t tally) unread(l groupLocal) (unread, mentions int) {
	r := l.readCount(t.before)
	unread = max(0, t.others-r)
	i, _ := slices.BinarySearch(t.mentions, r)
	return unread, len(t.mentions) - i
}

// FillGroups fills in this device's view of a community's groups, as
// listed for the app: Muted for each, and Unread and Mentions for those
// the member is in (Joined).
func (v *Views) FillGroups(cid crdt.ID, groups []api.Group) error {
	counts := make([]*tally, len(groups)) // of the groups the member is in, else nil
	err := v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for i, g := range groups {
			if g.Joined && st.Groups[g.ID] != nil {
				t := v.counts(c, g.ID)
				counts[i] = &t
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range groups {
		l := v.localGroup(cid, groups[i].ID)
		groups[i].Muted = l.muted
		if t := counts[i]; t != nil {
			groups[i].Unread, groups[i].Mentions = t.unread(l)
		}
	}
	return nil
}

// Unread returns what is unread in the unmuted groups of community cid
// that the member is in, and how many of those messages mention the
// member.
func (v *Views) Unread(cid crdt.ID) (unread, mentions int, err error) {
	var gids []crdt.ID
	var counts []tally
	err = v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Role(v.self) == crdt.RoleNone {
			return nil
		}
		for gid, g := range st.Groups {
			if g.Has(v.self) {
				gids = append(gids, gid)
				counts = append(counts, v.counts(c, gid))
			}
		}
		return nil
	})
	for i, gid := range gids {
		if l := v.localGroup(cid, gid); !l.muted {
			u, m := counts[i].unread(l)
			unread += u
			mentions += m
		}
	}
	return unread, mentions, err
}

// checkGroup reports whether community cid holds group gid.
func (v *Views) checkGroup(cid, gid crdt.ID) error {
	return v.rep.View(cid, func(c *crdt.Community) error {
		if _, ok := c.State().Groups[gid]; !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		return nil
	})
}

// changed tells the app that what is unread in community cid changed.
func (v *Views) changed(cid crdt.ID) {
	v.emit(api.Event{Kind: api.EventGroups, Community: cid, Unread: true})
	v.emit(api.Event{Kind: api.EventCommunities, Community: cid, Unread: true})
}

// MarkRead records that the local member has read every message of a group
// so far (this device only). It emits EventGroups and EventCommunities when
// that changes what is unread.
func (v *Views) MarkRead(ctx context.Context, cid, gid crdt.ID) error {
	var gc tally
	err := v.rep.View(cid, func(c *crdt.Community) error {
		if _, ok := c.State().Groups[gid]; !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		gc = v.counts(c, gid)
		return nil
	})
	if err != nil {
		return err
	}
	before, err := v.updateLocal(ctx, cid, gid, func(l *groupLocal) { l.read = gc.others })
	if err != nil {
		return err
	}
	if before.readCount(gc.before) < gc.others {
		v.changed(cid)
	}
	return nil
}

// SetMuted silences or unsilences a group (this device only): a muted
// group's unread messages do not count in its community's. It emits
// EventGroups and EventCommunities when that changes.
func (v *Views) SetMuted(ctx context.Context, cid, gid crdt.ID, muted bool) error {
	if err := v.checkGroup(cid, gid); err != nil {
		return err
	}
	before, err := v.updateLocal(ctx, cid, gid, func(l *groupLocal) { l.muted = muted })
	if err != nil {
		return err
	}
	if before.muted != muted {
		v.changed(cid)
	}
	return nil
}
