package e2ee

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

type signer struct{ priv ed25519.PrivateKey }

func newSigner(seed byte) signer {
	return signer{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))}
}
func (s signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }
func (s signer) Sign(m []byte) []byte         { return ed25519.Sign(s.priv, m) }
func (s signer) key() (k crdt.PublicKey)      { copy(k[:], s.PublicKey()); return k }

var community = crdt.ID{1}

// sealed writes a message op by s sealed under epoch id.
func sealed(t *testing.T, k *Keyring, s signer, id crdt.EpochID, height uint64, text string) *crdt.Op {
	t.Helper()
	body, err := crdt.EncodeBody(&crdt.MessageBody{Text: text, Time: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := crdt.Op{Community: community, Log: community, Author: s.key(), Kind: crdt.KindMessage, Height: height, Body: body, Deps: []crdt.ID{community}}
	if height > 1 {
		o.Parents = []crdt.ID{{byte(height)}}
	}
	if err := k.Seal(&o, id); err != nil {
		t.Fatal(err)
	}
	op, err := crdt.Sign(o, s)
	if err != nil {
		t.Fatal(err)
	}
	// What a peer receives: the encoding alone.
	back, err := crdt.DecodeOp(op.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func pair(t *testing.T) (*Keyring, *Keyring, crdt.EpochID) {
	id, secret := NewEpoch()
	a, b := NewKeyring(), NewKeyring()
	a.AddEpoch(EpochKey{ID: id, Community: community, Log: community, Secret: secret})
	b.AddEpoch(EpochKey{ID: id, Community: community, Log: community, Secret: secret})
	return a, b, id
}

func text(t *testing.T, plain []byte) string {
	var m crdt.MessageBody
	if err := crdt.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	return m.Text
}

func TestSealOpen(t *testing.T) {
	a, b, id := pair(t)
	alice := newSigner(1)
	op := sealed(t, a, alice, id, 1, "welcome to the team")
	if bytes.Contains(op.Bytes(), []byte("welcome")) {
		t.Fatal("the encoding holds the plaintext")
	}
	if _, err := crdt.DecodeBody(op); !errors.Is(err, crdt.ErrSealed) {
		t.Fatalf("decoding an unopened sealed body: %v, want ErrSealed", err)
	}
	plain, err := b.Open(op)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, plain); got != "welcome to the team" {
		t.Fatalf("opened %q", got)
	}
	// The same op again: its message key is spent.
	if _, err := b.Open(op); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v, want ErrReplay", err)
	}
	// Someone without the epoch.
	if _, err := NewKeyring().Open(op); !errors.Is(err, ErrNoKey) {
		t.Fatalf("no key: %v, want ErrNoKey", err)
	}
}

func TestOutOfOrderWithinWindow(t *testing.T) {
	a, b, id := pair(t)
	alice := newSigner(1)
	var ops []*crdt.Op
	for i := range 5 {
		ops = append(ops, sealed(t, a, alice, id, uint64(i+1), string(rune('a'+i))))
	}
	for _, i := range []int{3, 0, 4, 2, 1} {
		plain, err := b.Open(ops[i])
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		if got := text(t, plain); got != string(rune('a'+i)) {
			t.Fatalf("op %d opened as %q", i, got)
		}
	}
	for i := range ops {
		if _, err := b.Open(ops[i]); !errors.Is(err, ErrReplay) {
			t.Fatalf("op %d again: %v, want ErrReplay", i, err)
		}
	}
}

func TestSkippedWindowIsBounded(t *testing.T) {
	a, b, id := pair(t)
	alice := newSigner(1)
	first := sealed(t, a, alice, id, 1, "first")
	jump := func(to uint32) {
		a.mu.Lock()
		a.send[id] = to
		a.mu.Unlock()
	}
	jump(MaxIndex) // past any epoch's length: the sender refuses
	body, _ := crdt.EncodeBody(&crdt.MessageBody{Text: "x", Time: 1})
	if err := a.Seal(&crdt.Op{Community: community, Log: community, Author: alice.key(), Kind: crdt.KindMessage, Height: 1, Body: body, Deps: []crdt.ID{community}}, id); err == nil {
		t.Fatal("sealing past the epoch's length succeeded")
	}
	// A forged header that far ahead does not open and does not move the chain.
	s, _ := crdt.ParseSealed(first)
	fb, _ := crdt.EncodeSealed(id, MaxIndex+1, s.Ciphertext)
	forged, _ := crdt.Sign(crdt.Op{Community: community, Log: community, Kind: crdt.KindMessage, Height: 3, Parents: []crdt.ID{{3}}, Body: fb, Deps: []crdt.ID{community}}, alice)
	if _, err := b.Open(forged); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("index beyond an epoch: %v, want ErrDecrypt", err)
	}
	// A receiver that restarted (next = 0) still opens a sender far along.
	jump(3 * MaxSkipped)
	far := sealed(t, a, alice, id, 2, "far")
	if _, err := b.Open(far); err != nil {
		t.Fatalf("index %d after a restart: %v", 3*MaxSkipped, err)
	}
	// Only the newest MaxSkipped skipped keys are kept: the first is gone.
	if _, err := b.Open(first); !errors.Is(err, ErrReplay) {
		t.Fatalf("an op older than the window: %v, want ErrReplay", err)
	}
	// Skipped keys kept are bounded.
	c := b.recv[chainKey{id, community, alice.key()}]
	for i := range uint32(3 * MaxSkipped) {
		c.keep(10_000+i, [32]byte{})
	}
	if len(c.skipped) > MaxSkipped || len(c.order) > 4*MaxSkipped+1 {
		t.Fatalf("chain keeps %d skipped keys, %d order entries", len(c.skipped), len(c.order))
	}
}

func TestTamperedAndMovedCiphertextRejected(t *testing.T) {
	a, b, id := pair(t)
	alice, mallory := newSigner(1), newSigner(2)
	op := sealed(t, a, alice, id, 1, "secret")
	s, _ := crdt.ParseSealed(op)

	// A member flips a ciphertext bit and signs the result as its own op.
	flipped := bytes.Clone(s.Ciphertext)
	flipped[0] ^= 1
	forge := func(by signer, ct []byte, height uint64) *crdt.Op {
		body, _ := crdt.EncodeSealed(id, s.Index, ct)
		o := crdt.Op{Community: community, Log: community, Kind: crdt.KindMessage, Height: height, Body: body, Deps: []crdt.ID{community}}
		if height > 1 {
			o.Parents = []crdt.ID{{9}}
		}
		f, err := crdt.Sign(o, by)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if _, err := b.Open(forge(alice, flipped, 1)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered: %v, want ErrDecrypt", err)
	}
	// The intact ciphertext replayed under another author or another place.
	if _, err := b.Open(forge(mallory, s.Ciphertext, 1)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("moved to another author: %v, want ErrDecrypt", err)
	}
	if _, err := b.Open(forge(alice, s.Ciphertext, 2)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("moved to another place: %v, want ErrDecrypt", err)
	}
	// None of that spent the real message's key.
	if _, err := b.Open(op); err != nil {
		t.Fatal(err)
	}
}

func TestWrapUnwrap(t *testing.T) {
	for _, s := range []Suite{X25519, Hybrid} {
		t.Run(s.String(), func(t *testing.T) {
			k := NewKeyring()
			p, err := NewPrekey(s, 1)
			if err != nil {
				t.Fatal(err)
			}
			k.AddPrekey(p)
			id, secret := NewEpoch()
			member := newSigner(3).key()
			info := WrapInfo(community, crdt.ZeroID, id, member)
			w, err := Wrap(s, p.Public, info, secret)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.UnwrapAny(s, info, w)
			if err != nil || !bytes.Equal(got, secret) {
				t.Fatalf("unwrap: %v", err)
			}
			// Bound to its recipient and epoch.
			other := WrapInfo(community, crdt.ZeroID, id, newSigner(4).key())
			if _, err := k.UnwrapAny(s, other, w); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("unwrap with another recipient's info: %v", err)
			}
			// Survives a restart.
			raw, err := k.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			k2, err := LoadKeyring(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := k2.UnwrapAny(s, info, w); err != nil || !bytes.Equal(got, secret) {
				t.Fatalf("unwrap after reload: %v", err)
			}
		})
	}
}

func TestSendingCounterSurvivesRestart(t *testing.T) {
	a, b, id := pair(t)
	alice := newSigner(1)
	first := sealed(t, a, alice, id, 1, "one")
	raw, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	a2, err := LoadKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	second := sealed(t, a2, alice, id, 2, "two")
	s1, _ := crdt.ParseSealed(first)
	s2, _ := crdt.ParseSealed(second)
	if s2.Index != s1.Index+1 {
		t.Fatalf("index after restart %d, want %d", s2.Index, s1.Index+1)
	}
	for _, op := range []*crdt.Op{first, second} {
		if _, err := b.Open(op); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadKeyringRejectsGarbage(t *testing.T) {
	for _, raw := range [][]byte{nil, {0xff}, {0xa1, 0x02, 0x81, 0xa1, 0x01, 0x41, 0x00}} {
		if _, err := LoadKeyring(raw); err == nil {
			t.Fatalf("LoadKeyring(%x) accepted garbage", raw)
		}
	}
}
