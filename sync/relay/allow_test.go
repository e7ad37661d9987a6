package relay

import (
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// controlOps returns m's control log, parents first.
func controlOps(t *testing.T, m *member) [][]byte {
	t.Helper()
	var raws [][]byte
	if err := m.rep.View(m.cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { raws = append(raws, o.Bytes()) })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return sortedControlFirst(t, raws)
}

// A relay run with --allow takes only communities an allowed admin
// registered it with: a stranger's registration counts for nothing.
func TestAllowRefusesStrangersRegistrations(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true) // registered by Olivia
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	ops := controlOps(t, tm.olivia)

	st := store.NewMemory()
	r, err := Open(ctx, Config{Self: rk, Store: st, Allow: []crdt.PublicKey{newKey(3).pub()}})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := r.Ingest(ctx, cid, ops)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if !errors.Is(e, ErrNotRegistered) || Reason(e) != "not_registered" {
			t.Fatalf("op %d of a community registered by an admin not allowed: %v (%s)", i, e, Reason(e))
		}
	}
	if r.holds(cid) || len(r.Communities()) != 0 {
		t.Fatalf("the relay keeps %v", r.Communities())
	}
	if s := r.Stats(); s.Bytes != 0 || s.Stored != 0 {
		t.Fatalf("the relay stored %d ops, %d bytes of a stranger's community", s.Stored, s.Bytes)
	}

	// The same community, with Olivia allowed: taken.
	st2 := store.NewMemory()
	r2, err := Open(ctx, Config{Self: rk, Store: st2, Allow: []crdt.PublicKey{newKey(3).pub(), tm.olivia.k.pub()}})
	if err != nil {
		t.Fatal(err)
	}
	errs, err = r2.Ingest(ctx, cid, ops)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("op %d of an allowed admin's community: %v", i, e)
		}
	}
	if !r2.Keeps(cid) {
		t.Fatal("the relay does not keep the allowed admin's community")
	}

	var posts [][]byte
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(tm.general, func(o *crdt.Op) { posts = append(posts, o.Bytes()) })
		return nil
	})
	if errs, _ := r2.Ingest(ctx, cid, posts); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("a post in the allowed admin's community: %v", errs)
	}

	// Restarted without Olivia on the list: the community is as if taken
	// off (its control log kept, no more content taken).
	r3, err := Open(ctx, Config{Self: rk, Store: st2, Allow: []crdt.PublicKey{newKey(3).pub()}})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Keeps(cid) {
		t.Fatal("the relay still keeps a community whose admin is no longer allowed")
	}
	late := tm.olivia.author(tm.general, crdt.KindMessage, &crdt.MessageBody{Text: "late", Time: 6})
	if errs, _ := r3.Ingest(ctx, cid, [][]byte{late.Bytes()}); !errors.Is(errs[0], ErrNotRegistered) {
		t.Fatalf("a post after the admin was taken off --allow: %v", errs[0])
	}
}
