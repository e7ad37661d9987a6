package e2ee

import (
	"bytes"
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/cborshape"
)

// TestKeyringDecodeLimitsFollowItsShape: the keyring decoder allows
// exactly the nesting, maps and arrays a saved keyring has.
func TestKeyringDecodeLimitsFollowItsShape(t *testing.T) {
	caps := map[string]int{"stored.Prekeys": MaxPrekeys, "stored.Epochs": MaxKeyringEpochs}
	s := cborshape.Of(stored{})
	longest := 0
	for _, a := range s.Arrays {
		n, ok := caps[a]
		if !ok {
			t.Errorf("array field %s has no bound", a)
		}
		longest = max(longest, n)
	}
	want := crdt.DecodeLimits{
		MaxNested: max(crdt.MinDecodeNested, s.Depth),
		MaxArray:  max(crdt.MinDecodeArray, longest),
		MaxMap:    max(crdt.MinDecodeMap, s.MaxMap),
	}
	if got := keyringDecoder.Limits(); got != want {
		t.Fatalf("keyring decoder limits %+v, want %+v", got, want)
	}
}

// TestKeyringWithManyEpochsLoads: a keyring holding more epochs than an
// op may list arrays (crdt's 1,024) saves and loads whole. (It was once
// decoded with crdt's limits, so a node that had gathered that many could
// no longer start.)
func TestKeyringWithManyEpochsLoads(t *testing.T) {
	k := NewKeyring()
	p, err := NewPrekey(X25519, 1)
	if err != nil {
		t.Fatal(err)
	}
	k.AddPrekey(p)
	const n = 5000
	for i := range n {
		id, secret := NewEpoch()
		k.AddEpoch(EpochKey{ID: id, Community: crdt.ID{byte(i)}, Log: crdt.ID{byte(i >> 8)}, Secret: secret})
	}
	raw, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadKeyring(raw)
	if err != nil {
		t.Fatalf("load a keyring of %d epochs: %v", n, err)
	}
	again, err := back.Marshal()
	if err != nil || !bytes.Equal(again, raw) {
		t.Fatalf("keyring changed in a round trip: %v", err)
	}
}

// TestLargestSealableBodiesSealAndOpen: the largest bodies of sealed kinds
// stay within crdt.MaxBodySize once sealed, and open back.
func TestLargestSealableBodiesSealAndOpen(t *testing.T) {
	var mentions [][]byte
	for i := range crdt.MaxMentions {
		mentions = append(mentions, bytes.Repeat([]byte{byte(i + 1)}, 32))
	}
	var seen []crdt.SeenLog
	for g := range crdt.MaxSeenHeads / crdt.MaxParents {
		sl := crdt.SeenLog{Group: bytes.Repeat([]byte{byte(g + 1)}, 32)}
		for h := range crdt.MaxParents {
			sl.Heads = append(sl.Heads, bytes.Repeat([]byte{byte(h + 1)}, 32))
		}
		seen = append(seen, sl)
	}
	member := bytes.Repeat([]byte{9}, 32)
	for name, tc := range map[string]struct {
		kind crdt.Kind
		body any
	}{
		"message": {crdt.KindMessage, &crdt.MessageBody{Text: string(bytes.Repeat([]byte("€"), crdt.MaxTextLen/3)), Time: 1, ReplyTo: member, Mentions: mentions}},
		"remove":  {crdt.KindRemove, &crdt.RemoveBody{Member: member, Seen: seen, Time: 1}},
	} {
		plain, err := crdt.EncodeAny(tc.body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o := crdt.Op{Community: community, Author: newSigner(1).key(), Kind: tc.kind, Height: 2, Parents: []crdt.ID{{7}}, Body: plain}
		if tc.kind.IsContent() {
			o.Log, o.Deps = community, []crdt.ID{community}
		}
		id, secret := NewEpoch()
		a, b := NewKeyring(), NewKeyring()
		a.AddEpoch(EpochKey{ID: id, Community: community, Log: o.Log, Secret: secret})
		b.AddEpoch(EpochKey{ID: id, Community: community, Log: o.Log, Secret: secret})
		if err := a.Seal(&o, id); err != nil {
			t.Fatalf("%s: seal: %v", name, err)
		}
		if len(o.Body) > crdt.MaxBodySize {
			t.Fatalf("%s: sealed body is %d bytes, over MaxBodySize", name, len(o.Body))
		}
		op, err := crdt.Sign(o, newSigner(1))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := crdt.DecodeOp(op.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.Open(back)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: open: %v", name, err)
		}
	}
}

// FuzzOpen: a sealed body, in an op whose envelope is fixed, opens only
// if it is exactly the body that was sealed; anything else fails with a
// typed error and never panics.
func FuzzOpen(f *testing.F) {
	id, secret := NewEpoch()
	sender := NewKeyring()
	sender.AddEpoch(EpochKey{ID: id, Community: community, Log: community, Secret: secret})
	alice := newSigner(1)
	var good [][]byte
	for i, text := range []string{"welcome", "second"} {
		body, _ := crdt.EncodeBody(&crdt.MessageBody{Text: text, Time: 1})
		o := crdt.Op{Community: community, Log: community, Author: alice.key(), Kind: crdt.KindMessage, Height: 2, Parents: []crdt.ID{{7}}, Body: body, Deps: []crdt.ID{community}}
		if err := sender.Seal(&o, id); err != nil {
			f.Fatal(err)
		}
		good = append(good, o.Body)
		f.Add(o.Body, uint8(i))
	}
	f.Add([]byte{0x83, 0x50}, uint8(0))
	f.Add(append([]byte{0x83, 0x50}, id[:]...), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, skip uint8) {
		k := NewKeyring()
		k.AddEpoch(EpochKey{ID: id, Community: community, Log: community, Secret: secret})
		op := &crdt.Op{Version: crdt.Version, Community: community, Log: community, Author: alice.key(), Kind: crdt.KindMessage, Height: 2, Parents: []crdt.ID{{7}}, Body: body, Deps: []crdt.ID{community}}
		plain, err := k.Open(op)
		if err != nil {
			if !errors.Is(err, ErrNoKey) && !errors.Is(err, ErrReplay) && !errors.Is(err, ErrDecrypt) && !errors.Is(err, crdt.ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(body, good[0]) && !bytes.Equal(body, good[1]) {
			t.Fatalf("a body that was never sealed opened to %q", plain)
		}
		if _, err := k.Open(op); !errors.Is(err, ErrReplay) {
			t.Fatalf("the same body opened twice: %v", err)
		}
	})
}

// FuzzOpenInvite: sealed invite details open only as sealed.
func FuzzOpenInvite(f *testing.F) {
	seed := bytes.Repeat([]byte{4}, 32)
	details := []byte{0xa1, 0x01, 0x64, 'G', 'l', 'o', 'w'}
	good := SealInvite(seed, details)
	f.Add(good)
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, sealed []byte) {
		plain, err := OpenInvite(seed, sealed)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(sealed, good) || !bytes.Equal(plain, details) {
			t.Fatalf("details that were never sealed opened to %x", plain)
		}
	})
}

// FuzzLoadKeyring: any saved keyring either fails to load or loads to one
// that saves back to the same bytes.
func FuzzLoadKeyring(f *testing.F) {
	k := NewKeyring()
	p, _ := NewPrekey(X25519, 1)
	k.AddPrekey(p)
	id, secret := NewEpoch()
	k.AddEpoch(EpochKey{ID: id, Community: community, Log: community, Secret: secret})
	raw, _ := k.Marshal()
	f.Add(raw)
	empty, _ := NewKeyring().Marshal()
	f.Add(empty)
	f.Add([]byte{0xa1, 0x02, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := LoadKeyring(data)
		if err != nil {
			return
		}
		raw, err := k.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadKeyring(raw)
		if err != nil {
			t.Fatalf("a loaded keyring does not load again: %v", err)
		}
		if raw2, _ := again.Marshal(); !bytes.Equal(raw, raw2) {
			t.Fatal("a keyring changes over a save and load")
		}
	})
}
