package act

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestAddMember: an admin adds a contact from another community directly,
// under the name the contact goes by; someone it shares nothing else with
// is told to get a link, and nothing is written; crdt refuses a plain
// member's add and the add of a member.
func TestAddMember(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	other := crdt.ID{7}
	cy, dee, bo := member(2), member(3), member(1)
	contacts := []api.Contact{
		{PeerID: peer(cy), Name: "Cy", Communities: []crdt.ID{other}},
		{PeerID: peer(dee), Name: "Dee", Communities: []crdt.ID{w.cid}}, // shares only this community
		{PeerID: peer(bo), Name: "Bo", Communities: []crdt.ID{w.cid, other}},
	}
	for _, tc := range []struct {
		name     string
		peer     string
		contacts []api.Contact
	}{
		{"a stranger", peer(dee), nil},
		{"someone shared only here", peer(dee), contacts},
	} {
		if err := w.act.AddMember(ctx, w.cid, tc.peer, tc.contacts); !errors.Is(err, api.ErrNotContact) {
			t.Errorf("%s: %v, want ErrNotContact", tc.name, err)
		}
	}
	if len(w.journal) != 0 {
		t.Fatalf("wrote %v for refused adds", w.journal)
	}
	if err := w.act.AddMember(ctx, w.cid, peer(bo), contacts); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("adding a member: %v, want ErrInvalid", err)
	}
	if err := w.actsAs(t, bo).AddMember(ctx, w.cid, peer(cy), contacts); !errors.Is(err, crdt.ErrUnauthorized) {
		t.Errorf("a plain member's add: %v, want ErrUnauthorized", err)
	}
	w.journal = nil
	if err := w.act.AddMember(ctx, w.cid, " "+peer(cy)+" ", contacts); err != nil {
		t.Fatal(err)
	}
	// The added member is handed the keys of what a newcomer reads, in
	// the same action: the control log, the announcement group, General.
	var logs []string
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		for _, l := range c.State().NewcomerLogs() {
			logs = append(logs, l.Short())
		}
		return nil
	})
	if want := []string{"member.add", "share " + strings.Join(logs, ",")}; len(logs) != 3 || !slices.Equal(w.journal, want) {
		t.Fatalf("wrote %v, want %v", w.journal, want)
	}
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		m := c.State().Members[cy.Key()]
		if m == nil || m.Name != "Cy" || m.Role != crdt.RoleMember {
			t.Fatalf("added member: %+v", m)
		}
		return nil
	})
}
