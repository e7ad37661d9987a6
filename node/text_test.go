package node

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// TestInvalidUTF8Refused: every call of the node API that takes free text
// — names, messages, descriptions, poll questions and options, emoji —
// refuses bytes that are not UTF-8 with an error that names the field, and
// writes nothing, rather than storing U+FFFD in their place. The control
// API and the app rely on this check (crdt's, and identity's for names).
func TestInvalidUTF8Refused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		st := store.NewMemory()
		a := sn.start(t.TempDir(), "Olivia", st)
		defer a.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		msg, err := a.Post(ctx, comm.ID, gid, "Welcome!")
		if err != nil {
			t.Fatal(err)
		}
		const bad = "caf\xe9 team" // Latin-1, not UTF-8
		calls := []struct {
			name  string
			field string
			call  func(ctx context.Context) error
		}{
			{"community create", "name", func(ctx context.Context) error { _, err := a.CreateCommunity(ctx, bad); return err }},
			{"name set", "name", func(ctx context.Context) error { return a.SetName(ctx, bad) }},
			{"post", "message", func(ctx context.Context) error { _, err := a.Post(ctx, comm.ID, gid, bad); return err }},
			{"reply", "message", func(ctx context.Context) error { _, err := a.Reply(ctx, comm.ID, gid, msg, bad); return err }},
			{"edit", "message", func(ctx context.Context) error { return a.Edit(ctx, comm.ID, gid, msg, bad) }},
			{"react", "emoji", func(ctx context.Context) error { return a.React(ctx, comm.ID, gid, msg, "\xf0\x9f", true) }},
			{"poll question", "question", func(ctx context.Context) error {
				_, err := a.CreatePoll(ctx, comm.ID, gid, bad, []string{"yes", "no"}, false, time.Time{})
				return err
			}},
			{"poll option", "option 2", func(ctx context.Context) error {
				_, err := a.CreatePoll(ctx, comm.ID, gid, "Friday?", []string{"yes", bad}, false, time.Time{})
				return err
			}},
			{"group name", "group name", func(ctx context.Context) error { _, err := a.CreateGroup(ctx, comm.ID, bad, "", "open"); return err }},
			{"group description", "description", func(ctx context.Context) error {
				_, err := a.CreateGroup(ctx, comm.ID, "Tips", bad, "open")
				return err
			}},
			{"group update", "group name", func(ctx context.Context) error {
				return a.UpdateGroup(ctx, comm.ID, gid, api.GroupSettings{Name: bad, Policy: "everyone"})
			}},
			{"settings name", "community name", func(ctx context.Context) error {
				return a.UpdateSettings(ctx, comm.ID, api.Settings{Name: bad})
			}},
			{"settings description", "description", func(ctx context.Context) error {
				return a.UpdateSettings(ctx, comm.ID, api.Settings{Name: "Glow Team", Description: bad})
			}},
		}
		for _, c := range calls {
			before, _ := st.Count(ctx, comm.ID, crdt.ZeroID)
			beforeG, _ := st.Count(ctx, comm.ID, gid)
			err := c.call(ctx)
			if err == nil || !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), "not valid UTF-8") {
				t.Errorf("%s: %v; want an error saying the %s is not valid UTF-8", c.name, err, c.field)
			}
			after, _ := st.Count(ctx, comm.ID, crdt.ZeroID)
			afterG, _ := st.Count(ctx, comm.ID, gid)
			if after != before || afterG != beforeG {
				t.Errorf("%s: a refused call wrote ops", c.name)
			}
		}
		if self := a.Self(); self.Name != "Olivia" {
			t.Errorf("name after a refused change: %q", self.Name)
		}
	})
}
