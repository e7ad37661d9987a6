package crdt

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// FuzzApply signs arbitrary bodies of every kind, by members of every rank,
// in every log, on top of a random community, and adds them. It must never
// panic, every rejection must be typed, and an accepted op must be accepted
// by a fresh replay too (Load of all ops gives the same state hash).
func FuzzApply(f *testing.F) {
	w := randomWorld(f, rand.New(rand.NewPCG(3, 3)), 30, map[string]int{})
	for _, o := range w.all {
		f.Add(uint16(o.Kind), o.Body, uint8(0), uint8(1))
	}
	f.Add(uint16(KindRemove), []byte{0xa1, 0x01, 0x40}, uint8(2), uint8(0))
	f.Add(uint16(KindVote), []byte{0xa2, 0x01, 0x58, 0x20}, uint8(1), uint8(1))
	f.Add(uint16(KindSteps), mustBody(f, stepsOf("Hi {name}", "Watch", "Call")), uint8(0), uint8(0))
	f.Add(uint16(KindStep), mustBody(f, &StepBody{Step: stepID("Watch"), Done: true}), uint8(1), uint8(2))
	// Promotion edits setting and dropping a file, on a promotion of the
	// world when it has one.
	target := w.all[len(w.all)-1].ID()
	for _, o := range w.all {
		if o.Kind == KindPromo {
			target = o.ID()
			break
		}
	}
	ref := &FileRef{Name: "flyer.png", Size: 9, Mime: "image/png", Root: make([]byte, 32), Key: make([]byte, 32), Thumb: []byte{0x89, 'P', 'N', 'G'}}
	f.Add(uint16(KindPromoEdit), mustBody(f, &PromoEditBody{Target: target[:], Title: "Sale", Starts: 1, Ends: 2, Time: 1, File: ref}), uint8(0), uint8(1))
	f.Add(uint16(KindPromoEdit), mustBody(f, &PromoEditBody{Target: target[:], Title: "Sale", Starts: 1, Ends: 2, Time: 1, DropFile: true}), uint8(0), uint8(1))
	logs := append([]ID{ZeroID, w.cid()}, w.reps["olivia"].ContentLogs()...)
	f.Fuzz(func(t *testing.T, kind uint16, body []byte, authorPick, logPick uint8) {
		c, err := Load(Opened{Op: w.genesis}, clearOps(w.all))
		if err != nil {
			t.Fatal(err)
		}
		name := w.names[int(authorPick)%len(w.names)]
		log := logs[int(logPick)%len(logs)]
		if Kind(kind).IsContent() == log.IsZero() {
			return // Sign refuses the mismatch; nothing to learn
		}
		o, err := Sign(c.Draft(w.keys[name].pub(), log, Kind(kind), body), w.keys[name])
		if err != nil {
			return
		}
		err = c.Add(o, nil)
		if err != nil {
			for _, typed := range []error{ErrMalformed, ErrInvalid, ErrUnauthorized, ErrMissingDeps, ErrTooLarge, ErrNotCanonical, ErrSealed} {
				if errors.Is(err, typed) {
					return
				}
			}
			t.Fatalf("untyped rejection: %v", err)
		}
		fresh, err := Load(Opened{Op: w.genesis}, clearOps(append(w.opsOf(c), o)))
		if err != nil {
			t.Fatalf("fresh replay refused an accepted op: %v", err)
		}
		if fresh.Hash() != c.Hash() {
			t.Fatal("fresh replay disagrees with incremental add")
		}
		c2, _ := NewCommunity(w.genesis, nil)
		deliverAll(t, c2, append(w.opsOf(c), o))
		if c2.Hash() != c.Hash() {
			t.Fatal("replay op by op disagrees")
		}
	})
}
