package node

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestFileFromRelayAlone: Olivia shares a file in a community with a
// relay; her node pushes it to the relay, and once she is offline Ben
// downloads it from the relay alone, the same bytes.
func TestFileFromRelayAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		r := sn.startRelay(t.TempDir())
		defer r.close()
		blobs, err := serveRelayFiles(r.h, r.rs.relay, t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		rk, _ := keyOf(r.h.ID())
		if err := a.AddRelay(ctx, comm.ID, rk, []string{r.h.Addrs()[0].String()}); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		link, err := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		defer b.Close()
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "the relay to keep the community", func() bool { return r.rs.relay.Keeps(comm.ID) })

		plain := make([]byte, 7*blob.PlainChunk+123)
		rand.Read(plain)
		src := filepath.Join(t.TempDir(), "starter-kit.pdf")
		if err := os.WriteFile(src, plain, 0o600); err != nil {
			t.Fatal(err)
		}
		sent, err := a.SendFile(ctx, comm.ID, gid, src, "Start here")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := hex.DecodeString(sent.File.Root)
		if err != nil || len(raw) != 32 {
			t.Fatalf("root %q", sent.File.Root)
		}
		root := blob.Root(raw)
		waitFor(t, a.Node, "the relay to hold the whole file", func() bool {
			f, err := blobs.Store().Lookup(root)
			if err != nil {
				return false
			}
			defer f.Close()
			return f.Complete()
		})
		waitFor(t, b.Node, "Ben to see the file message", func() bool {
			_, err := b.Message(comm.ID, gid, sent.ID)
			return err == nil
		})
		a.Close() // Olivia is offline from here on

		out := filepath.Join(t.TempDir(), "kit.pdf")
		got, err := b.GetFile(ctx, comm.ID, gid, sent.ID, out, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Sources) != 1 || got.Sources[0] != r.h.ID().String() {
			t.Fatalf("sources %v, want the relay %s alone", got.Sources, r.h.ID())
		}
		if back, err := os.ReadFile(out); err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("Ben's copy differs: %v", err)
		}
	})
}
