package act

import (
	"errors"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity"
)

// fakeSaver records the names saved, or fails with err.
type fakeSaver struct {
	saved []string
	err   error
}

func (f *fakeSaver) SaveName(name string) error {
	if f.err != nil {
		return f.err
	}
	f.saved = append(f.saved, name)
	return nil
}

// memberOf is in the communities it lists and has left the others.
type memberOf map[crdt.ID]bool

func (m memberOf) StillMember(cid crdt.ID) error {
	if !m[cid] {
		return errors.New("left")
	}
	return nil
}

// heldList holds the communities it lists.
type heldList []crdt.ID

func (h heldList) Communities() []crdt.ID { return h }

var (
	_ NameSaver  = (*fakeSaver)(nil)
	_ Membership = memberOf{}
	_ Held       = heldList{}
)

func newProfile(t *testing.T, w *world, saver NameSaver, held Held, in Membership) *Profile {
	t.Helper()
	p, err := NewProfile(ProfileConfig{Name: "Ann", Saver: saver, Author: fakeAuthor{w.rep, member(0), &w.journal},
		Held: held, Member: in})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// nameIn is the name community cid shows for member(0).
func nameIn(t *testing.T, w *world, cid crdt.ID) string {
	t.Helper()
	var name string
	if err := w.rep.View(cid, func(c *crdt.Community) error { name = c.State().Names[member(0).Key()]; return nil }); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestSetName: a new name is checked, saved, kept, and written to each
// community the member is still in — and to none it has left.
func TestSetName(t *testing.T) {
	w := newWorld(t)
	left := crdt.ID{7}
	saver := &fakeSaver{}
	p := newProfile(t, w, saver, heldList{w.cid, left}, memberOf{w.cid: true})
	if p.Name() != "Ann" {
		t.Fatalf("Name at start = %q", p.Name())
	}
	if err := p.SetName(t.Context(), "  Annie \n"); err != nil {
		t.Fatal(err)
	}
	if p.Name() != "Annie" || !slices.Equal(saver.saved, []string{"Annie"}) {
		t.Errorf("Name = %q, saved %q; want Annie", p.Name(), saver.saved)
	}
	if !slices.Equal(w.journal, []string{crdt.KindProfile.String()}) {
		t.Errorf("writes = %q, want one profile op (none to the community left)", w.journal)
	}
	if got := nameIn(t, w, w.cid); got != "Annie" {
		t.Errorf("the community shows %q, want Annie", got)
	}
}

// TestSetNameRefused: a bad name, or one that cannot be saved, changes
// nothing and writes nothing.
func TestSetNameRefused(t *testing.T) {
	for _, tc := range []struct {
		name, set string
		saveErr   error
		want      error
	}{
		{"empty", "   ", nil, identity.ErrBadName},
		{"control character", "A\x07nn", nil, identity.ErrBadName},
		{"unsaved", "Annie", errors.New("disk full"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			saver := &fakeSaver{err: tc.saveErr}
			p := newProfile(t, w, saver, heldList{w.cid}, memberOf{w.cid: true})
			err := p.SetName(t.Context(), tc.set)
			switch {
			case err == nil:
				t.Fatal("SetName succeeded")
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("err = %v, want %v", err, tc.want)
			case tc.saveErr != nil && !errors.Is(err, tc.saveErr):
				t.Errorf("err = %v, want %v", err, tc.saveErr)
			}
			if p.Name() != "Ann" || len(saver.saved) != 0 || len(w.journal) != 0 {
				t.Errorf("after refusal: name %q, saved %q, writes %q", p.Name(), saver.saved, w.journal)
			}
		})
	}
}
