package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake's card edits, judged by crdt as the node's are.

// cardIn finds the card id in community cid. Callers hold f.mu.
func (f *fakeBackend) cardIn(cid, id crdt.ID) (*fakeCommunity, *fakeGroup, *api.Message, error) {
	c := f.comm(cid)
	if c == nil {
		return nil, nil, nil, fmt.Errorf("community %s: unknown", cid.Short())
	}
	for _, g := range c.groups {
		for i := range g.msgs {
			if m := &g.msgs[i]; m.ID == id && isCard(*m) {
				return c, g, m, nil
			}
		}
	}
	return nil, nil, nil, fmt.Errorf("card %s: %w", id.Short(), api.ErrUnknownMessage)
}

// editCard runs edit on card id of community cid once crdt lets the
// local member do kind to it.
func (f *fakeBackend) editCard(name string, cid, id crdt.ID, kind crdt.Kind, edit func(m *api.Message) error) error {
	f.mu.Lock()
	err := f.enter(name)
	var gid crdt.ID
	if err == nil {
		var c *fakeCommunity
		var g *fakeGroup
		var m *api.Message
		if c, g, m, err = f.cardIn(cid, id); err == nil {
			gid = g.info.ID
			if err = f.judge(c, crdt.Action{Kind: kind, Group: gid, Others: !m.Mine}); err == nil {
				err = edit(m)
			}
		}
	}
	f.mu.Unlock()
	if err == nil {
		home := api.HomePromos
		if kind == crdt.KindEventEdit {
			home = api.HomeEvents
		}
		f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Home: home})
	}
	return err
}

func (f *fakeBackend) EditEvent(_ context.Context, cid, id crdt.ID, d api.EventDraft) error {
	return f.editCard("EditEvent", cid, id, crdt.KindEventEdit, func(m *api.Message) error {
		if m.Event == nil {
			return fmt.Errorf("%w: not an event", crdt.ErrInvalid)
		}
		if strings.TrimSpace(d.Title) == "" || d.Starts.IsZero() || d.Duration < 0 {
			return fmt.Errorf("%w: an event needs a title, a start and a duration of 0 or more", crdt.ErrInvalid)
		}
		e := *m.Event
		e.Title, e.Starts, e.Duration, e.Where, e.Text, e.Call, e.Edited = d.Title, d.Starts, api.Duration(d.Duration), d.Where, d.Text, d.Call, true
		m.Event, m.Text, m.Edited = &e, d.Text, true
		return nil
	})
}

func (f *fakeBackend) EditPromo(ctx context.Context, cid, id crdt.ID, d api.PromoDraft) error {
	var data []byte
	if d.File != "" {
		var err error
		if data, err = f.storeFile(ctx, d.File, d.Progress); err != nil {
			return err
		}
	}
	return f.editCard("EditPromo", cid, id, crdt.KindPromoEdit, func(m *api.Message) error {
		if err := f.storedFile(d); err != nil {
			return err
		}
		if m.Promo == nil || !f.clock.Before(m.Promo.Ends) {
			return fmt.Errorf("%w: the promotion has ended; post a new one", crdt.ErrInvalid)
		}
		if strings.TrimSpace(d.Title) == "" || !d.Ends.After(d.Starts) || !d.Ends.After(f.clock) {
			return fmt.Errorf("%w: a promotion needs a title and an end after its start and now", crdt.ErrInvalid)
		}
		p := *m.Promo
		p.Title, p.Text, p.Starts, p.Ends, p.Code, p.Edited = d.Title, d.Text, d.Starts, d.Ends, d.Code, true
		switch {
		case d.File != "":
			var g *fakeGroup
			for _, x := range f.comm(cid).groups {
				if x.info.Kind == api.GroupAnnouncement {
					g = x
				}
			}
			p.File = f.promoFile(cid, g, id, d.File, data)
		case d.DropFile:
			p.File = nil
		}
		m.Promo, m.Text, m.Edited, m.File = &p, d.Text, true, p.File
		return nil
	})
}

func (f *fakeBackend) EndPromo(_ context.Context, cid, id crdt.ID) error {
	return f.editCard("EndPromo", cid, id, crdt.KindPromoEdit, func(m *api.Message) error {
		if m.Promo == nil || !m.Promo.ActiveAt(f.clock) {
			return fmt.Errorf("%w: the promotion is not running", crdt.ErrInvalid)
		}
		p := *m.Promo
		p.Ends, p.Edited = f.clock, true
		m.Promo, m.Edited = &p, true
		return nil
	})
}
