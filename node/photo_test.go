package node

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestPhotoOnJoin: a photo set before joining is the member's own
// (Self), and the community joined later shows it to its members.
func TestPhotoOnJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 200, 200))); err != nil {
			t.Fatal(err)
		}
		pic, err := act.PreparePicture(&buf)
		if err != nil {
			t.Fatal(err)
		}
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		b := sn.start(t.TempDir(), "Ben", store.NewMemory())
		t.Cleanup(func() { a.Close(); b.Close() })
		if err := b.SetPhoto(ctx, pic); err != nil {
			t.Fatal(err)
		}
		if ph := b.Self().Photo; ph == nil || !bytes.Equal(ph.Data, pic) {
			t.Fatal("Self has no photo after SetPhoto")
		}
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to see b's photo", func() bool {
			ms, _ := a.Members(comm.ID)
			for _, m := range ms {
				if m.PeerID == b.Self().PeerID {
					return m.Photo != nil && bytes.Equal(m.Photo.Data, pic)
				}
			}
			return false
		})
	})
}
