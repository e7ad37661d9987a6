package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// otherTeam gives winsNode, one level down, the team calls api.API does
// not have; they are nil, so a call would panic, which the test would see.
type otherTeam struct{ teamActions }

// winsNode answers the team calls these tests make; the others are
// unimplemented (the embedded interfaces are nil, so they would panic).
type winsNode struct {
	api.API
	otherTeam
	event  api.CalendarEvent
	edited *api.EventDraft
	only   []bool
}

func (f *winsNode) Events(crdt.ID, bool) ([]api.CalendarEvent, error) {
	return []api.CalendarEvent{f.event}, nil
}

func (f *winsNode) EditEvent(_ context.Context, _, _ crdt.ID, d api.EventDraft) error {
	f.edited = &d
	return nil
}

func (f *winsNode) SetAdminsCelebrate(_ context.Context, _ crdt.ID, only bool) error {
	f.only = append(f.only, only)
	return nil
}

// TestEventEditKeepsWhatIsNotGiven: `event edit` with only --title keeps
// the event's time, length, place and text; `wins settings` changes the
// setting only when told yes or no.
func TestEventEditKeepsWhatIsNotGiven(t *testing.T) {
	starts := time.Date(2026, 12, 10, 19, 0, 0, 0, time.UTC)
	f := &winsNode{event: api.CalendarEvent{ID: crdt.ID{7}, Title: "Team call", Starts: starts, Duration: api.Duration(90 * time.Minute), Where: "Zoom", Text: "Bring numbers"}}
	c := serveNode(t, f)
	cid := crdt.ID{1}.String()
	run1 := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(append(args, "--home", c.home), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run1("event", "edit", "--community", cid, "--event", crdt.ID{7}.String(), "--title", "Team call (moved)"); code != exitOK {
		t.Fatalf("event edit: exit %d: %s", code, out)
	}
	want := api.EventDraft{Title: "Team call (moved)", Where: "Zoom", Text: "Bring numbers", Starts: starts, Duration: 90 * time.Minute}
	if f.edited == nil || f.edited.Title != want.Title || f.edited.Where != want.Where || f.edited.Text != want.Text ||
		!f.edited.Starts.Equal(want.Starts) || f.edited.Duration != want.Duration {
		t.Fatalf("event edit sent %+v, want %+v", f.edited, want)
	}
	if code, out := run1("event", "edit", "--community", cid, "--event", crdt.ID{8}.String(), "--title", "X"); code != exitFail || !strings.Contains(out, "no event") {
		t.Fatalf("editing an unknown event: exit %d: %s", code, out)
	}

	if code, out := run1("wins", "settings", "--community", cid); code != exitUsage || !strings.Contains(out, "--admins-only yes|no is required") || len(f.only) != 0 {
		t.Fatalf("wins settings without a choice: exit %d, %q, sent %v", code, out, f.only)
	}
	if code, out := run1("wins", "settings", "--community", cid, "--admins-only", "maybe"); code != exitUsage || len(f.only) != 0 {
		t.Fatalf("wins settings --admins-only maybe: exit %d, %q", code, out)
	}
	for _, v := range []string{"yes", "no"} {
		if code, out := run1("wins", "settings", "--community", cid, "--admins-only", v); code != exitOK {
			t.Fatalf("wins settings --admins-only %s: exit %d: %s", v, code, out)
		}
	}
	if len(f.only) != 2 || !f.only[0] || f.only[1] {
		t.Fatalf("wins settings sent %v, want [true false]", f.only)
	}
}

// promoNode records the promotion posted and any file shared.
type promoNode struct {
	winsNode
	sentPath string
	draft    *api.PromoDraft
}

func (f *promoNode) SendFile(_ context.Context, _, _ crdt.ID, path, _ string) (api.SentFile, error) {
	f.sentPath = path
	return api.SentFile{ID: crdt.ID{0xf1}, File: api.File{Name: "flyer.png"}}, nil
}

func (f *promoNode) CreatePromo(_ context.Context, _ crdt.ID, d api.PromoDraft) (crdt.ID, error) {
	f.draft = &d
	return crdt.ID{0xaa}, nil
}

// TestPromoCreateFile: `promo create --file PATH` hands the daemon the
// file's path with the promotion, which stores it and shows it on the
// card alone (node.CreatePromo): no file message is shared first.
func TestPromoCreateFile(t *testing.T) {
	f := &promoNode{}
	c := serveNode(t, f)
	cid := crdt.ID{1}.String()
	var out, errb bytes.Buffer
	path := filepath.Join(t.TempDir(), "flyer.png")
	code := run([]string{"promo", "create", "--community", cid, "--title", "Sale", "--ends", "48h", "--file", path, "--home", c.home, "--json"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("promo create --file: exit %d: %s%s", code, out.String(), errb.String())
	}
	if f.sentPath != "" {
		t.Fatalf("shared %q as a message first", f.sentPath)
	}
	if f.draft == nil || f.draft.File != path || f.draft.Title != "Sale" {
		t.Fatalf("posted %+v, want the file %q", f.draft, path)
	}
	if !strings.Contains(out.String(), crdt.ID{0xaa}.String()) {
		t.Fatalf("output %q lacks the promotion's id", out.String())
	}
}
