package blob

import (
	"bytes"
	"os"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
	"lukechampine.com/blake3/bao"
)

// FuzzRequest: any bytes a requester sends are a request within its
// limits or an error, never a crash.
func FuzzRequest(f *testing.F) {
	root := Root{1}
	for _, r := range []Request{
		{Kind: KindHave, Root: root[:]},
		{Kind: KindChunks, Root: root[:], Indexes: []uint32{0, 5, 9}},
	} {
		var b bytes.Buffer
		writeFrame(&b, &r)
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		if err := readFrame(bytes.NewReader(data), &r, MaxRequest); err != nil {
			return
		}
		if r.check() == nil && (len(r.Root) != 32 || len(r.Indexes) > MaxWindow) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzResponse: a have-bitmap and a chunk frame from a source decode or
// fail cleanly, and a bitmap accepted names only chunks of the file.
func FuzzResponse(f *testing.F) {
	var b bytes.Buffer
	writeFrame(&b, &Response{Chunks: 11, Have: []byte{0xff, 0x07}})
	f.Add(b.Bytes(), 11)
	b.Reset()
	writeFrame(&b, &Chunk{Index: 3, Slice: []byte{1, 2, 3}})
	f.Add(b.Bytes(), 4)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n <= 0 || n > MaxChunks {
			return
		}
		var r Response
		if readFrame(bytes.NewReader(data), &r, MaxHaveFrame) == nil && r.checkHave(n) == nil {
			for i := n; i < len(r.Have)*8; i++ {
				if r.Have[i/8]&(1<<(i%8)) != 0 {
					t.Fatalf("bitmap names chunk %d of %d", i, n)
				}
			}
		}
		var c Chunk
		readFrame(bytes.NewReader(data), &c, MaxChunkFrame)
	})
}

// FuzzVerifySlice: no slice but the true one verifies.
func FuzzVerifySlice(f *testing.F) {
	k, _ := NewKey()
	var ct bytes.Buffer
	Encrypt(&ct, bytes.NewReader(randomBytes(2*PlainChunk+9, 1)), 2*PlainChunk+9, k)
	cs := int64(ct.Len())
	tree, root, _ := BuildTree(bytes.NewReader(ct.Bytes()), cs)
	chunks := sealedChunks(ct.Bytes())
	good, _ := Slice(tree, chunks[2], 2, cs)
	f.Add(good, 2)
	f.Add(good[:50], 1)
	f.Fuzz(func(t *testing.T, s []byte, i int) {
		got, err := VerifySlice(s, i, cs, root)
		if err == nil && (i < 0 || i >= len(chunks) || !bytes.Equal(got, chunks[i])) {
			t.Fatalf("a forged slice of chunk %d verified", i)
		}
		if i >= 0 && i < len(chunks) { // verified in place as bao verifies it
			off, n := chunkSpan(i, cs)
			want, ok := bao.VerifySlice(s, Group, uint64(off), uint64(n), root)
			if ok != (err == nil) || ok && !bytes.Equal(got, want) {
				t.Fatalf("chunk %d: verified %v, bao says %v", i, err == nil, ok)
			}
		}
	})
}

// FuzzHaveRecord: a record file of any bytes opens, and counts as held
// only chunks with good records.
func FuzzHaveRecord(f *testing.F) {
	root := Root{2}
	f.Add(append(record(root, 0), record(root, 3)...))
	f.Add([]byte{0, 0, 0, 1, 2})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(dir + "/" + root.String())
		os.MkdirAll(dir+"/"+root.String(), 0o700)
		if err := os.WriteFile(s.path(root, "have"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := s.Open(root, 4*PlainChunk)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		for i := range file.Chunks() {
			if file.Has(i) && !bytes.Contains(data, record(root, i)) {
				t.Fatalf("chunk %d held without its record", i)
			}
		}
	})
}

// FuzzOpenChunk: a chunk opens only when it is the sealed chunk at its
// index.
func FuzzOpenChunk(f *testing.F) {
	k := Key{3}
	sealed := SealChunk(nil, k, 1, 3, []byte("chunk one"))
	f.Add(sealed, 1, 3)
	f.Fuzz(func(t *testing.T, c []byte, i, n int) {
		if _, err := OpenChunk(nil, k, i, n, c); err == nil && (i != 1 || (i == n-1) || !bytes.Equal(c, sealed)) {
			t.Fatalf("opened a chunk forged at %d of %d", i, n)
		}
	})
}

// FuzzChunkFrame: a chunk frame's bytes decode in place exactly as the
// strict decoder decodes them, and fail where it fails.
func FuzzChunkFrame(f *testing.F) {
	for _, c := range []Chunk{
		{Index: 3, Slice: []byte{1, 2, 3}},
		{Index: 300, Slice: make([]byte, 70000)},
		{Index: 70000, Slice: make([]byte, 30)},
		{Index: 7, Error: errNotHeld},
	} {
		b, _ := crdt.Marshal(&c)
		f.Add(b)
	}
	f.Add([]byte{0xa2, 0x01, 0x18, 0x03, 0x02, 0x41, 0x00}) // not canonical
	f.Add([]byte{0xa2, 0x01, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0, 0x02, 0x41, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, strict Chunk
		errFast := decodeChunk(data, &fast)
		errStrict := wire.Decode(data, &strict)
		if (errFast == nil) != (errStrict == nil) {
			t.Fatalf("in place: %v, strict: %v", errFast, errStrict)
		}
		if errFast == nil && (fast.Index != strict.Index || fast.Error != strict.Error || !bytes.Equal(fast.Slice, strict.Slice)) {
			t.Fatalf("in place %+v, strict %+v", fast, strict)
		}
	})
}
