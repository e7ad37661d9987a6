package node

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// page is MessagePage that must succeed.
func page(t *testing.T, n *Node, cid, gid crdt.ID, from, limit int) api.Page {
	t.Helper()
	p, err := n.MessagePage(cid, gid, from, limit)
	if err != nil {
		t.Fatalf("MessagePage(%d, %d): %v", from, limit, err)
	}
	return p
}

func pageTexts(p api.Page) []string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, m.Text)
	}
	return out
}

// groupOf returns group gid as n's Groups lists it.
func groupOf(t *testing.T, n *Node, cid, gid crdt.ID) api.Group {
	t.Helper()
	gs, err := n.Groups(cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.ID == gid {
			return g
		}
	}
	t.Fatalf("no group %s", gid.Short())
	return api.Group{}
}

func communityOf(t *testing.T, n *Node, cid crdt.ID) api.Community {
	t.Helper()
	for _, c := range n.Communities() {
		if c.ID == cid {
			return c
		}
	}
	t.Fatalf("no community %s", cid.Short())
	return api.Community{}
}

// TestMessagePage: pages are windows of the list Messages returns, with
// their indexes, the quotes of replies (of a deleted message too) and the
// first unread message; limits are clamped and a page past the end is
// empty.
func TestMessagePage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, _, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		var ids []crdt.ID
		for i := range 10 {
			n := a
			if i%2 == 1 {
				n = b
			}
			id, err := n.Post(ctx, comm.ID, gid, fmt.Sprintf("tip %d", i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			waitFor(t, a.Node, "a to hold the post", func() bool { _, err := a.Message(comm.ID, gid, id); return err == nil })
		}
		long := ""
		for range 40 {
			long += "Süßes, "
		}
		longID, err := b.Post(ctx, comm.ID, gid, long)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to hold a's posts", func() bool { return len(texts(t, b.Node, comm.ID, gid)) == 11 })
		r1, err := b.Reply(ctx, comm.ID, gid, ids[2], "answering tip 2")
		if err != nil {
			t.Fatal(err)
		}
		r2, err := b.Reply(ctx, comm.ID, gid, longID, "answering the long one")
		if err != nil {
			t.Fatal(err)
		}
		r3, err := b.Reply(ctx, comm.ID, gid, ids[4], "answering tip 4")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Delete(ctx, comm.ID, gid, ids[4]); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to hold the replies", func() bool { _, err := a.Message(comm.ID, gid, r3); return err == nil })

		all, err := a.Messages(comm.ID, gid)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 14 {
			t.Fatalf("%d messages, want 14", len(all))
		}
		// The whole list, page by page, is Messages.
		var joined []api.Message
		for from := 0; from < len(all); from += 3 {
			p := page(t, a.Node, comm.ID, gid, from, 3)
			if p.Total != len(all) || p.From != from {
				t.Fatalf("page from %d: total %d from %d", from, p.Total, p.From)
			}
			joined = append(joined, p.Messages...)
		}
		if !reflect.DeepEqual(joined, all) {
			t.Fatalf("pages differ from Messages:\n%+v\n%+v", joined, all)
		}
		for i, m := range all {
			if m.Index != i {
				t.Fatalf("message %d has index %d", i, m.Index)
			}
		}
		// Windows.
		if p := page(t, a.Node, comm.ID, gid, -1, 4); p.From != 10 || len(p.Messages) != 4 || p.Messages[3].ID != r3 {
			t.Fatalf("last 4: from %d, %q", p.From, pageTexts(p))
		}
		if p := page(t, a.Node, comm.ID, gid, -1, 100); p.From != 0 || len(p.Messages) != 14 {
			t.Fatalf("last 100 of 14: from %d, %d messages", p.From, len(p.Messages))
		}
		if p := page(t, a.Node, comm.ID, gid, 3, 0); len(p.Messages) != 1 || p.Messages[0].Text != "tip 3" {
			t.Fatalf("limit 0 is clamped to 1: %q", pageTexts(p))
		}
		if p := page(t, a.Node, comm.ID, gid, 0, api.MaxPage+1000); len(p.Messages) != 14 {
			t.Fatalf("a huge limit: %d messages", len(p.Messages))
		}
		if p := page(t, a.Node, comm.ID, gid, 20, 5); len(p.Messages) != 0 || p.Total != 14 {
			t.Fatalf("past the end: %+v", p)
		}
		if _, err := a.MessagePage(comm.ID, crdt.ID{9}, 0, 5); !errors.Is(err, api.ErrUnknownGroup) {
			t.Fatalf("unknown group: %v", err)
		}
		// Quotes.
		byID := map[crdt.ID]api.Message{}
		for _, m := range all {
			byID[m.ID] = m
		}
		if q := byID[r1].Quote; q == nil || q.ID != ids[2] || q.Text != "tip 2" || q.AuthorName != "Olivia" || q.Index != 2 || q.Deleted || q.Missing {
			t.Fatalf("quote of tip 2: %+v", q)
		}
		if q := byID[r2].Quote; q == nil || q.Text != string([]rune(long)[:api.QuoteRunes]) || len([]rune(q.Text)) != api.QuoteRunes || q.AuthorName != "Ben" {
			t.Fatalf("quote of the long message: %+v", q)
		}
		if q := byID[r3].Quote; q == nil || !q.Deleted || q.Text != "" || q.Index != 4 {
			t.Fatalf("quote of a deleted message: %+v", q)
		}
		if byID[ids[0]].Quote != nil {
			t.Fatal("a message that answers nothing has a quote")
		}
		// FirstUnread: b's first message, until a has read.
		if p := page(t, a.Node, comm.ID, gid, -1, 5); p.FirstUnread != 1 {
			t.Fatalf("first unread %d, want 1", p.FirstUnread)
		}
		if err := a.MarkRead(ctx, comm.ID, gid); err != nil {
			t.Fatal(err)
		}
		if p := page(t, a.Node, comm.ID, gid, -1, 5); p.FirstUnread != -1 {
			t.Fatalf("first unread %d after reading", p.FirstUnread)
		}
		if _, err := b.Post(ctx, comm.ID, gid, "one more"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to get b's new post", func() bool { return page(t, a.Node, comm.ID, gid, 0, 1).Total == 15 })
		if p := page(t, a.Node, comm.ID, gid, -1, 5); p.FirstUnread != 14 {
			t.Fatalf("first unread %d, want 14", p.FirstUnread)
		}
	})
}

// TestMessagePageSeesChanges: whatever changes what a page shows — a new
// message, an edit, a reaction, a rename of the author, a removal that
// hides a message already shown — shows on the next page.
func TestMessagePageSeesChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		cut, ns, comm := splitCommunity(t, "Olivia", "Dana", "Ben")
		a, d, b := ns[0], ns[1], ns[2]
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		for _, n := range []*testNode{d, b} {
			if _, err := n.Join(ctx, link); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.SetRole(ctx, comm.ID, d.Self().PeerID, "admin"); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		waitFor(t, d.Node, "d to be an admin who knows every prekey", func() bool {
			var k int
			_ = d.rep.View(comm.ID, func(c *crdt.Community) error { k = len(c.State().Prekeys); return nil })
			cm, _ := d.community(comm.ID)
			return cm.Role == "admin" && k == 3
		})
		id, err := b.Post(ctx, comm.ID, gid, "first")
		if err != nil {
			t.Fatal(err)
		}
		last := func() api.Message {
			p := page(t, a.Node, comm.ID, gid, -1, 1)
			if len(p.Messages) == 0 {
				return api.Message{}
			}
			return p.Messages[0]
		}
		waitFor(t, a.Node, "a to show b's post", func() bool { return last().ID == id })

		id2, err := b.Post(ctx, comm.ID, gid, "second")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a new message", func() bool { return last().ID == id2 })
		if err := b.Edit(ctx, comm.ID, gid, id2, "second, edited"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "an edit", func() bool { m := last(); return m.Text == "second, edited" && m.Edited })
		waitFor(t, d.Node, "d to hold b's post", func() bool { _, err := d.Message(comm.ID, gid, id2); return err == nil })
		if err := d.React(ctx, comm.ID, gid, id2, "🎉", true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a reaction", func() bool { m := last(); return len(m.Reactions) == 1 && m.Reactions[0].By[0] == "Dana" })
		if err := b.SetName(ctx, "Benjamin"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a rename", func() bool { return last().AuthorName == "Benjamin" })

		// d, cut off, removes b, not having seen b's next message; a shows
		// that message until the removal arrives, then shows it hidden.
		cut.split(d)
		id3, err := b.Post(ctx, comm.ID, gid, "third")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "b's third message", func() bool { m := last(); return m.ID == id3 && m.Hidden == "" })
		if err := d.RemoveMember(ctx, comm.ID, b.Self().PeerID); err != nil {
			t.Fatal(err)
		}
		cut.heal()
		waitWithin(t, a.Node, 5*time.Minute, "the removal to hide b's third message", func() bool {
			m := last()
			return m.ID == id3 && m.Hidden != "" && m.Text == ""
		})
		all, _ := a.Messages(comm.ID, gid)
		if p := page(t, a.Node, comm.ID, gid, 0, api.MaxPage); !reflect.DeepEqual(p.Messages, all) {
			t.Fatal("the page and Messages differ after the changes")
		}
	})
}

// TestUnread: others' messages are unread until MarkRead; mentions of the
// member count apart; a muted group does not count in its community; read
// marks and mutes survive a restart; a newcomer does not find what was
// said before it came unread.
func TestUnread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		bHome, bStore := t.TempDir(), store.NewMemory()
		b := sn.start(bHome, "Ben", bStore)
		c := sn.start(t.TempDir(), "Chloe", store.NewMemory())
		t.Cleanup(func() { a.Close(); c.Close() })
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := b.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		gid := general(t, a.Node, comm.ID)
		var mention crdt.ID
		for _, text := range []string{"Welcome!", "Training at 8", "@Ben your kit shipped", "@Ben call me"} {
			id, err := a.Post(ctx, comm.ID, gid, text)
			if err != nil {
				t.Fatal(err)
			}
			mention = id
		}
		if _, err := a.Post(ctx, comm.ID, comm.ID, "Promotion starts Monday"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Post(ctx, comm.ID, gid, "Thanks!"); err != nil { // b's own: never unread
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to hold a's posts", func() bool {
			return len(texts(t, b.Node, comm.ID, gid)) == 5 && len(texts(t, b.Node, comm.ID, comm.ID)) == 1
		})
		if g := groupOf(t, b.Node, comm.ID, gid); g.Unread != 4 || g.Mentions != 2 || g.Muted {
			t.Fatalf("b's General: %+v", g)
		}
		// A deleted message still takes its place, but mentions no one.
		if err := a.Delete(ctx, comm.ID, gid, mention); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see the deletion", func() bool { return groupOf(t, b.Node, comm.ID, gid).Mentions == 1 })
		if g := groupOf(t, b.Node, comm.ID, gid); g.Unread != 4 {
			t.Fatalf("b's General after a deletion: %+v", g)
		}
		if cm := communityOf(t, b.Node, comm.ID); cm.Unread != 5 || cm.Mentions != 1 {
			t.Fatalf("b's community: %+v", cm)
		}
		if g := groupOf(t, a.Node, comm.ID, gid); g.Unread != 1 || g.Mentions != 0 || g.Members != 2 {
			t.Fatalf("a's General: %+v", g)
		}

		synctest.Wait() // nothing else under way
		events, stop := b.Subscribe()
		if err := b.MarkRead(ctx, comm.ID, gid); err != nil {
			t.Fatal(err)
		}
		if err := b.SetMuted(ctx, comm.ID, comm.ID, true); err != nil {
			t.Fatal(err)
		}
		got := map[api.EventKind]int{}
		for len(events) > 0 {
			e := <-events
			if e.Community == comm.ID {
				got[e.Kind]++
			}
		}
		stop()
		if got[api.EventGroups] != 2 || got[api.EventCommunities] != 2 {
			t.Fatalf("events after MarkRead and SetMuted: %v", got)
		}
		events, stop = b.Subscribe()
		if err := b.MarkRead(ctx, comm.ID, gid); err != nil { // nothing new
			t.Fatal(err)
		}
		if len(events) != 0 {
			t.Fatalf("MarkRead with nothing unread emitted %v", <-events)
		}
		stop()
		if g := groupOf(t, b.Node, comm.ID, gid); g.Unread != 0 || g.Mentions != 0 {
			t.Fatalf("b's General after reading: %+v", g)
		}
		if g := groupOf(t, b.Node, comm.ID, comm.ID); g.Unread != 1 || !g.Muted {
			t.Fatalf("b's muted announcements: %+v", g)
		}
		if cm := communityOf(t, b.Node, comm.ID); cm.Unread != 0 || cm.Mentions != 0 {
			t.Fatalf("b's community counts a muted group: %+v", cm)
		}
		if _, err := a.Post(ctx, comm.ID, gid, "@Ben well done"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to get a's new post", func() bool { return groupOf(t, b.Node, comm.ID, gid).Unread == 1 })

		// A restart keeps the read mark and the mute.
		b.Close()
		b = sn.start(bHome, "Ben", bStore)
		t.Cleanup(func() { b.Close() })
		if g := groupOf(t, b.Node, comm.ID, gid); g.Unread != 1 || g.Mentions != 1 {
			t.Fatalf("b's General after a restart: %+v", g)
		}
		if g := groupOf(t, b.Node, comm.ID, comm.ID); !g.Muted || g.Unread != 1 {
			t.Fatalf("b's announcements after a restart: %+v", g)
		}
		if cm := communityOf(t, b.Node, comm.ID); cm.Unread != 1 || cm.Mentions != 1 {
			t.Fatalf("b's community after a restart: %+v", cm)
		}
		if p := page(t, b.Node, comm.ID, gid, 0, 10); p.FirstUnread != 5 || p.Messages[5].Text != "@Ben well done" {
			t.Fatalf("b's first unread after a restart: %d", p.FirstUnread)
		}
		if err := b.SetMuted(ctx, comm.ID, comm.ID, false); err != nil {
			t.Fatal(err)
		}
		if cm := communityOf(t, b.Node, comm.ID); cm.Unread != 2 {
			t.Fatalf("b's community after unmuting: %+v", cm)
		}

		// A newcomer: what was said before it came is not unread.
		c.skew.Store(int64(time.Minute)) // its join comes after every post so far
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to hold the history", func() bool { return len(texts(t, c.Node, comm.ID, gid)) == 6 })
		if g := groupOf(t, c.Node, comm.ID, gid); g.Unread != 0 || g.Mentions != 0 {
			t.Fatalf("the newcomer's General: %+v", g)
		}
		if p := page(t, c.Node, comm.ID, gid, -1, 10); p.FirstUnread != -1 || p.Total != 6 {
			t.Fatalf("the newcomer's page: first unread %d of %d", p.FirstUnread, p.Total)
		}
		a.skew.Store(int64(2 * time.Minute))
		if _, err := a.Post(ctx, comm.ID, gid, "Welcome Chloe"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to get the welcome", func() bool { return groupOf(t, c.Node, comm.ID, gid).Unread == 1 })
		if p := page(t, c.Node, comm.ID, gid, -1, 10); p.FirstUnread != 6 {
			t.Fatalf("the newcomer's first unread: %d", p.FirstUnread)
		}
		if err := c.MarkRead(ctx, comm.ID, crdt.ID{7}); !errors.Is(err, api.ErrUnknownGroup) {
			t.Fatalf("MarkRead of an unknown group: %v", err)
		}
	})
}

// TestHistoryHiddenQuote: in a community that hides history, a newcomer's
// list starts when it came; a reply to something said before shows its
// quote as missing.
func TestHistoryHiddenQuote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		gid := general(t, a.Node, comm.ID)
		if err := a.UpdateSettings(ctx, comm.ID, api.Settings{Name: "Glow Team", HideHistory: true}); err != nil {
			t.Fatal(err)
		}
		old, err := a.Post(ctx, comm.ID, gid, "before Chloe came")
		if err != nil {
			t.Fatal(err)
		}
		c.skew.Store(int64(time.Minute))
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		a.skew.Store(int64(2 * time.Minute))
		r, err := a.Reply(ctx, comm.ID, gid, old, "as I said")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, c.Node, "c to get the reply", func() bool { _, err := c.Message(comm.ID, gid, r); return err == nil })
		p := page(t, c.Node, comm.ID, gid, 0, 10)
		if p.Total != 1 || p.Messages[0].ID != r {
			t.Fatalf("the newcomer's list: %q", pageTexts(p))
		}
		if q := p.Messages[0].Quote; q == nil || !q.Missing || q.Index != -1 || q.Text != "" || q.ID != old {
			t.Fatalf("quote of a message the newcomer does not see: %+v", q)
		}
		waitFor(t, b.Node, "b to get the reply", func() bool { _, err := b.Message(comm.ID, gid, r); return err == nil })
		if q := page(t, b.Node, comm.ID, gid, -1, 1).Messages[0].Quote; q == nil || q.Missing || q.Index != 0 {
			t.Fatalf("quote for a member who was there: %+v", q)
		}
	})
}

// TestGroupMembers: a group with explicit members lists those, one open to
// everyone lists the community; members this node is connected to are
// online, and the local member always is.
func TestGroupMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		a, b, c, comm := ownerAndMember(t)
		link, _ := a.CreateInvite(ctx, comm.ID, api.InviteOptions{})
		if _, err := c.Join(ctx, link); err != nil {
			t.Fatal(err)
		}
		g, err := a.CreateGroup(ctx, comm.ID, "Leaders", "", "open")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, b.Node, "b to see the group", func() bool { _, err := b.GroupRequests(comm.ID, g.ID); return err == nil })
		if err := b.JoinGroup(ctx, comm.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, a.Node, "a to see b in the group", func() bool { return groupOf(t, a.Node, comm.ID, g.ID).Members == 2 })
		names := func(ms []api.Member) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.Name)
			}
			return out
		}
		ms, err := a.GroupMembers(comm.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(ms); !slices.Equal(got, []string{"Olivia", "Ben"}) {
			t.Fatalf("the group's members: %q", got)
		}
		gid := general(t, a.Node, comm.ID)
		everyone, _ := a.GroupMembers(comm.ID, gid)
		all, _ := a.Members(comm.ID)
		if !reflect.DeepEqual(everyone, all) || len(all) != 3 {
			t.Fatalf("General's members %q, the community's %q", names(everyone), names(all))
		}
		if g := groupOf(t, a.Node, comm.ID, gid); g.Members != 3 {
			t.Fatalf("General has %d members", g.Members)
		}
		if _, err := a.GroupMembers(comm.ID, crdt.ID{5}); !errors.Is(err, api.ErrUnknownGroup) {
			t.Fatalf("unknown group: %v", err)
		}
		online := func(n *Node, name string) bool {
			ms, _ := n.Members(comm.ID)
			for _, m := range ms {
				if m.Name == name {
					return m.Online
				}
			}
			t.Fatalf("no member %s", name)
			return false
		}
		waitFor(t, a.Node, "a to be connected to Ben", func() bool { return online(a.Node, "Ben") })
		if !online(a.Node, "Olivia") {
			t.Fatal("the local member is not online")
		}
		b.Close()
		waitFor(t, a.Node, "Ben to be offline", func() bool { return !online(a.Node, "Ben") })
	})
}

// TestWarmUpAfterStart: a restarted node builds the display list of its
// biggest group by itself, so opening it soon after start is a page away.
func TestWarmUpAfterStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		home, st := t.TempDir(), store.NewMemory()
		n := sn.start(home, "Olivia", st)
		comm, err := n.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		gid := general(t, n.Node, comm.ID)
		for i := range 30 {
			if _, err := n.Post(ctx, comm.ID, gid, fmt.Sprintf("Tip %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		n.Close()
		n = sn.start(home, "Olivia", st)
		defer n.Close()
		synctest.Wait()
		if n.views.Kept(comm.ID, gid) != 30 {
			t.Fatal("General's display list was not built after the restart")
		}
	})
}
