package reconcile

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// session runs a whole reconciliation between a (the initiator) and b
// through the wire encoding, and returns what each learned, the round trips
// (one message each way) and the bytes sent both ways.
func session(t testing.TB, a, b *Set) (aRes, bRes Result, rounds, sent int) {
	t.Helper()
	msg := a.Initiate()
	sides := []*Set{b, a}
	results := []*Result{&bRes, &aRes}
	for turn := 0; ; turn++ {
		if turn > 40 {
			t.Fatal("reconciliation does not end")
		}
		raw := msg.Encode()
		sent += len(raw)
		if turn%2 == 0 {
			rounds++
		}
		dec, err := Decode(raw)
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		reply, res, err := sides[turn%2].Process(dec)
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		r := results[turn%2]
		r.Need = append(r.Need, res.Need...)
		r.Have = append(r.Have, res.Have...)
		r.Truncated = r.Truncated || res.Truncated
		if reply.Done() {
			return aRes, bRes, rounds, sent
		}
		msg = reply
	}
}

func randomItem(r *rand.Rand, maxKey uint64) Item {
	var it Item
	for i := range it.ID {
		it.ID[i] = byte(r.UintN(256))
	}
	it.Key = r.Uint64N(maxKey) + 1
	return it
}

// difference returns the items in x and not in y, sorted.
func difference(x, y []Item) []Item {
	in := map[crdt.ID]bool{}
	for _, it := range y {
		in[it.ID] = true
	}
	var out []Item
	for _, it := range x {
		if !in[it.ID] {
			out = append(out, it)
		}
	}
	return sorted(out)
}

func sorted(items []Item) []Item {
	out := slices.Clone(items)
	Sort(out)
	return slices.Compact(out)
}

// TestReconcileFindsTheDifference: random sets of random sizes and overlaps
// (including empty ones, one side a subset of the other, and keys shared by
// many items) end with each side knowing exactly what it lacks and what the
// other lacks.
func TestReconcileFindsTheDifference(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		maxKey := uint64(1 + r.IntN(3000))
		var common, onlyA, onlyB []Item
		for range r.IntN(5000) {
			common = append(common, randomItem(r, maxKey))
		}
		for range r.IntN([]int{1, 5, 100, 2000}[seed%4]) {
			onlyA = append(onlyA, randomItem(r, maxKey))
		}
		if seed%3 != 0 {
			for range r.IntN(300) {
				onlyB = append(onlyB, randomItem(r, maxKey))
			}
		}
		all := func(parts ...[]Item) []Item { return slices.Concat(parts...) }
		a, b := NewSet(all(common, onlyA)), NewSet(all(common, onlyB))
		aRes, bRes, rounds, _ := session(t, a, b)
		wantANeed, wantBNeed := difference(onlyB, common), difference(onlyA, common)
		if !slices.Equal(sorted(aRes.Need), wantANeed) {
			t.Fatalf("seed %d: a needs %d ids, want %d", seed, len(aRes.Need), len(wantANeed))
		}
		if !slices.Equal(sorted(bRes.Need), sorted(wantBNeed)) {
			t.Fatalf("seed %d: b needs %d ids, want %d", seed, len(bRes.Need), len(wantBNeed))
		}
		if !slices.Equal(sorted(aRes.Have), sorted(bRes.Need)) || !slices.Equal(sorted(bRes.Have), sorted(aRes.Need)) {
			t.Fatalf("seed %d: what one side has for the other does not match what the other needs", seed)
		}
		if rounds > 4 {
			t.Fatalf("seed %d: %d round trips for %d+%d items", seed, rounds, a.Len(), b.Len())
		}
	}
}

func TestReconcileEqualSetsInOneRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var items []Item
	for range 100_000 {
		items = append(items, randomItem(r, 50_000))
	}
	a, b := NewSet(slices.Clone(items)), NewSet(items)
	aRes, bRes, rounds, sent := session(t, a, b)
	if len(aRes.Need)+len(bRes.Need) != 0 || rounds != 1 {
		t.Fatalf("equal sets: needs %d/%d after %d round trips", len(aRes.Need), len(bRes.Need), rounds)
	}
	if sent > 2000 {
		t.Fatalf("equal sets cost %d bytes", sent)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := (&Message{Ranges: []Range{{upper: bound{key: 5, prefix: []byte{1}}, Mode: ModeFingerprint}, {upper: bound{inf: true}}}}).Encode()
	if _, err := Decode(good); err != nil {
		t.Fatalf("good message: %v", err)
	}
	cases := map[string][]byte{
		"empty":               nil,
		"wrong version":       {2, 0, 0, 0},
		"no ranges":           {1},
		"truncated":           good[:len(good)-1],
		"no infinite bound":   good[:len(good)-3],
		"after infinity":      append(append([]byte{}, good...), 0, 0, 0),
		"decreasing bounds":   {1, 6, 1, 5, 0, 1, 1, 3, 0, 0, 0, 0},
		"equal bounds":        {1, 6, 0, 0, 1, 0, 0, 0, 0, 0},
		"unknown mode":        {1, 0, 0, 9},
		"long prefix":         append([]byte{1, 2, 33}, make([]byte, 40)...),
		"huge list":           {1, 0, 0, ModeList, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"list past the end":   {1, 0, 0, ModeList, 3, 1, 2, 3},
		"bad varint":          {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"key without bound":   {1, 0, 3, 1, 2, 3, 0},
		"overflowing key":     {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0},
		"fingerprint cut off": {1, 0, 0, ModeFingerprint, 1, 2},
	}
	for name, data := range cases {
		if _, err := Decode(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode = %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzProcess: any bytes either fail to decode or are processed without a
// panic, and a reply always encodes to something that decodes.
func FuzzProcess(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	var items []Item
	for range 500 {
		items = append(items, randomItem(r, 100))
	}
	s := NewSet(items)
	f.Add(s.Initiate().Encode())
	f.Add([]byte{1, 0, 0, ModeList, 0})
	f.Add([]byte{1, 5, 1, 7, ModeFingerprint, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, ModeSkip})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		reply, _, err := s.Process(m)
		if err != nil {
			return
		}
		if _, err := Decode(reply.Encode()); err != nil {
			t.Fatalf("reply does not decode: %v", err)
		}
	})
}
