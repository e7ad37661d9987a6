package store

import (
	"bytes"
	"slices"
	"testing"

	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/cborshape"
)

// TestPendingDecodeLimitsFollowTheRecord: the pending record decoder
// allows exactly what a record holds, and a record's missing ids cover
// everything an op can wait for.
func TestPendingDecodeLimitsFollowTheRecord(t *testing.T) {
	s := cborshape.Of(pendingRecord{})
	if !slices.Equal(s.Arrays, []string{"pendingRecord.Missing"}) {
		t.Fatalf("arrays %v: give each a bound", s.Arrays)
	}
	want := crdt.DecodeLimits{
		MaxNested: max(crdt.MinDecodeNested, s.Depth),
		MaxArray:  max(crdt.MinDecodeArray, maxMissing),
		MaxMap:    max(crdt.MinDecodeMap, s.MaxMap),
	}
	if got := pendDec.Limits(); got != want {
		t.Fatalf("pending decoder limits %+v, want %+v", got, want)
	}
	if maxMissing < crdt.MaxParents+crdt.MaxDeps {
		t.Fatalf("maxMissing %d: an op may wait for %d parents and deps", maxMissing, crdt.MaxParents+crdt.MaxDeps)
	}
}

// largestParked signs the largest op the protocol allows, citing the most
// parents and deps, none of which exist.
func largestParked(t testing.TB) (*crdt.Op, []crdt.ID) {
	var parents, deps []crdt.ID
	for i := range crdt.MaxParents {
		parents = append(parents, crdt.ID{0xee, byte(i)})
	}
	for i := range crdt.MaxDeps {
		deps = append(deps, crdt.ID{0xdd, byte(i)})
	}
	op, err := crdt.Sign(crdt.Op{Community: crdt.ID{1}, Log: crdt.ID{2}, Kind: crdt.KindMessage, Parents: parents, Deps: deps, Height: 2, Body: bytes.Repeat([]byte{7}, crdt.MaxBodySize)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return op, append(parents, deps...)
}

// TestLargestPendingRecordRoundTrips: the largest op, waiting for all its
// parents and deps, parks, survives a restart (its record is read back)
// and is released whole.
func TestLargestPendingRecordRoundTrips(t *testing.T) {
	ctx := t.Context()
	op, missing := largestParked(t)
	ds := dssync.MutexWrap(datastore.NewMapDatastore())
	s, err := New(ds, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPending(ctx, op, missing, t0); err != nil {
		t.Fatal(err)
	}
	s2, err := New(ds, DefaultLimits()) // reads the record back
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s2.PendingLen(ctx); n != 1 {
		t.Fatalf("after a restart %d ops parked, want 1", n)
	}
	var ready []*crdt.Op
	for _, m := range missing {
		r, err := s2.TakeReady(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		ready = append(ready, r...)
	}
	if len(ready) != 1 || !bytes.Equal(ready[0].Bytes(), op.Bytes()) {
		t.Fatalf("released %d ops, want the parked one", len(ready))
	}
	more := append(missing, crdt.ID{0xcc})
	if err := s2.AddPending(ctx, op, more, t0); err == nil {
		t.Fatalf("parked an op waiting for %d ids, more than a record holds", len(more))
	}
}

// FuzzDecodeParked: any pending record either fails to decode or decodes
// to what encodes back to it.
func FuzzDecodeParked(f *testing.F) {
	small := newOpsIn(f, "fuzz").junk(mallory, 10)
	var missing []crdt.ID
	for i := range maxMissing {
		missing = append(missing, crdt.ID{byte(i)})
	}
	f.Add(encodePending(small.Bytes(), missing, t0.UnixMilli()))
	f.Add(encodePending(small.Bytes(), []crdt.ID{{1}}, t0.UnixMilli()))
	f.Add(encodePending(small.Bytes(), []crdt.ID{{1}, {2}}, 0))
	f.Add([]byte{0xa2, 0x01, 0x40, 0x02, 0x80})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var rec pendingRecord
		if err := pendDec.Unmarshal(raw, &rec); err != nil {
			return
		}
		var id crdt.ID
		if op, err := crdt.DecodeOp(rec.Op); err == nil {
			id = op.ID()
		}
		p, err := decodeParked(id, raw)
		if err != nil {
			return
		}
		if p.size != len(raw) || len(p.missing) == 0 || len(p.missing) > maxMissing {
			t.Fatalf("parked entry %+v from a %d-byte record", p, len(raw))
		}
		if again := encodePending(rec.Op, p.missing, p.at); !bytes.Equal(again, raw) {
			t.Fatal("an accepted record does not encode back to itself")
		}
	})
}
