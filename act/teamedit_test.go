package act

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestEditPromo: an admin's edit replaces a running promotion's title,
// text, times and code; an ended one is refused before anything is
// written, as is an end in the past; the capability flags say the owner
// may edit promotions and anyone's events.
func TestEditPromo(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	promo, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: "Spring sale", Text: "20% off", Ends: w.now.Add(48 * time.Hour), Code: "SPRING"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.views.msgs[promo] = api.Message{ID: promo, Kind: "promo", Promo: &api.Promo{Title: "Spring sale", Starts: w.now, Ends: w.now.Add(48 * time.Hour)}}
	ends := w.now.Add(72 * time.Hour)
	w.journal = nil
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: " Spring sale, longer ", Text: "25% off", Ends: ends, Code: "SPRING25"}, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.journal, []string{"promo.edit"}) {
		t.Fatalf("wrote %v", w.journal)
	}
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		ps := c.View(w.cid).Posts
		p := ps[len(ps)-1]
		if p.ID != promo || p.Promo.Title != "Spring sale, longer" || p.Text != "25% off" || p.Promo.Ends != ends.UnixMilli() ||
			p.Promo.Starts != w.now.UnixMilli() || p.Promo.Code != "SPRING25" || !p.Promo.Edited {
			t.Errorf("edited promotion %+v %+v", p, p.Promo)
		}
		return nil
	})

	w.journal = nil
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: "x", Ends: w.now.Add(-time.Hour)}, nil); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("an end in the past: %v", err)
	}
	w.views.msgs[promo] = api.Message{ID: promo, Kind: "promo", Promo: &api.Promo{Title: "Spring sale", Starts: w.now.Add(-2 * time.Hour), Ends: w.now.Add(-time.Hour)}}
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: "x", Ends: w.now.Add(time.Hour)}, nil); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("editing an ended promotion: %v", err)
	}
	if len(w.journal) != 0 {
		t.Errorf("refused edits wrote %v", w.journal)
	}

	groups, err := w.act.Groups(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if g.ID == w.cid && (!g.CanEditPromos || !g.CanEditEvents || !g.CanEditOthersEvents) {
			t.Errorf("owner's edit flags in the announcements: %+v", g.GroupTeamPermits)
		}
	}
}

// TestPromoFile: a promotion posted with a stored file carries its
// reference; an edit with none keeps it, one with another file replaces
// it, DropFile removes it, and both at once are refused.
func TestPromoFile(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	root := bytes.Repeat([]byte{7}, 32)
	flyer := &crdt.FileRef{Name: "flyer.png", Size: 1234, Mime: "image/png", Root: root, Key: bytes.Repeat([]byte{8}, 32), Thumb: []byte("thumb")}
	prices := &crdt.FileRef{Name: "prices.pdf", Size: 99, Mime: "application/pdf", Root: bytes.Repeat([]byte{9}, 32), Key: bytes.Repeat([]byte{8}, 32)}
	ends := w.now.Add(48 * time.Hour)
	promo, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: "Sale", Ends: ends}, flyer)
	if err != nil {
		t.Fatal(err)
	}
	fileOf := func() *crdt.FileRef {
		t.Helper()
		var f *crdt.FileRef
		_ = w.rep.View(w.cid, func(c *crdt.Community) error {
			for _, p := range c.View(w.cid).Posts {
				if p.ID == promo {
					f = p.Promo.File
				}
			}
			return nil
		})
		return f
	}
	if f := fileOf(); f == nil || f.Name != "flyer.png" || !bytes.Equal(f.Root, root) || string(f.Thumb) != "thumb" || f.Size != 1234 {
		t.Fatalf("the promotion's file: %+v", f)
	}
	w.views.msgs[promo] = api.Message{ID: promo, Kind: "promo", Promo: &api.Promo{Title: "Sale", Starts: w.now, Ends: ends}}
	for _, step := range []struct {
		d    api.PromoDraft
		file *crdt.FileRef
		want string
	}{
		{api.PromoDraft{Title: "Sale!", Ends: ends}, nil, "flyer.png"},
		{api.PromoDraft{Title: "Sale!", Ends: ends}, prices, "prices.pdf"},
		{api.PromoDraft{Title: "Sale!", Ends: ends, DropFile: true}, nil, ""},
	} {
		if err := w.act.EditPromo(ctx, w.cid, promo, step.d, step.file); err != nil {
			t.Fatal(err)
		}
		if f := fileOf(); step.want == "" && f != nil || step.want != "" && (f == nil || f.Name != step.want) {
			t.Fatalf("after edit %+v the file is %+v, want %q", step.d, f, step.want)
		}
	}
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: "Sale", Ends: ends, DropFile: true}, flyer); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("setting and dropping the file: %v", err)
	}
}
