package e2ee

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// numbered is an epoch id that spells i.
func numbered(i int) (id crdt.EpochID) {
	binary.BigEndian.PutUint64(id[:], uint64(i))
	return id
}

// holds reports which of the numbered epochs from..to k holds.
func holds(k *Keyring, from, to int) (held []int) {
	for i := from; i <= to; i++ {
		if k.Has(numbered(i)) {
			held = append(held, i)
		}
	}
	return held
}

// TestKeyringKeepsWithinItsLimit: a keyring never holds more epochs than
// its loader accepts. Past the limit the oldest added goes first, but
// never the last epoch of a log, and the order survives a save and load.
// (A node once saved every epoch it was given, and one with more than
// MaxKeyringEpochs could not start again; the limit is lowered here, and
// TestKeyringLimitIsTheLoaders ties it to the loader's.)
func TestKeyringKeepsWithinItsLimit(t *testing.T) {
	logA, logB, logC := crdt.ID{0xa}, crdt.ID{0xb}, crdt.ID{0xc}
	secret := make([]byte, SecretSize)
	add := func(k *Keyring, i int, log crdt.ID) {
		k.AddEpoch(EpochKey{ID: numbered(i), Community: community, Log: log, Secret: secret})
	}
	k := NewKeyring()
	k.limit = 8
	add(k, 100, logB) // B's only epoch, the oldest of all
	for i := 1; i <= 10; i++ {
		add(k, i, logA)
	}
	add(k, 200, logC)
	if got := len(k.Epochs(community, logA)) + len(k.Epochs(community, logB)) + len(k.Epochs(community, logC)); got != 8 {
		t.Fatalf("holds %d epochs, limit 8", got)
	}
	if !k.Has(numbered(100)) || !k.Has(numbered(200)) {
		t.Fatal("the last epoch of a log was forgotten")
	}
	if got, want := holds(k, 1, 10), []int{5, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Fatalf("log A keeps %v, want the newest %v", got, want)
	}

	// A forgotten epoch given again is the newest.
	k.Forget(numbered(5))
	add(k, 5, logA)
	add(k, 11, logA)
	if got, want := holds(k, 1, 11), []int{5, 7, 8, 9, 10, 11}; !slices.Equal(got, want) {
		t.Fatalf("log A keeps %v, want %v", got, want)
	}

	raw, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	back.limit = 8
	add(back, 12, logA)
	if got, want := holds(back, 1, 12), []int{5, 8, 9, 10, 11, 12}; !slices.Equal(got, want) {
		t.Fatalf("after a restart log A keeps %v, want %v (the order added lost)", got, want)
	}

	// An epoch this node sealed under stays (given again, its sending
	// counter would start over); when nothing else may go, a new epoch
	// is refused.
	k = NewKeyring()
	k.limit = 3
	s := newSigner(1)
	add(k, 1, community)
	add(k, 2, community)
	sealed(t, k, s, numbered(1), 1, "hello")
	add(k, 3, logB)
	add(k, 4, logA)
	if got, want := holds(k, 1, 4), []int{1, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("keeps %v, want %v", got, want)
	}
	if k.AddEpoch(EpochKey{ID: numbered(5), Community: community, Log: logC, Secret: secret}) {
		t.Fatal("a full keyring took an epoch it had no room for")
	}
	if got, want := holds(k, 1, 5), []int{1, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("keeps %v, want %v", got, want)
	}
}
