package node

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/relaynode"
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
		blobs, err := relaynode.ServeFiles(r.h, r.rs.Relay(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, comm.ID)
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
		waitFor(t, a.Node, "the relay to keep the community", func() bool { return r.rs.Relay().Keeps(comm.ID) })

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

// TestFilePushRetriedWhenRelayBack: Olivia shares a file while the
// community's relay is down; status shows the push pending and why; once
// the relay is back, a retry pushes the file, and status says so.
func TestFilePushRetriedWhenRelayBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		rHome, blobDir := t.TempDir(), t.TempDir()
		r := sn.startRelay(rHome)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		r.register(t, a, comm.ID)
		gid := general(t, a.Node, comm.ID)
		waitFor(t, a.Node, "the relay to keep the community", func() bool { return r.rs.Relay().Keeps(comm.ID) })
		r.close() // the relay goes down

		plain := make([]byte, 3*blob.PlainChunk+5)
		rand.Read(plain)
		src := filepath.Join(t.TempDir(), "price-list.pdf")
		if err := os.WriteFile(src, plain, 0o600); err != nil {
			t.Fatal(err)
		}
		sent, err := a.SendFile(ctx, comm.ID, gid, src, "")
		if err != nil {
			t.Fatal(err)
		}
		files := func() api.RelayFiles {
			rs, _ := a.Relays(comm.ID)
			if len(rs) != 1 || rs[0].Files == nil {
				return api.RelayFiles{}
			}
			return *rs[0].Files
		}
		waitFor(t, a.Node, "a failed push to show", func() bool { return files().LastError != "" })
		if st := files(); st.Pending != 1 || st.Pushed != 0 {
			t.Fatalf("with the relay down: %+v", st)
		}

		r = sn.startRelay(rHome) // back, same identity and store
		defer func() { r.close() }()
		blobs, err := relaynode.ServeFiles(r.h, r.rs.Relay(), blobDir, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := hex.DecodeString(sent.File.Root)
		waitWithin(t, a.Node, 10*time.Minute, "the relay to hold the whole file", func() bool {
			f, err := blobs.Store().Lookup(blob.Root(raw))
			if err != nil {
				return false
			}
			defer f.Close()
			return f.Complete()
		})
		waitFor(t, a.Node, "status to show the push done", func() bool { st := files(); return st.Pushed == 1 && st.Pending == 0 })
		st := a.Status()
		if rs := st.Communities[0].Relays; len(rs) != 1 || rs[0].Files == nil || rs[0].Files.Pushed != 1 || rs[0].Files.LastError != "" {
			t.Fatalf("status relays %+v", rs)
		}
	})
}
