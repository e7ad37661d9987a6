package reconcile

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// listsMessage is a message of n List ranges of per prefixes each, none
// of them prefixes of s's items, bounded so that s's items spread over
// them evenly, and a last Skip range up to infinity.
func listsMessage(s *Set, r *rand.Rand, n, per int) *Message {
	m := &Message{}
	for i := range n {
		rg := Range{Mode: ModeList}
		for range per {
			it := randomItem(r, 1)
			rg.Prefixes = append(rg.Prefixes, prefixOf(it.ID))
		}
		end := len(s.items) * (i + 1) / n
		rg.upper = between(s.items[end-2], s.items[end-1])
		m.Ranges = append(m.Ranges, rg)
	}
	m.Ranges = append(m.Ranges, Range{upper: bound{inf: true}})
	return m
}

// TestReplyFitsTheDecoder: a message of as many Lists as Decode accepts,
// every listed item unknown to the receiver and the receiver holding many
// items in every range, gets a reply within Decode's limits (echoing every
// prefix and sending every missing item would carry about 2×MaxIDs).
func TestReplyFitsTheDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const lists = MaxIDs / ListMax
	var items []Item
	for range lists * 16 {
		items = append(items, randomItem(r, 1<<20))
	}
	s := NewSet(items)
	m := listsMessage(s, r, lists, ListMax)
	in, err := Decode(m.Encode())
	if err != nil {
		t.Fatalf("the incoming message does not decode: %v", err)
	}
	reply, res, err := s.Process(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(reply.Encode()); err != nil {
		t.Fatalf("reply does not decode: %v", err)
	}
	if len(res.Have) == 0 {
		t.Fatal("the reply answered nothing")
	}
}

// TestFarApartSetsReconcileSlow: two sets with more differences than one
// message may carry (both ways, spread over the whole item space, as
// after a long partition, or a member of a large group the other side
// does not read) reconcile completely in one session, every message
// within Decode's limits, in no more round trips than a responder
// answers (wire.MaxTurns, 16).
func TestFarApartSetsReconcileSlow(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 items, run by make test's E2E|Slow suite; TestReplyFitsTheDecoder checks the limits in short runs")
	}
	r := rand.New(rand.NewPCG(13, 14))
	var common, onlyA, onlyB []Item
	for range 20_000 {
		common = append(common, randomItem(r, 1<<30))
	}
	for range 3 * MaxIDs / 2 {
		onlyA = append(onlyA, randomItem(r, 1<<30))
	}
	for range MaxIDs / 2 {
		onlyB = append(onlyB, randomItem(r, 1<<30))
	}
	a, b := NewSet(slices.Concat(common, onlyA)), NewSet(slices.Concat(common, onlyB))
	aRes, bRes, rounds, _ := session(t, a, b)
	if !slices.Equal(sorted(aRes.Need), sorted(onlyB)) {
		t.Fatalf("a needs %d ids, want %d", len(sorted(aRes.Need)), len(onlyB))
	}
	if !slices.Equal(sorted(bRes.Need), sorted(onlyA)) {
		t.Fatalf("b needs %d ids, want %d", len(sorted(bRes.Need)), len(onlyA))
	}
	if rounds > 16 {
		t.Fatalf("%d round trips, more than a responder answers", rounds)
	}
	t.Logf("%d round trips", rounds)
}
