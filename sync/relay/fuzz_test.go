package relay

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// FuzzIngest offers arbitrary bytes as an op of a community the relay
// keeps: it never panics, and every refusal has one of the reasons.
func FuzzIngest(f *testing.F) {
	tm := newTeam(f, true)
	rk := tm.relayKey.pub()
	cid := tm.olivia.cid
	var seeds [][]byte
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { seeds = append(seeds, o.Bytes()) })
		return nil
	})
	seeds = sortedControlFirst(f, seeds)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := openRelay(t, rk, store.NewMemory(), 0)
		if errs, err := r.Ingest(t.Context(), cid, seeds); err != nil || firstErr(errs) != nil {
			t.Fatal(err, firstErr(errs))
		}
		errs, err := r.Ingest(t.Context(), cid, [][]byte{raw})
		if err != nil {
			t.Fatal(err)
		}
		if e := errs[0]; e != nil && !errors.Is(e, ErrForged) && !errors.Is(e, ErrRouting) && !errors.Is(e, ErrBrokenLink) &&
			!errors.Is(e, ErrUnknownAuthor) && !errors.Is(e, ErrNotRegistered) && !errors.Is(e, ErrQuota) {
			t.Fatalf("refusal without a reason: %v", e)
		}
	})
}

// FuzzAnswerJoin offers an arbitrary invite, join and lookup to a relay
// that keeps a community with a keyed invite: it never panics, answers a
// lookup only with the invite it holds, and never answers Relayed without
// having stored the join it was given.
func FuzzAnswerJoin(f *testing.F) {
	tm := newTeam(f, true)
	rk, cid := tm.relayKey.pub(), tm.olivia.cid
	keyInvite(tm.olivia, tm.invite, false)
	var seeds [][]byte
	_ = tm.olivia.rep.View(cid, func(c *crdt.Community) error {
		c.EachOp(crdt.ZeroID, func(o *crdt.Op) { seeds = append(seeds, o.Bytes()) })
		return nil
	})
	seeds = sortedControlFirst(f, seeds)
	dev := newKey(4)
	f.Add(tm.invite.Bytes(), joinOp(f, cid, tm.invite, tm.invitePr, dev).Bytes(), []byte(nil), false)
	f.Add([]byte(nil), []byte(nil), []byte(tm.invitePr.Public().(ed25519.PublicKey)), false)
	f.Add(tm.invite.Bytes(), []byte{0x83, 1}, []byte(nil), true)
	f.Fuzz(func(t *testing.T, inv, join, lookup []byte, stranger bool) {
		r := openRelay(t, rk, store.NewMemory(), 0)
		if errs, err := r.Ingest(t.Context(), cid, seeds); err != nil || firstErr(errs) != nil {
			t.Fatal(err, firstErr(errs))
		}
		from := dev.pub()
		if stranger {
			from = newKey(66).pub()
		}
		resp := Joins{Relay: r, Now: func() time.Time { return time.Unix(1000, 0) }}.AnswerJoin(t.Context(), from, &wire.JoinRequest{Invite: inv, Join: join, Lookup: lookup})
		if len(resp.Invite) > 0 && !bytes.Equal(resp.Invite, tm.invite.Bytes()) {
			t.Fatal("a lookup answered with another op than the invite")
		}
		if resp.Relayed {
			op, err := crdt.DecodeOp(join)
			if err != nil || !r.Known(cid, op.Author) || op.Author != from {
				t.Fatalf("answered Relayed for a join it did not take: %v", err)
			}
		}
	})
}
