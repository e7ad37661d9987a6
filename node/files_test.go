package node

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
)

// TestFileServedToMembers: a node serves a file it shared to a member who
// may read the group, and to no one else.
func TestFileServedToMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		plain := make([]byte, 3*blob.PlainChunk+5)
		rand.Read(plain)
		id, ref, err := a.Actions.SendFile(ctx, comm.ID, gid, a.proto.files, "video.mp4", bytes.NewReader(plain), int64(len(plain)), "training")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "the file message", func() bool {
			_, err := b.Message(comm.ID, gid, id)
			return err == nil
		})
		fetch := func(n *testNode) (*blob.File, error) {
			if err := n.host.Connect(ctx, peer.AddrInfo{ID: a.host.ID(), Addrs: a.host.Addrs()}); err != nil {
				t.Fatal(err)
			}
			f, err := n.proto.files.Open(blob.Root(ref.Root), ref.Size)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			_, err = blob.Fetch(ctx, f, []blob.Source{p2p.FileSource{S: n.proto.svc, Peer: a.host.ID()}}, blob.Options{})
			return f, err
		}
		f, err := fetch(b)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := f.Decrypt(&out, blob.Key(ref.Key)); err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("Ben's copy differs: %v", err)
		}
		// Chloe, not a member, is refused.
		f, err = fetch(c)
		if !errors.Is(err, blob.ErrNoSources) {
			t.Fatalf("a stranger's fetch: %v", err)
		}
		if n, _ := f.Progress(); n != 0 {
			t.Fatalf("a stranger got %d chunks", n)
		}
	})
}
