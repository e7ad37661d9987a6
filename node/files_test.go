package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"

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

// TestGetFile: a file sent from a path on one node is listed, shown as a
// file message, downloaded by a member (resuming after an interruption),
// and its local copy freed; a non-member gets nothing.
func TestGetFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		plain := make([]byte, 6*blob.PlainChunk+77)
		rand.Read(plain)
		src := filepath.Join(t.TempDir(), "price list.pdf")
		if err := os.WriteFile(src, plain, 0o600); err != nil {
			t.Fatal(err)
		}
		sent, err := a.SendFile(ctx, comm.ID, gid, src, "new prices")
		if err != nil {
			t.Fatal(err)
		}
		if sent.File.Name != "price list.pdf" || sent.File.Size != int64(len(plain)) || len(sent.File.Root) != 64 {
			t.Fatalf("sent %+v", sent)
		}
		waitFor(t, b.Node, "the file message", func() bool {
			_, err := b.Message(comm.ID, gid, sent.ID)
			return err == nil
		})
		m, _ := b.Message(comm.ID, gid, sent.ID)
		if m.Kind != "file" || m.File == nil || m.File.Root != sent.File.Root || m.Text != "new prices" {
			t.Fatalf("Ben sees %+v", m)
		}
		js, _ := json.Marshal(m)
		if bytes.Contains(js, []byte(`"key"`)) || bytes.Contains(js, []byte(`"Key"`)) || !bytes.Contains(js, []byte(`"file":{"name":"price list.pdf"`)) {
			t.Fatalf("message JSON %s", js)
		}
		fs, err := b.Files(comm.ID, crdt.ID{})
		if err != nil || len(fs) != 1 || fs[0].Message != sent.ID || fs[0].State != api.FileRemote || fs[0].Group != gid {
			t.Fatalf("Ben's files %+v, %v", fs, err)
		}
		if e, _ := a.FileStatus(comm.ID, sent.ID); e.State != api.FileComplete || e.HaveBytes != int64(len(plain)) {
			t.Fatalf("Olivia's copy %+v", e)
		}
		// Interrupted after the first chunk, the download keeps it.
		out := filepath.Join(t.TempDir(), "prices.pdf")
		cut, stop := context.WithCancel(ctx)
		_, err = b.GetFile(cut, comm.ID, gid, sent.ID, out, func(p api.FileProgress) {
			if p.Have > 0 {
				stop()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted get: %v", err)
		}
		e, _ := b.FileStatus(comm.ID, sent.ID)
		if e.State != api.FilePartial || e.HaveBytes <= 0 || e.HaveBytes >= int64(len(plain)) {
			t.Fatalf("after the interruption %+v", e)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a partial download was written out: %v", err)
		}
		var last api.FileProgress
		got, err := b.GetFile(ctx, comm.ID, gid, sent.ID, out, func(p api.FileProgress) { last = p })
		if err != nil {
			t.Fatal(err)
		}
		if first := e.HaveBytes; last.Have != int64(len(plain)) || got.Size != int64(len(plain)) || len(got.Sources) != 1 || got.Sources[0] != a.host.ID().String() {
			t.Fatalf("resumed from %d: got %+v, last progress %+v", first, got, last)
		}
		if back, _ := os.ReadFile(out); !bytes.Equal(back, plain) {
			t.Fatal("Ben's copy differs")
		}
		if e, _ := b.FileStatus(comm.ID, sent.ID); e.State != api.FileComplete {
			t.Fatalf("after the download %+v", e)
		}
		// Freed, it is remote again; a message without a file is refused.
		if err := b.DeleteLocalFile(ctx, comm.ID, sent.ID); err != nil {
			t.Fatal(err)
		}
		if e, _ := b.FileStatus(comm.ID, sent.ID); e.State != api.FileRemote || e.HaveBytes != 0 {
			t.Fatalf("after delete-local %+v", e)
		}
		post, err := a.Post(ctx, comm.ID, gid, "hello")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.GetFile(ctx, comm.ID, gid, post, out, nil); !errors.Is(err, api.ErrNotFile) {
			t.Fatalf("get of a text message: %v", err)
		}
		// Chloe is no member: she has no such file.
		if _, err := c.GetFile(ctx, comm.ID, gid, sent.ID, filepath.Join(t.TempDir(), "x"), nil); err == nil {
			t.Fatal("a stranger got the file")
		}
	})
}

// TestGetFileNoSource: with no member online who may read the group, a
// download says so.
func TestGetFileNoSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, comm, gid, sent := smallFileSeen(t, "kit.zip")
		a.Close()
		waitFor(t, b.Node, "Olivia gone", func() bool { return len(b.host.Network().Peers()) == 0 })
		if _, err := b.GetFile(ctx, comm.ID, gid, sent.ID, filepath.Join(t.TempDir(), "kit.zip"), nil); !errors.Is(err, api.ErrNoSource) {
			t.Fatalf("get with no one online: %v", err)
		}
	})
}

// TestGetFileAfterRemoval: a member removed after a file was shared still
// reads the message, and its download (and the file's status, which
// file get asks first) says that it was removed, not that the message
// shares no file.
func TestGetFileAfterRemoval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, comm, gid, sent := smallFileSeen(t, "prices.pdf")
		if err := a.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "the removal", func() bool { return b.Directory.StillMember(comm.ID) != nil })
		_, err := b.GetFile(ctx, comm.ID, gid, sent.ID, filepath.Join(t.TempDir(), "x"), nil)
		if !errors.Is(err, api.ErrRemoved) {
			t.Fatalf("a removed member's download: %v", err)
		}
		// file get into a directory asks the file's status first.
		if _, err := b.FileStatus(comm.ID, sent.ID); !errors.Is(err, api.ErrRemoved) {
			t.Fatalf("a removed member's file status: %v", err)
		}
	})
}

// smallFileSeen has the owner of a new community share a small file named
// name in General and waits until the member sees its message.
func smallFileSeen(t *testing.T, name string) (a, b *testNode, comm api.Community, gid crdt.ID, sent api.SentFile) {
	t.Helper()
	a, b, _, comm = ownerAndMember(t)
	gid = general(t, a.Node, comm.ID)
	src := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(src, []byte("a small "+name), 0o600); err != nil {
		t.Fatal(err)
	}
	sent, err := a.SendFile(t.Context(), comm.ID, gid, src, "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, b.Node, "the file message", func() bool {
		_, err := b.Message(comm.ID, gid, sent.ID)
		return err == nil
	})
	return a, b, comm, gid, sent
}
