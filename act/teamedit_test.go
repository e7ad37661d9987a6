package act

import (
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
	promo, err := w.act.CreatePromo(ctx, w.cid, api.PromoDraft{Title: "Spring sale", Text: "20% off", Ends: w.now.Add(48 * time.Hour), Code: "SPRING"})
	if err != nil {
		t.Fatal(err)
	}
	w.views.msgs[promo] = api.Message{ID: promo, Kind: "promo", Promo: &api.Promo{Title: "Spring sale", Starts: w.now, Ends: w.now.Add(48 * time.Hour)}}
	ends := w.now.Add(72 * time.Hour)
	w.journal = nil
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: " Spring sale, longer ", Text: "25% off", Ends: ends, Code: "SPRING25"}); err != nil {
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
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: "x", Ends: w.now.Add(-time.Hour)}); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("an end in the past: %v", err)
	}
	w.views.msgs[promo] = api.Message{ID: promo, Kind: "promo", Promo: &api.Promo{Title: "Spring sale", Starts: w.now.Add(-2 * time.Hour), Ends: w.now.Add(-time.Hour)}}
	if err := w.act.EditPromo(ctx, w.cid, promo, api.PromoDraft{Title: "x", Ends: w.now.Add(time.Hour)}); !errors.Is(err, crdt.ErrInvalid) {
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
