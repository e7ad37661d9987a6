package crdt

import "testing"

func benchOp(b *testing.B) (*Op, testKey) {
	k := newKey(1)
	g := mustSign(b, Op{Kind: KindGenesis, Height: 1, Body: mustBody(b, &GenesisBody{Name: "Team"})}, k)
	var parents []ID
	parents = append(parents, g.ID())
	m := mustSign(b, Op{Community: g.ID(), Log: g.ID(), Kind: KindMessage, Deps: parents, Parents: parents, Height: 2,
		Body: mustBody(b, &MessageBody{Text: "Great job on your first sale this week! Here is the training video.", Time: 1700000000000})}, k)
	return m, k
}

func perSecond(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkOpEncode(b *testing.B) {
	op, _ := benchOp(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(op.wire(true)); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b)
}

func BenchmarkOpSign(b *testing.B) {
	op, k := benchOp(b)
	o := *op
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(o, k); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b)
}

// BenchmarkOpDecodeVerify is decode + canonical check + signature verify +
// id hash: what every received op costs before any rule is applied.
func BenchmarkOpDecodeVerify(b *testing.B) {
	op, _ := benchOp(b)
	raw := op.Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeOp(raw); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b)
}

// BenchmarkOpVerify is the Ed25519 verification alone, the floor under
// BenchmarkOpDecodeVerify.
func BenchmarkOpVerify(b *testing.B) {
	op, _ := benchOp(b)
	msg, _ := op.SigningBytes()
	b.ReportAllocs()
	for b.Loop() {
		if !verifySig(op.Author, msg, op.Sig) {
			b.Fatal("verify failed")
		}
	}
	perSecond(b)
}
