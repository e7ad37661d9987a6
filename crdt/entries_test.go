package crdt

import (
	"slices"
	"testing"
)

// TestEntryIndexCollisions holds entryIndex to a map by whole id when ids
// share their first 8 bytes, as a peer grinding ids could make them.
func TestEntryIndexCollisions(t *testing.T) {
	var x entryIndex
	want := map[ID]*Entry{}
	for i := range 40 {
		var id ID
		id[0] = byte(i % 3) // three prefixes, many ids each
		id[31] = byte(i)
		e := &Entry{Op: &Op{id: id}}
		x.put(e)
		x.put(&Entry{Op: &Op{id: id}}) // a second put of the same op is a no-op
		want[id] = e
	}
	if x.len() != len(want) {
		t.Fatalf("len %d, want %d", x.len(), len(want))
	}
	for id, e := range want {
		if got := x.get(id); got != e {
			t.Fatalf("get %x: %p, want %p", id, got, e)
		}
	}
	var missing ID
	missing[31] = 200 // a prefix in use, an id not
	if x.get(missing) != nil {
		t.Fatal("get of an id not put found an entry")
	}
	var seen []ID
	for e := range x.all() {
		seen = append(seen, e.Op.ID())
	}
	slices.SortFunc(seen, ID.Compare)
	if len(seen) != len(want) || len(slices.Compact(seen)) != len(want) {
		t.Fatalf("all yields %d distinct of %d entries", len(slices.Compact(seen)), len(want))
	}
}

// TestHolds: Holds finds an accepted op in its own log, control or
// content, as Has does, and nothing that was not accepted.
func TestHolds(t *testing.T) {
	w := newWorld(t, "olivia")
	g := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	m := w.do("olivia", g.ID(), KindMessage, &MessageBody{Text: "Welcome!", Time: 5})
	c := w.reps["olivia"]
	for _, o := range []*Op{w.genesis, g, m} {
		if !c.Holds(o) || !c.Has(o.ID()) {
			t.Errorf("%s: Holds %v, Has %v; want both", o.Kind, c.Holds(o), c.Has(o.ID()))
		}
	}
	other := w.copyOf("olivia")
	later := w.do("olivia", g.ID(), KindMessage, &MessageBody{Text: "Monday call at 8", Time: 6})
	if other.Holds(later) || other.Has(later.ID()) {
		t.Error("a replica holds a message it never accepted")
	}
}
