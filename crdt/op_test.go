package crdt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"testing"
)

// testKey is a deterministic signer for tests.
type testKey struct{ priv ed25519.PrivateKey }

func newKey(b byte) testKey {
	return testKey{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))}
}
func (k testKey) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k testKey) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }
func (k testKey) pub() PublicKey {
	var p PublicKey
	copy(p[:], k.PublicKey())
	return p
}

func (k testKey) pubBytes() []byte { p := k.pub(); return p[:] }

func mustSign(t testing.TB, o Op, k testKey) *Op {
	t.Helper()
	op, err := Sign(o, k)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func mustBody(t testing.TB, b interface{ check() error }) []byte {
	t.Helper()
	raw, err := EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestGoldenGenesis pins the encoding of one op byte for byte. If it
// changes, every community id changes: bump Version instead.
func TestGoldenGenesis(t *testing.T) {
	k := newKey(1)
	op := mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "Team", Time: 1700000000000})}, k)
	// a6                                  map(6)
	//   01 01                             1 version: 1
	//   04 5820 8a88…5c                   4 author: 32 bytes
	//   06 01                             6 height: 1
	//   07 01                             7 kind: genesis
	//   08 51                             8 body: 17 bytes:
	//      a2 01 64 5465616d                 {1: "Team",
	//         03 1b 0000018bcfe56800          3: 1700000000000}
	//   0a 5840 5c23…2607                 10 sig: 64 bytes (Ed25519 is deterministic)
	const golden = "a6" + "0101" +
		"04" + "5820" + "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c" +
		"0601" + "0701" +
		"08" + "51" + "a201645465616d031b0000018bcfe56800" +
		"0a" + "5840" + "5c234d8d61ef1d9d146aeaa70d14677245b9754c4973cd5285f61de3977502f4" +
		"a4e5c210734f65298dc5f46974890ac9dbb0301efe984e4adee27f853f642607"
	if got := hex.EncodeToString(op.Bytes()); got != golden {
		t.Fatalf("genesis encoding changed:\n got %s\nwant %s", got, golden)
	}
	const wantID = "b567260b671a73c43878d855f07eb78de3cb9ba37ce361ba9833cb844506ba85"
	if op.ID().String() != wantID {
		t.Fatalf("genesis id = %s, want %s", op.ID(), wantID)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	k := newKey(2)
	g := mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "Team"})}, k)
	p := mustSign(t, Op{Community: g.ID(), Kind: KindProfile, Parents: []ID{g.ID()}, Height: 2, Body: mustBody(t, &ProfileBody{Name: "Ada"})}, k)
	m := mustSign(t, Op{Community: g.ID(), Log: g.ID(), Kind: KindMessage, Deps: []ID{p.ID()}, Height: 1, Body: mustBody(t, &MessageBody{Text: "hi"})}, k)
	for _, op := range []*Op{g, p, m} {
		got, err := DecodeOp(op.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", op.Kind, err)
		}
		if got.ID() != op.ID() || !bytes.Equal(got.Bytes(), op.Bytes()) || got.Author != k.pub() {
			t.Fatalf("%s: round trip changed the op", op.Kind)
		}
	}
}

// TestSigningBytesOfEncoding: the signing bytes decodeOp cuts out of a
// received encoding are exactly those SigningBytes encodes, for every
// optional field present or absent, so cutting them instead of encoding
// the op again accepts the same signatures.
func TestSigningBytesOfEncoding(t *testing.T) {
	k := newKey(3)
	g := mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "Team"})}, k)
	p := mustSign(t, Op{Community: g.ID(), Kind: KindProfile, Parents: []ID{g.ID()}, Height: 2, Body: mustBody(t, &ProfileBody{Name: "Ada"})}, k)
	var many []ID
	for i := range MaxParents {
		many = append(many, ID{byte(i + 1)})
	}
	ops := []*Op{g, p,
		mustSign(t, Op{Community: g.ID(), Log: g.ID(), Kind: KindMessage, Deps: []ID{p.ID()}, Height: 1, Body: mustBody(t, &MessageBody{Text: "hi"})}, k),
		mustSign(t, Op{Community: g.ID(), Log: g.ID(), Kind: KindMessage, Parents: many, Deps: many[:MaxDeps], Height: 1 << 40, Body: bytes.Repeat([]byte{0x40}, 300)}, k),
		mustSign(t, Op{Community: g.ID(), Kind: KindProfile, Parents: []ID{g.ID()}, Height: 2}, k),
	}
	for _, op := range ops {
		want, err := op.SigningBytes()
		if err != nil {
			t.Fatal(err)
		}
		got, err := signingBytesOf(op.Bytes())
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: cut signing bytes %x (%v), want %x", op.Kind, got, err, want)
		}
	}
	for _, bad := range [][]byte{nil, {0xa0}, bytes.Repeat([]byte{0xa5}, 67), append([]byte{0xa1}, bytes.Repeat([]byte{0}, 67)...)} {
		if _, err := signingBytesOf(bad); err == nil {
			t.Fatalf("cut signing bytes of %x", bad)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	k := newKey(3)
	g := mustSign(t, Op{Kind: KindGenesis, Height: 1, Body: mustBody(t, &GenesisBody{Name: "Team"})}, k)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	raw := g.Bytes()
	// Re-sign the same fields with another key but keep the first author: a forgery.
	forged := func() []byte {
		w := g.wire(false)
		w.Sig = newKey(4).Sign(mustEnc(t, w))
		return mustEnc(t, w)
	}()
	nonCanonical := append([]byte{0xa6, 0x01, 0x18, 0x01}, raw[3:]...) // version 1 as a two-byte uint
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"truncated", raw[:len(raw)-1], ErrMalformed},
		{"flipped signature", flip(raw, len(raw)-1), ErrBadSignature},
		{"flipped body", flip(raw, 50), ErrBadSignature},
		{"signed by another key", forged, ErrBadSignature},
		{"non-canonical", nonCanonical, ErrNotCanonical},
		{"oversized", make([]byte, MaxOpSize+1), ErrTooLarge},
		{"unknown field", mustEnc(t, map[int]any{1: 1, 4: k.PublicKey(), 6: 1, 7: 1, 99: 1}), ErrMalformed},
		{"duplicate key", []byte{0xa2, 0x01, 0x01, 0x01, 0x01}, ErrMalformed},
		{"indefinite map", []byte{0xbf, 0x01, 0x01, 0xff}, ErrMalformed},
		{"bad author length", mustEnc(t, map[int]any{1: 1, 4: []byte{1, 2}, 6: 1, 7: 1, 10: make([]byte, 64)}), ErrMalformed},
		{"unknown kind", mustEnc(t, map[int]any{1: 1, 4: k.PublicKey(), 6: 1, 7: 999, 10: make([]byte, 64)}), ErrMalformed},
		{"version 2", mustEnc(t, map[int]any{1: 2, 4: k.PublicKey(), 6: 1, 7: 1, 10: make([]byte, 64)}), ErrMalformed},
		{"deeply nested", bytes.Repeat([]byte{0x81}, 100), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeOp(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("DecodeOp = %v, want %v", err, tc.want)
			}
		})
	}
}

func mustEnc(t testing.TB, v any) []byte {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignRejectsBadShape(t *testing.T) {
	k := newKey(5)
	var c ID
	c[0] = 1
	cases := map[string]Op{
		"genesis with parents":   {Kind: KindGenesis, Height: 2, Parents: []ID{c}},
		"control without parent": {Community: c, Kind: KindProfile, Height: 1},
		"content without deps":   {Community: c, Log: c, Kind: KindMessage, Height: 1},
		"content without log":    {Community: c, Kind: KindMessage, Height: 1, Deps: []ID{c}},
		"height zero":            {Kind: KindGenesis},
		"body too large":         {Kind: KindGenesis, Height: 1, Body: make([]byte, MaxBodySize+1)},
		"too many parents":       {Community: c, Kind: KindProfile, Height: 2, Parents: manyIDs(MaxParents + 1)},
	}
	for name, o := range cases {
		if _, err := Sign(o, k); err == nil {
			t.Errorf("%s: Sign accepted it", name)
		}
	}
}

func manyIDs(n int) []ID {
	out := make([]ID, n)
	for i := range out {
		out[i][0], out[i][1] = byte(i>>8), byte(i)
	}
	return out
}

func FuzzDecodeOp(f *testing.F) {
	k := newKey(6)
	g, _ := Sign(Op{Kind: KindGenesis, Height: 1, Body: []byte{0xa1, 0x01, 0x61, 0x41}}, k)
	f.Add(g.Bytes())
	p, _ := Sign(Op{Community: g.ID(), Kind: KindProfile, Parents: []ID{g.ID()}, Height: 2, Body: []byte{0xa1, 0x01, 0x61, 0x42}}, k)
	f.Add(p.Bytes())
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, data []byte) {
		op, err := DecodeOp(data)
		if err != nil {
			return
		}
		if !bytes.Equal(op.Bytes(), data) {
			t.Fatal("accepted op does not keep its exact bytes")
		}
		again, err := DecodeOp(op.Bytes())
		if err != nil || again.ID() != op.ID() {
			t.Fatalf("re-decode of accepted op: %v", err)
		}
		want, err := op.SigningBytes()
		if got, cerr := signingBytesOf(data); err != nil || cerr != nil || !bytes.Equal(got, want) {
			t.Fatalf("cut signing bytes %x (%v), encoded %x (%v)", got, cerr, want, err)
		}
		_, _ = DecodeBody(op) // must not panic
	})
}
