package crdt

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"testing"
)

// mergeFixture is a control log as a big community's is written: members
// joining on one invite alone, which commute, and the owner's ops merging
// the heads MaxParents at a time, each of which is not last in the order.
type mergeFixture struct {
	genesis *Op
	ops     []*Op // parents first: the joins, then the merges (catch-up by height)
	waves   []*Op // MaxParents joins, then the merge of them, and so on (live)
	merges  int
}

var mergeFixtures = map[int]*mergeFixture{}

func buildMergeFixture(b *testing.B, members int) *mergeFixture {
	if f := mergeFixtures[members]; f != nil {
		return f
	}
	owner := newKey(1)
	f := &mergeFixture{}
	f.genesis = mustSign(b, Op{Kind: KindGenesis, Height: 1, Body: mustBody(b, &GenesisBody{Name: "Glow Team"})}, owner)
	cid := f.genesis.ID()
	invPriv := ed25519.NewKeyFromSeed(make([]byte, 32))
	inv := mustSign(b, Op{Community: cid, Kind: KindInvite, Parents: []ID{cid}, Height: 2,
		Body: mustBody(b, &InviteBody{Key: invPriv.Public().(ed25519.PublicKey), Role: RoleMember, Name: "Glow Team"})}, owner)
	f.ops = append(f.ops, inv)
	f.waves = append(f.waves, inv)
	var joins, merges []*Op
	for i := range members {
		seed := make([]byte, 32)
		binary.BigEndian.PutUint64(seed, uint64(i)+1)
		k := testKey{ed25519.NewKeyFromSeed(seed)}
		proof := ed25519.Sign(invPriv, JoinProofMessage(cid, inv.ID(), k.pub()))
		j := mustSign(b, Op{Community: cid, Kind: KindJoin, Parents: []ID{inv.ID()}, Height: 3,
			Body: mustBody(b, &JoinBody{Invite: inv.ID().Bytes(), Proof: proof, Name: fmt.Sprintf("Distributor %d", i), Time: 1000})}, k)
		joins = append(joins, j)
	}
	heads := joins
	for len(heads) > 1 {
		var next []*Op
		for len(heads) > 0 {
			n := min(MaxParents, len(heads))
			var ps []ID
			var h uint64
			for _, p := range heads[:n] {
				ps = append(ps, p.ID())
				h = max(h, p.Height)
			}
			m := mustSign(b, Op{Community: cid, Kind: KindProfile, Parents: ps, Height: h + 1, Body: mustBody(b, &ProfileBody{Name: "Olivia"})}, owner)
			if heads[0].Kind == KindJoin {
				f.waves = append(f.waves, heads[:n]...)
			}
			heads = heads[n:]
			merges = append(merges, m)
			next = append(next, m)
			f.waves = append(f.waves, m)
		}
		heads = next
	}
	f.ops = append(f.ops, joins...)
	f.ops = append(f.ops, merges...)
	f.merges = len(merges)
	mergeFixtures[members] = f
	return f
}

// BenchmarkControlMerges adds a big community's control log to a fresh
// replica: members joins on one invite, then the owner's merges of their
// heads (joins-first, as a catch-up by height delivers them), or each
// merge right after the joins it merges (waves, as they arrive live).
// ops/s counts every control op; ms/merge is the time over the merges.
func BenchmarkControlMerges(b *testing.B) {
	for _, members := range []int{500, 5000} {
		f := buildMergeFixture(b, members)
		for _, tc := range []struct {
			name string
			ops  []*Op
		}{{"joins-first", f.ops}, {"waves", f.waves}} {
			b.Run(fmt.Sprintf("%s/members=%d", tc.name, members), func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					c, err := NewCommunity(f.genesis, nil)
					if err != nil {
						b.Fatal(err)
					}
					for _, o := range tc.ops {
						if err := c.Add(o, nil); err != nil {
							b.Fatal(err)
						}
					}
					if got := len(c.State().Members); got != members+1 {
						b.Fatalf("%d members, want %d", got, members+1)
					}
					n += len(tc.ops)
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*f.merges), "ms/merge")
			})
		}
	}
}
