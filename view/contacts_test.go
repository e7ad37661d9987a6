package view

import (
	"context"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// second makes another community named name, owned by the world's owner,
// on the same replica, and returns its id.
func (w *world) second(name string) crdt.ID {
	w.tb.Helper()
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: body(w.tb, &crdt.GenesisBody{Name: name, Time: w.now()})}, w.owner)
	if err != nil {
		w.tb.Fatal(err)
	}
	w.rep.Expect(g.ID())
	if _, err := w.rep.Ingest(context.Background(), g); err != nil {
		w.tb.Fatal(err)
	}
	b := body(w.tb, &crdt.ProfileBody{Name: "Olivia", Time: w.now()})
	if _, err := w.rep.Author(context.Background(), w.owner, g.ID(), crdt.ZeroID, crdt.KindProfile, b); err != nil {
		w.tb.Fatal(err)
	}
	return g.ID()
}

// addTo has the owner add s to community cid directly as name.
func (w *world) addTo(cid crdt.ID, s signer, name string) {
	w.tb.Helper()
	b := body(w.tb, &crdt.AddBody{Member: []byte(s.PublicKey()), Name: name, Role: crdt.RoleMember, Time: w.now()})
	if _, err := w.rep.Author(context.Background(), w.owner, cid, crdt.ZeroID, crdt.KindAdd, b); err != nil {
		w.tb.Fatal(err)
	}
}

func contactLine(cs []api.Contact) []string {
	var out []string
	for _, c := range cs {
		line := c.Name + ":"
		for _, cid := range c.Communities {
			line += " " + cid.Short()
		}
		out = append(out, line)
	}
	return out
}

// TestContacts: the people the member shares a community with, each with
// the communities shared, by name; a community left counts for nothing;
// a community one was added to says by whom.
func TestContacts(t *testing.T) {
	w := newWorld(t, "Team")
	bob, ann, cy := member(1), member(2), member(3)
	w.join(bob, "Bob")
	w.join(ann, "Ann")
	team := w.cid
	customers := w.second("Customers")
	w.addTo(customers, cy, "Cy")
	w.addTo(customers, bob, "Bob")
	first, second := team, customers
	if second.Compare(first) < 0 {
		first, second = second, first
	}
	both := "Bob: " + first.Short() + " " + second.Short()

	if got, want := contactLine(w.directory(w.owner, nil).Contacts()), []string{"Ann: " + team.Short(), both, "Cy: " + customers.Short()}; !slices.Equal(got, want) {
		t.Fatalf("owner's contacts %q, want %q", got, want)
	}
	if got, want := contactLine(w.directory(cy, nil).Contacts()), []string{"Bob: " + customers.Short(), "Olivia: " + customers.Short()}; !slices.Equal(got, want) {
		t.Fatalf("Cy's contacts %q, want %q", got, want)
	}
	if p := w.directory(w.owner, nil).Contacts()[0].PeerID; p != (testNames{}).PeerID(ann.Key()) {
		t.Fatalf("peer id %q", p)
	}

	w.write(ann, crdt.ZeroID, crdt.KindLeave, &crdt.LeaveBody{Time: w.now()})
	if got := contactLine(w.directory(ann, nil).Contacts()); len(got) != 0 {
		t.Fatalf("contacts of a member who left their only community: %q", got)
	}
	if got := contactLine(w.directory(w.owner, nil).Contacts()); slices.Contains(got, "Ann: "+team.Short()) {
		t.Fatalf("a member who left is still a contact: %q", got)
	}

	d := w.directory(bob, nil)
	if c, err := d.Community(customers); err != nil || c.AddedBy != "Olivia" {
		t.Fatalf("Bob in the community he was added to: %+v, %v", c, err)
	}
	if c, err := d.Community(team); err != nil || c.AddedBy != "" {
		t.Fatalf("Bob in the community he joined by a link: added by %q, %v", c.AddedBy, err)
	}
	if c, err := w.directory(w.owner, nil).Community(customers); err != nil || !c.CanAddMembers {
		t.Fatalf("the owner may not add members: %+v, %v", c, err)
	}
	if c, err := d.Community(customers); err != nil || c.CanAddMembers {
		t.Fatalf("a member may add members: %+v, %v", c, err)
	}
}
