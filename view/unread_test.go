package view

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// TestUnreadCountedIncrementally: the unread counts a Views keeps and
// extends op by op equal a full recount by fresh Views after every step of
// random sequences: messages by the member and by others, mentions of the
// member, deletions, messages written concurrently (which sort into the
// middle of the group), removals (which hide what the removed said) and
// promotions and demotions (which reorder concurrent messages).
func TestUnreadCountedIncrementally(t *testing.T) {
	ctx := context.Background()
	seeds, steps := 12, 60
	if testing.Short() {
		seeds = 5
	}
	var concurrent, removals, hidden int
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 3))
		w := newWorld(t, "Glow Team")
		ben := member(1)
		active := []signer{w.owner}
		for i := 1; i < 6; i++ {
			w.join(member(i), fmt.Sprintf("Distributor %d", i))
			active = append(active, member(i))
		}
		gid := w.general
		inc := w.views(ben)
		admins := map[crdt.PublicKey]bool{}
		var posts []*crdt.Op // the group's messages, for deletions and old parents
		ingest := func(o crdt.Op, s signer) *crdt.Op {
			t.Helper()
			op, err := crdt.Sign(o, s)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := w.rep.Ingest(ctx, op); err != nil || res.Outcome != replica.Accepted {
				t.Fatalf("seed %d: ingest %s: %+v %v", seed, o.Kind, res, err)
			}
			return op
		}
		for step := range steps {
			s := active[rng.IntN(len(active))]
			switch r := rng.IntN(20); {
			case r < 10: // a message at the heads, mentioning Ben or not
				var mentions []signer
				if rng.IntN(3) == 0 {
					mentions = append(mentions, ben)
				}
				mb := &crdt.MessageBody{Text: fmt.Sprintf("step %d", step), Time: w.now()}
				for _, m := range mentions {
					mb.Mentions = append(mb.Mentions, []byte(m.PublicKey()))
				}
				posts = append(posts, w.op(s, gid, crdt.KindMessage, mb))
			case r < 14 && len(posts) > 2: // a message written concurrently, on an older post
				p := posts[rng.IntN(len(posts)-1)]
				deps, err := w.rep.Heads(w.cid, crdt.ZeroID)
				if err != nil {
					t.Fatal(err)
				}
				mb := &crdt.MessageBody{Text: fmt.Sprintf("late %d", step), Time: w.now()}
				if rng.IntN(2) == 0 {
					mb.Mentions = [][]byte{ben.PublicKey()}
				}
				posts = append(posts, ingest(crdt.Op{Community: w.cid, Log: gid, Kind: crdt.KindMessage, Deps: deps,
					Parents: []crdt.ID{p.ID()}, Height: p.Height + 1, Body: body(t, mb)}, s))
				concurrent++
			case r < 16 && len(posts) > 0: // an author deletes one of their messages
				p := posts[rng.IntN(len(posts))]
				if author := p.Author; author == w.owner.Key() || author == ben.Key() || rng.IntN(2) == 0 {
					for _, a := range active {
						if a.Key() == author {
							w.write(a, gid, crdt.KindDelete, &crdt.DeleteBody{Target: p.ID().Bytes(), Time: w.now()})
						}
					}
				}
			case r < 18 && len(active) > 3: // the owner removes someone (not Ben): their messages are hidden
				i := 2 + rng.IntN(len(active)-2)
				w.write(w.owner, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: []byte(active[i].PublicKey()), Time: w.now()})
				active = append(active[:i], active[i+1:]...)
				removals++
			case len(active) > 2: // a promotion or demotion: ranks order concurrent messages
				m := active[2+rng.IntN(len(active)-2)]
				role := crdt.RoleAdmin
				if admins[m.Key()] {
					role = crdt.RoleMember
				}
				admins[m.Key()] = role == crdt.RoleAdmin
				w.write(w.owner, crdt.ZeroID, crdt.KindRole, &crdt.RoleBody{Member: []byte(m.PublicKey()), Role: role})
			}
			if rng.IntN(8) == 0 {
				if err := inc.MarkRead(ctx, w.cid, gid); err != nil {
					t.Fatal(err)
				}
			}
			var kept, full tally
			err := w.rep.View(w.cid, func(c *crdt.Community) error {
				kept = inc.counts(c, gid)
				full = w.views(ben).counts(c, gid)
				for _, e := range c.Entries(gid) {
					if e.Hidden != nil {
						hidden++
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(kept, full) {
				t.Fatalf("seed %d, step %d: counts kept %+v, recounted %+v", seed, step, kept, full)
			}
		}
	}
	t.Logf("%d concurrent messages, %d removals, %d hidden entries seen", concurrent, removals, hidden)
	if concurrent == 0 || removals == 0 || hidden == 0 {
		t.Fatalf("the sequences lack a case: %d concurrent messages, %d removals, %d hidden entries seen", concurrent, removals, hidden)
	}
}
