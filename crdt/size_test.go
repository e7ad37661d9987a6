package crdt

import (
	"slices"
	"testing"
	"unsafe"
)

// TestOpSize: a node holds an Op per op it has, so Op stays within the
// 256-byte size class (op.go), 32 bytes an op less than the next one.
func TestOpSize(t *testing.T) {
	if n := unsafe.Sizeof(Op{}); n > 256 {
		t.Errorf("Op takes %d bytes, want at most 256", n)
	}
}

// TestEntrySize: a timeline holds an Entry per op, so Entry stays within
// the 32-byte size class.
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(Entry{}); n > 32 {
		t.Errorf("Entry takes %d bytes, want at most 32", n)
	}
}

// TestLoadSharesDeps: Load makes content ops that name the same deps
// share one slice of them, without changing what any op says.
func TestLoadSharesDeps(t *testing.T) {
	w := newWorld(t, "olivia")
	g := w.do("olivia", ZeroID, KindGroupCreate, &GroupCreateBody{Name: "General", Policy: PolicyEveryone})
	var posts []*Op
	for i := range 3 {
		posts = append(posts, w.do("olivia", g.ID(), KindMessage, &MessageBody{Text: "Tip", Time: int64(i)}))
	}
	var stored []Opened
	for _, o := range w.all {
		d, err := DecodeStored(append([]byte(nil), o.Bytes()...), o.ID())
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, Opened{Op: d})
	}
	c, err := Load(Opened{Op: w.genesis}, stored)
	if err != nil {
		t.Fatal(err)
	}
	first := c.Timeline(g.ID()).Get(posts[0].ID()).Op
	for _, p := range posts[1:] {
		o := c.Timeline(g.ID()).Get(p.ID()).Op
		if &o.Deps[0] != &first.Deps[0] {
			t.Errorf("post %s keeps a copy of the deps it shares with the first", p.ID().Short())
		}
		again, err := DecodeOp(o.Bytes())
		if err != nil || !slices.Equal(again.Deps, o.Deps) {
			t.Errorf("post %s: deps %v, its encoding says %v (%v)", p.ID().Short(), o.Deps, again.Deps, err)
		}
	}
}
