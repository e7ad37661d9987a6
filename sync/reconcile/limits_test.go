package reconcile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// largestMessage builds a message as large as Decode allows: MaxRanges
// ranges with whole-id bounds, key deltas as long as keys leave room for,
// and MaxIDs items with the longest keys, in Diffs.
func largestMessage(ranges, ids int) *Message {
	m := &Message{}
	step := uint64(1<<64-1) / uint64(ranges)
	for i := range ranges {
		r := Range{Mode: ModeDiff}
		if i == ranges-1 {
			r.upper = bound{inf: true}
		} else {
			prefix := bytes.Repeat([]byte{0xff}, 32)
			r.upper = bound{key: uint64(i+1) * step, prefix: prefix}
		}
		n := ids / ranges
		if i == ranges-1 {
			n += ids % ranges
		}
		for j := range n {
			r.IDs = append(r.IDs, Item{Key: 1<<64 - 1, ID: [32]byte{byte(i), byte(j)}})
		}
		m.Ranges = append(m.Ranges, r)
	}
	return m
}

// TestLargestMessageRoundTrips: a message at Decode's limits encodes
// within MaxMessageSize and decodes back equal; one more range or id is
// refused.
func TestLargestMessageRoundTrips(t *testing.T) {
	m := largestMessage(MaxRanges, MaxIDs)
	raw := m.Encode()
	if len(raw) > MaxMessageSize {
		t.Fatalf("largest message is %d bytes, over MaxMessageSize %d", len(raw), MaxMessageSize)
	}
	t.Logf("largest message %d bytes, MaxMessageSize %d", len(raw), MaxMessageSize)
	back, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatal("the largest message changed in a round trip")
	}
	for name, over := range map[string]*Message{
		"a range more": largestMessage(MaxRanges+1, 0),
		"an id more":   largestMessage(MaxRanges, MaxIDs+1),
	} {
		if _, err := Decode(over.Encode()); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode = %v, want ErrMalformed", name, err)
		}
	}
}

// TestFirstMessageFitsItsBound: whatever set a session starts from, its
// first message is within MaxFirstMessageSize.
func TestFirstMessageFitsItsBound(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, n := range []int{0, 1, ListMax, ListMax + 1, 10_000} {
		var items []Item
		for range n {
			it := randomItem(r, 1<<62)
			it.Key += 1 << 62 // the longest keys ranks use and more
			items = append(items, it)
		}
		if got := len(NewSet(items).Initiate().Encode()); got > MaxFirstMessageSize {
			t.Errorf("first message over %d items is %d bytes, over MaxFirstMessageSize %d", n, got, MaxFirstMessageSize)
		}
	}
}

// FuzzDecode: any bytes either fail to decode with ErrMalformed or decode
// to a message whose encoding decodes to the same message again.
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	var items []Item
	for range 200 {
		items = append(items, randomItem(r, 1000))
	}
	s := NewSet(items)
	f.Add(s.Initiate().Encode())
	f.Add(NewSet(items[:10]).Initiate().Encode())
	f.Add(largestMessage(4, 9).Encode())
	f.Add([]byte{1, 0, 0, ModeSkip})
	f.Add([]byte{1, 0, 0, ModeIDs, 1, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		raw := m.Encode()
		if len(raw) > MaxMessageSize {
			t.Fatalf("decoded message encodes to %d bytes, over MaxMessageSize", len(raw))
		}
		again, err := Decode(raw)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if !bytes.Equal(again.Encode(), raw) {
			t.Fatal("encoding is not stable over a round trip")
		}
	})
}
