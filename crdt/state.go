package crdt

import (
	"crypto/ed25519"
	"fmt"
	"maps"
)

// Member is one member of a community as the control log says.
type Member struct {
	Key   PublicKey
	Name  string
	Role  Role
	Since ID // the op that admitted them (genesis or join)
}

// Group is a group of a community. The announcement group's id is the
// community id; other groups are named by the op that created them.
type Group struct {
	ID           ID
	Name         string
	Description  string
	Announcement bool
}

// Invite is an invite capability recorded in the control log.
type Invite struct {
	ID   ID
	By   PublicKey
	Body InviteBody
	Uses uint32
}

// State is a community's control state after replaying some set of control
// ops. It is a value: Apply mutates it, Clone copies it.
type State struct {
	Community   ID
	Name        string
	Description string
	Members     map[PublicKey]*Member
	Groups      map[ID]*Group
	Invites     map[ID]*Invite
	// Rejected lists ops that were in the replayed set but whose effect was
	// refused at their place in the deterministic order, with the reason.
	Rejected map[ID]error
}

func newState() *State {
	return &State{
		Members:  map[PublicKey]*Member{},
		Groups:   map[ID]*Group{},
		Invites:  map[ID]*Invite{},
		Rejected: map[ID]error{},
	}
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := *s
	c.Members = make(map[PublicKey]*Member, len(s.Members))
	for k, m := range s.Members {
		mm := *m
		c.Members[k] = &mm
	}
	c.Groups = make(map[ID]*Group, len(s.Groups))
	for k, g := range s.Groups {
		gg := *g
		c.Groups[k] = &gg
	}
	c.Invites = make(map[ID]*Invite, len(s.Invites))
	for k, v := range s.Invites {
		vv := *v
		c.Invites[k] = &vv
	}
	c.Rejected = maps.Clone(s.Rejected)
	return &c
}

// Role returns k's role, RoleNone for a non-member.
func (s *State) Role(k PublicKey) Role {
	if m, ok := s.Members[k]; ok {
		return m.Role
	}
	return RoleNone
}

// Apply checks that control op o is permitted in state s and, if so, applies
// it. Errors wrap ErrUnauthorized, ErrInvalid or ErrMalformed; on error s is
// unchanged.
func (s *State) Apply(o *Op) error {
	body, err := DecodeBody(o)
	if err != nil {
		return err
	}
	if o.Kind == KindGenesis {
		if s.Community != ZeroID {
			return fmt.Errorf("%w: second genesis", ErrInvalid)
		}
		b := body.(*GenesisBody)
		s.Community = o.ID()
		s.Name, s.Description = b.Name, b.Description
		s.Members[o.Author] = &Member{Key: o.Author, Name: "", Role: RoleOwner, Since: o.ID()}
		s.Groups[o.ID()] = &Group{ID: o.ID(), Name: "Announcements", Announcement: true}
		return nil
	}
	if o.Community != s.Community || s.Community == ZeroID {
		return fmt.Errorf("%w: op of community %s applied to %s", ErrInvalid, o.Community.Short(), s.Community.Short())
	}
	role := s.Role(o.Author)
	switch b := body.(type) {
	case *InviteBody:
		if role < RoleAdmin {
			return fmt.Errorf("%w: %s may not create invites", ErrUnauthorized, role)
		}
		s.Invites[o.ID()] = &Invite{ID: o.ID(), By: o.Author, Body: *b}
	case *JoinBody:
		var invID ID
		copy(invID[:], b.Invite)
		inv, ok := s.Invites[invID]
		if !ok {
			return fmt.Errorf("%w: join cites invite %s, which is not in its causal past", ErrInvalid, invID.Short())
		}
		if role != RoleNone {
			return fmt.Errorf("%w: already a member", ErrInvalid)
		}
		if !ed25519.Verify(inv.Body.Key, JoinProofMessage(s.Community, invID, o.Author), b.Proof) {
			return fmt.Errorf("%w: join proof does not verify with the invite key", ErrUnauthorized)
		}
		if inv.Body.Expires != 0 && b.Time/1000 > inv.Body.Expires {
			return fmt.Errorf("%w: invite expired", ErrUnauthorized)
		}
		if inv.Body.MaxUses != 0 && inv.Uses >= inv.Body.MaxUses {
			return fmt.Errorf("%w: invite used %d of %d times", ErrUnauthorized, inv.Uses, inv.Body.MaxUses)
		}
		inv.Uses++
		s.Members[o.Author] = &Member{Key: o.Author, Name: b.Name, Role: inv.Body.Role, Since: o.ID()}
	case *ProfileBody:
		if role == RoleNone {
			return fmt.Errorf("%w: not a member", ErrUnauthorized)
		}
		s.Members[o.Author].Name = b.Name
	case *GroupCreateBody:
		if role < RoleAdmin {
			return fmt.Errorf("%w: %s may not create groups", ErrUnauthorized, role)
		}
		s.Groups[o.ID()] = &Group{ID: o.ID(), Name: b.Name, Description: b.Description}
	default:
		return fmt.Errorf("%w: %s is not a control op", ErrInvalid, o.Kind)
	}
	return nil
}

// CheckContent reports whether content op o is permitted by control state s
// (the state at o's deps): its group exists, its author is a member, and in
// the announcement group an admin.
func (s *State) CheckContent(o *Op) error {
	if _, err := DecodeBody(o); err != nil {
		return err
	}
	g, ok := s.Groups[o.Log]
	if !ok {
		return fmt.Errorf("%w: group %s does not exist in the op's causal past", ErrInvalid, o.Log.Short())
	}
	role := s.Role(o.Author)
	if role == RoleNone {
		return fmt.Errorf("%w: author is not a member", ErrUnauthorized)
	}
	if g.Announcement && role < RoleAdmin {
		return fmt.Errorf("%w: only admins may post announcements", ErrUnauthorized)
	}
	return nil
}
