package view

import (
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Contacts lists the people the local member shares at least one
// community with (both members now), by name: whom an admin may add to
// another community directly. A community the local member left or was
// removed from counts for nothing.
func (d *Directory) Contacts() []api.Contact {
	self := d.views.self
	byKey := map[crdt.PublicKey]*api.Contact{}
	cids := d.views.rep.Communities()
	slices.SortFunc(cids, crdt.ID.Compare)
	for _, cid := range cids {
		_ = d.views.rep.View(cid, func(c *crdt.Community) error {
			st := c.State()
			if st.Role(self) == crdt.RoleNone {
				return nil
			}
			for k := range st.Members {
				if k == self {
					continue
				}
				ct := byKey[k]
				if ct == nil {
					ct = &api.Contact{PeerID: d.views.names.PeerID(k), Name: d.views.names.Name(st, k)}
					byKey[k] = ct
				}
				ct.Communities = append(ct.Communities, cid)
			}
			return nil
		})
	}
	out := make([]api.Contact, 0, len(byKey))
	for _, ct := range byKey {
		out = append(out, *ct)
	}
	slices.SortFunc(out, func(a, b api.Contact) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.PeerID, b.PeerID)
	})
	return out
}

// addedBy names whoever added self to the community of c directly
// (member.add), or is "" when self joined otherwise or is not a member.
func addedBy(c *crdt.Community, st *crdt.State, self crdt.PublicKey, names Names) string {
	m := st.Members[self]
	if m == nil {
		return ""
	}
	op := c.Op(m.Since)
	if op == nil || op.Kind != crdt.KindAdd {
		return ""
	}
	return names.Name(st, op.Author)
}
