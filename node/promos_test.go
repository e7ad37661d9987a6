package node

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// TestPromoFileShownOnce: a promotion posted with a file from a path
// shows the file on its card alone: no message in the announcements
// shares it, each member's Files lists it once, as the promotion's, and a
// member downloads it from the card (the card counts as sharing it).
func TestPromoFileShownOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		plain := make([]byte, 2*blob.PlainChunk+11)
		rand.Read(plain)
		src := filepath.Join(t.TempDir(), "flyer.pdf")
		if err := os.WriteFile(src, plain, 0o600); err != nil {
			t.Fatal(err)
		}
		var stored int64
		promo, err := a.CreatePromo(ctx, comm.ID, api.PromoDraft{Title: "Spring kits", Ends: time.Now().Add(48 * time.Hour), File: src,
			Progress: func(p api.FileProgress) { stored = p.Have }})
		if err != nil {
			t.Fatal(err)
		}
		if stored != int64(len(plain)) {
			t.Fatalf("progress told %d of %d bytes stored", stored, len(plain))
		}
		waitFor(t, b.Node, "the promotion", func() bool {
			_, err := b.Message(comm.ID, comm.ID, promo)
			return err == nil
		})
		for _, n := range []*testNode{a, b} {
			ms, err := n.Messages(comm.ID, comm.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.File != nil && m.ID != promo {
					t.Fatalf("message %s (%s) shares %s besides the promotion", m.ID.Short(), m.Kind, m.File.Name)
				}
			}
			fs, err := n.Files(comm.ID, comm.ID)
			if err != nil || len(fs) != 1 || fs[0].Message != promo || !fs[0].Promo || fs[0].Name != "flyer.pdf" {
				t.Fatalf("files %+v, %v: want the promotion's flyer once", fs, err)
			}
		}
		out := filepath.Join(t.TempDir(), "flyer.pdf")
		if _, err := b.GetFile(ctx, comm.ID, comm.ID, promo, out, nil); err != nil {
			t.Fatalf("download from the card: %v", err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, plain) {
			t.Fatal("the downloaded flyer differs")
		}
	})
}
