package crdt

import (
	"errors"
	"slices"

	"lukechampine.com/blake3"
)

// Hash returns a digest of everything a member can see of the community:
// settings, members and roles, requests, groups and their members, invites,
// which control ops were rejected, and every group's folded view (posts,
// hidden marks, edits, deletions, reactions, votes, pins). Two replicas with
// the same accepted ops have the same hash; the convergence tests compare it.
func (c *Community) Hash() [32]byte {
	st := c.State()
	type member struct {
		Key       []byte
		Name      string
		Role      Role
		Since, By []byte
	}
	type group struct {
		ID                []byte
		Name, Desc        string
		Ann, Arch, Sugg   bool
		Policy            GroupPolicy
		Members, Requests [][]byte
	}
	type invite struct {
		ID              []byte
		Uses            uint32
		Revoked, Lapsed bool
	}
	type post struct {
		ID                []byte
		Text              string
		Hidden, Del, Edit bool
		Pinned            bool
		Reactions         []Reaction
		Votes             [][]PublicKey
		Closed            bool
		Team              []byte
	}
	type view struct {
		Group []byte
		Posts []post
		Calls []byte `cbor:",omitempty"` // call.go
	}
	var d struct {
		Name, Desc string
		Policy     JoinPolicy
		MCG, Deact bool
		Members    []member
		Requests   [][]byte
		Groups     []group
		Order      [][]byte
		Invites    []invite
		Rejected   [][]byte
		Audit      [][]byte
		Views      []view
		Team       []byte
		Steps      []byte // steps.go
	}
	d.Name, d.Desc, d.Policy, d.MCG, d.Deact = st.Name, st.Description, st.JoinPolicy, st.MembersCreateGroups, st.Deactivated
	for k, m := range st.Members {
		d.Members = append(d.Members, member{slices.Clone(k[:]), m.Name, m.Role, slices.Clone(m.Since[:]), slices.Clone(m.RoleBy[:])})
	}
	slices.SortFunc(d.Members, func(a, b member) int { return compareBytes(a.Key, b.Key) })
	d.Requests = keysSorted(st.Requests)
	for id, g := range st.Groups {
		d.Groups = append(d.Groups, group{slices.Clone(id[:]), g.Name, g.Description, g.Announcement, g.Archived, g.Suggested, g.Policy, keysSorted(g.Members), keysSorted(g.Requests)})
	}
	slices.SortFunc(d.Groups, func(a, b group) int { return compareBytes(a.ID, b.ID) })
	for _, id := range st.GroupOrder {
		d.Order = append(d.Order, slices.Clone(id[:]))
	}
	for id, inv := range st.Invites {
		d.Invites = append(d.Invites, invite{slices.Clone(id[:]), inv.Uses, inv.Revoked, inv.Lapsed})
	}
	slices.SortFunc(d.Invites, func(a, b invite) int { return compareBytes(a.ID, b.ID) })
	for id := range st.Rejected {
		d.Rejected = append(d.Rejected, slices.Clone(id[:]))
	}
	slices.SortFunc(d.Rejected, compareBytes)
	for _, a := range st.Audit {
		d.Audit = append(d.Audit, slices.Clone(a.Op[:]))
	}
	d.Team = st.teamHash()
	for _, g := range c.ContentLogs() {
		v := c.View(g)
		vv := view{Group: slices.Clone(g[:])}
		for _, p := range v.Posts {
			if p.Call != nil {
				continue // a call's row: Calls below
			}
			pp := post{ID: slices.Clone(p.ID[:]), Text: p.Text, Hidden: p.Hidden != nil, Del: p.Deleted, Edit: p.Edited, Pinned: p.Pinned, Reactions: p.Reactions}
			if p.Poll != nil {
				pp.Votes, pp.Closed = p.Poll.Votes, p.Poll.Closed
			}
			pp.Team = p.TeamCard.hash()
			vv.Posts = append(vv.Posts, pp)
		}
		vv.Calls = callsHash(v.Calls)
		d.Views = append(d.Views, vv)
	}
	d.Steps = c.teamDigest()
	b, err := Marshal(&d)
	if err != nil {
		panic(errors.Join(errors.New("crdt: hash state"), err)) // plain structs always encode
	}
	return blake3.Sum256(b)
}

func compareBytes(a, b []byte) int { return slices.Compare(a, b) }

func keysSorted[V any](m map[PublicKey]V) [][]byte {
	out := make([][]byte, 0, len(m))
	for k := range m {
		out = append(out, slices.Clone(k[:]))
	}
	slices.SortFunc(out, compareBytes)
	return out
}
