package view

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Presence tells whether a member can be reached now (the node's host).
type Presence interface {
	// Online reports whether member k is connected now, directly or
	// through a relay; the local member always is.
	Online(k crdt.PublicKey) bool
}

// SafetyNumbers gives members' safety numbers for a members list
// (package view/safety's Cache is one).
type SafetyNumbers interface {
	// List returns the safety numbers of keys, in order; one not known
	// yet may be "" and follow later.
	List(keys []crdt.PublicKey) []string
}

// Directory lists the communities this device holds and their members as
// the local member sees them: names, roles, what it may do to each (asked
// of crdt), who is online, safety numbers, and whether it went.
type Directory struct {
	views    *Views
	presence Presence
	safety   SafetyNumbers
}

// NewDirectory returns the directory over v's replica and names; presence
// and safety are required.
func NewDirectory(v *Views, presence Presence, safety SafetyNumbers) (*Directory, error) {
	if v == nil || presence == nil || safety == nil {
		return nil, errors.New("view directory: Views, Presence and SafetyNumbers are required")
	}
	return &Directory{views: v, presence: presence, safety: safety}, nil
}

// departedError says who removed the local member from which community;
// it is api.ErrRemoved, api.ErrLeft or api.ErrJoinUndone.
type departedError struct {
	community string
	by        string // who removed the member; empty when it left
	undone    bool   // its join was undone
}

func (e *departedError) Error() string {
	if e.undone {
		return fmt.Sprintf("your join of %s was undone: the link you joined by was revoked, or whoever made it lost the right to invite, while you joined; ask an admin for a new link", e.community)
	}
	if e.by == "" {
		return fmt.Sprintf("you left %s; what it said before stays readable, but you can no longer write in it", e.community)
	}
	return fmt.Sprintf("you were removed from %s by %s; what it said before stays readable, but you can no longer write in it", e.community, e.by)
}

func (e *departedError) Is(target error) bool {
	if e.undone {
		return target == api.ErrJoinUndone
	}
	return target == api.ErrRemoved && e.by != "" || target == api.ErrLeft && e.by == ""
}

// departed describes how the local member went from the community of
// state st, or is nil while it is a member (or never was one).
func (d *Directory) departed(st *crdt.State) *departedError {
	self := d.views.self
	dp := st.Departed[self]
	if dp == nil {
		return nil
	}
	e := &departedError{community: st.Name, undone: !dp.Join.IsZero()}
	if dp.By != self && !e.undone {
		e.by = d.views.names.Name(st, dp.By)
	}
	return e
}

// StillMember fails with an error matching api.ErrRemoved, api.ErrLeft or
// api.ErrJoinUndone if the local member went from community cid.
func (d *Directory) StillMember(cid crdt.ID) error {
	st, err := d.views.rep.Snapshot(cid)
	if err != nil {
		return nil // not held: nothing says the member went
	}
	if e := d.departed(st); e != nil {
		return e
	}
	return nil
}

// Community summarises community cid, with what is unread in the unmuted
// groups the member is in.
func (d *Directory) Community(cid crdt.ID) (api.Community, error) {
	var out api.Community
	self := d.views.self
	err := d.views.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		out = api.Community{ID: cid, Name: st.Name, Description: st.Description, Members: len(st.Members), Role: st.Role(self).String(), Icon: st.Icon}
		out.FillPermits(st, self)
		out.FillRelays(st, d.views.names.PeerID)
		out.AddedBy = addedBy(c, st, self, d.views.names)
		if e := d.departed(st); e != nil {
			out.Removed, out.RemovedBy, out.Left, out.JoinUndone = e.by != "", e.by, e.by == "" && !e.undone, e.undone
		}
		return nil
	})
	if err == nil {
		out.Unread, out.Mentions, err = d.views.Unread(cid)
	}
	return out, err
}

// Communities lists the communities this device holds, by name.
func (d *Directory) Communities() []api.Community {
	var out []api.Community
	for _, cid := range d.views.rep.Communities() {
		if c, err := d.Community(cid); err == nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b api.Community) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	return out
}

// Members lists a community's members: owners, then admins, then members,
// each by name.
func (d *Directory) Members(cid crdt.ID) ([]api.Member, error) {
	st, err := d.views.rep.Snapshot(cid)
	if err != nil {
		return d.memberList(nil), err
	}
	return d.memberList(d.membersOf(st, nil)), nil
}

// GroupMembers lists a group's members like Members: everyone in the
// community for the announcement group and groups open to everyone.
func (d *Directory) GroupMembers(cid, gid crdt.ID) ([]api.Member, error) {
	st, err := d.views.rep.Snapshot(cid)
	if err != nil {
		return d.memberList(nil), err
	}
	g, ok := st.Groups[gid]
	if !ok {
		return d.memberList(nil), fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
	}
	return d.memberList(d.membersOf(st, g)), nil
}

// listed is a member as read from a snapshot of the state, with its name and
// what the local member may do to it (api.Member's CanRemove and
// Grantable).
type listed struct {
	m    crdt.Member
	name string
	may  api.Member
}

// membersOf reads the community's members, or those of group g.
func (d *Directory) membersOf(st *crdt.State, g *crdt.Group) []listed {
	var out []listed
	for _, m := range st.Members {
		if g == nil || g.Has(m.Key) {
			l := listed{m: *m, name: d.views.names.Name(st, m.Key)}
			l.may.FillPermits(st, d.views.self, m.Key)
			if g != nil {
				l.may.FillGroupPermits(st, d.views.self, m.Key, g.ID, 0) // in the group: nothing to add
			}
			out = append(out, l)
		}
	}
	return out
}

// memberList sorts members (owners, admins, members, each by name) and
// describes them.
func (d *Directory) memberList(raw []listed) []api.Member {
	slices.SortFunc(raw, func(a, b listed) int {
		if a.m.Role != b.m.Role {
			return int(b.m.Role) - int(a.m.Role)
		}
		if c := strings.Compare(strings.ToLower(a.m.Name), strings.ToLower(b.m.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.m.Key.String(), b.m.Key.String())
	})
	keys := make([]crdt.PublicKey, len(raw))
	for i, l := range raw {
		keys[i] = l.m.Key
	}
	safety := d.safety.List(keys)
	out := make([]api.Member, 0, len(raw))
	for i, l := range raw {
		out = append(out, api.Member{PeerID: d.views.names.PeerID(l.m.Key), Name: l.name, Role: l.m.Role.String(), SafetyNumber: safety[i],
			Online: d.presence.Online(l.m.Key), CanRemove: l.may.CanRemove, Grantable: l.may.Grantable, CanMessage: l.may.CanMessage, Photo: l.m.Photo,
			CanRemoveFromGroup: l.may.CanRemoveFromGroup})
	}
	return out
}
