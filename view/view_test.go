package view

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

func page(t *testing.T, v *Views, cid, gid crdt.ID, from, limit int) api.Page {
	t.Helper()
	p, err := v.MessagePage(cid, gid, from, limit)
	if err != nil {
		t.Fatalf("MessagePage(%d, %d): %v", from, limit, err)
	}
	return p
}

func ids(ms []api.Message) []crdt.ID {
	var out []crdt.ID
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// TestPages: pages are windows of the list Messages returns, with their
// indexes, the quotes of replies (of a deleted message too) and the first
// unread message; limits are clamped and a page past the end is empty.
func TestPages(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	gid := w.general
	var tips []crdt.ID
	for i := range 10 {
		s := olivia
		if i%2 == 1 {
			s = ben
		}
		tips = append(tips, w.post(s, gid, fmt.Sprintf("tip %d", i)))
	}
	long := strings.Repeat("Süßes, ", 40)
	longID := w.post(ben, gid, long)
	r1 := w.reply(ben, gid, tips[2], "answering tip 2")
	r2 := w.reply(ben, gid, longID, "answering the long one")
	r3 := w.reply(ben, gid, tips[4], "answering tip 4")
	w.write(olivia, gid, crdt.KindDelete, &crdt.DeleteBody{Target: tips[4].Bytes(), Time: w.now()})

	v := w.views(olivia)
	all, err := v.Messages(w.cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 14 {
		t.Fatalf("%d messages, want 14", len(all))
	}
	var joined []api.Message
	for from := 0; from < len(all); from += 3 {
		p := page(t, v, w.cid, gid, from, 3)
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
	if m := all[1]; m.Author != "peer-"+ben.Key().String()[:12] || m.AuthorName != "Ben" || m.Mine || !all[0].Mine {
		t.Fatalf("authors: %+v, %+v", all[0], m)
	}
	cases := []struct {
		name        string
		from, limit int
		wantFrom    int
		want        int
	}{
		{"last 4", -1, 4, 10, 4},
		{"last 100 of 14", -1, 100, 0, 14},
		{"limit 0 is 1", 3, 0, 3, 1},
		{"a huge limit", 0, api.MaxPage + 1000, 0, 14},
		{"past the end", 20, 5, 14, 0},
	}
	for _, tc := range cases {
		p := page(t, v, w.cid, gid, tc.from, tc.limit)
		if p.From != tc.wantFrom || len(p.Messages) != tc.want || p.Total != 14 {
			t.Errorf("%s: from %d, %d messages of %d", tc.name, p.From, len(p.Messages), p.Total)
		}
	}
	if _, err := v.MessagePage(w.cid, crdt.ID{9}, 0, 5); !errors.Is(err, api.ErrUnknownGroup) {
		t.Fatalf("unknown group: %v", err)
	}
	if _, err := v.Message(w.cid, gid, crdt.ID{9}); !errors.Is(err, api.ErrUnknownMessage) {
		t.Fatalf("unknown message: %v", err)
	}
	byID := map[crdt.ID]api.Message{}
	for _, m := range all {
		byID[m.ID] = m
	}
	if q := byID[r1].Quote; q == nil || q.ID != tips[2] || q.Text != "tip 2" || q.AuthorName != "Olivia" || q.Index != 2 || q.Deleted || q.Missing {
		t.Fatalf("quote of tip 2: %+v", q)
	}
	if q := byID[r2].Quote; q == nil || q.Text != string([]rune(long)[:api.QuoteRunes]) || q.AuthorName != "Ben" {
		t.Fatalf("quote of the long message: %+v", q)
	}
	if q := byID[r3].Quote; q == nil || !q.Deleted || q.Text != "" || q.Index != 4 {
		t.Fatalf("quote of a deleted message: %+v", q)
	}
	if m := byID[tips[4]]; !m.Deleted || m.DeletedBy != "Olivia" {
		t.Fatalf("the deleted message: %+v", m)
	}
	if m, err := v.Message(w.cid, gid, r1); err != nil || !reflect.DeepEqual(m, byID[r1]) {
		t.Fatalf("Message: %+v, %v", m, err)
	}

	// FirstUnread: Ben's first message, until Olivia has read.
	if p := page(t, v, w.cid, gid, -1, 5); p.FirstUnread != 1 {
		t.Fatalf("first unread %d, want 1", p.FirstUnread)
	}
	if err := v.MarkRead(ctx, w.cid, gid); err != nil {
		t.Fatal(err)
	}
	if p := page(t, v, w.cid, gid, -1, 5); p.FirstUnread != -1 {
		t.Fatalf("first unread %d after reading", p.FirstUnread)
	}
	w.post(ben, gid, "one more")
	if p := page(t, v, w.cid, gid, -1, 5); p.Total != 15 || p.FirstUnread != 14 {
		t.Fatalf("after a new message: first unread %d of %d, want 14 of 15", p.FirstUnread, p.Total)
	}
}

// TestListSeesChanges: what changes a page — a new message, an edit, a
// reaction, a rename of its author, a vote — shows on the next page of a
// list already built.
func TestListSeesChanges(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	gid := w.general
	hello := w.post(ben, gid, "hello")
	v := w.views(olivia)
	text := func() api.Message { return page(t, v, w.cid, gid, -1, 1).Messages[0] }
	if m := text(); m.Text != "hello" || m.AuthorName != "Ben" {
		t.Fatalf("first: %+v", m)
	}
	w.write(ben, gid, crdt.KindEdit, &crdt.EditBody{Target: hello.Bytes(), Text: "hello all", Time: w.now()})
	if m := text(); m.Text != "hello all" || !m.Edited {
		t.Fatalf("after an edit: %+v", m)
	}
	w.write(olivia, gid, crdt.KindReaction, &crdt.ReactionBody{Target: hello.Bytes(), Emoji: "👍", On: true, Time: w.now()})
	if m := text(); len(m.Reactions) != 1 || m.Reactions[0].Count != 1 || !m.Reactions[0].Mine || m.Reactions[0].By[0] != "Olivia" {
		t.Fatalf("after a reaction: %+v", m.Reactions)
	}
	w.write(ben, crdt.ZeroID, crdt.KindProfile, &crdt.ProfileBody{Name: "Ben Li", Time: w.now()})
	if m := text(); m.AuthorName != "Ben Li" {
		t.Fatalf("after a rename: %+v", m)
	}
	poll := w.write(ben, gid, crdt.KindPoll, &crdt.PollBody{Question: "Which day?", Options: []string{"Mon", "Thu"}, Time: w.now()})
	w.write(olivia, gid, crdt.KindVote, &crdt.VoteBody{Poll: poll.Bytes(), Choices: []uint8{1}, Time: w.now()})
	m := text()
	if m.Poll == nil || m.Poll.Voters != 1 || !slices.Equal(m.Poll.MyChoices, []int{1}) || m.Poll.Options[1].Votes != 1 || m.Poll.Options[1].By[0] != "Olivia" {
		t.Fatalf("a poll with a vote: %+v", m.Poll)
	}
}

// TestSearchAndPinned: search ignores case, looks at texts, polls and
// author names, skips deleted messages and lists the newest first; pins
// come oldest first.
func TestSearchAndPinned(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	gid := w.general
	t1 := w.post(olivia, gid, "Tip: call new customers within 48 hours")
	t2 := w.post(olivia, gid, "Another TIP: bring samples")
	gone := w.post(olivia, gid, "tip that was wrong")
	w.write(olivia, gid, crdt.KindDelete, &crdt.DeleteBody{Target: gone.Bytes(), Time: w.now()})
	poll := w.write(olivia, gid, crdt.KindPoll, &crdt.PollBody{Question: "Which day?", Options: []string{"Monday", "Thursday"}, Time: w.now()})
	uber := w.post(olivia, gid, "Über-Angebot für Kunden")
	hi := w.post(ben, gid, "Hello everyone")
	v := w.views(olivia)
	all, err := v.Messages(w.cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		limit int
		want  []crdt.ID
	}{
		{"tip", 10, []crdt.ID{t2, t1}},
		{"  TIP ", 1, []crdt.ID{t2}},
		{"thurs", 10, []crdt.ID{poll}},
		{"which", 10, []crdt.ID{poll}},
		{"BEN", 10, []crdt.ID{hi}},
		{"über", 10, []crdt.ID{uber}},
		{"nothing like it", 10, nil},
	}
	for _, tc := range cases {
		got, err := v.Search(w.cid, gid, tc.query, tc.limit)
		if err != nil {
			t.Fatalf("search %q: %v", tc.query, err)
		}
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("search %q: %v, want %v", tc.query, ids(got), tc.want)
		}
		for _, m := range got {
			if all[m.Index].ID != m.ID {
				t.Errorf("search %q: %s has index %d", tc.query, m.ID.Short(), m.Index)
			}
		}
	}
	if _, err := v.Search(w.cid, gid, "  ", 10); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("blank search: %v", err)
	}
	w.write(olivia, gid, crdt.KindPin, &crdt.PinBody{Target: t2.Bytes(), On: true, Time: w.now()})
	w.write(olivia, gid, crdt.KindPin, &crdt.PinBody{Target: t1.Bytes(), On: true, Time: w.now()})
	pins, err := v.Pinned(w.cid, gid)
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 2 || pins[0].ID != t2 || pins[1].ID != t1 || pins[0].Index != 1 || pins[1].Index != 0 || !pins[0].Pinned {
		t.Fatalf("pins %+v", pins)
	}
}

// TestContainsLower: the ASCII fast path agrees with strings.Contains over
// lower-cased text.
func TestContainsLower(t *testing.T) {
	for _, s := range []string{"", "Tip", "TIP: bring samples", "über ALLES", "ÜBER", "tIpTiP"} {
		for _, q := range []string{"", "tip", "p: b", "über", "alles", "tipt", "x"} {
			want := strings.Contains(strings.ToLower(s), q)
			if got := containsLower(s, q); got != want {
				t.Errorf("containsLower(%q, %q) = %v, want %v", s, q, got, want)
			}
		}
	}
}

// TestUnread: unread messages and mentions per group and per community,
// against read marks and mutes kept in Meta: a deleted message keeps its
// place but mentions no one, a muted group does not count in its
// community, marks and mutes outlive the Views that set them, and a
// newcomer does not find what was said before it came unread.
func TestUnread(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "Glow Team")
	olivia, ben, chloe := w.owner, member(1), member(2)
	w.join(ben, "Ben")
	gid, ann := w.general, w.cid
	var mention crdt.ID
	for i, text := range []string{"Welcome!", "Training at 8", "@Ben your kit shipped", "@Ben call me"} {
		if i >= 2 {
			mention = w.post(olivia, gid, text, ben)
		} else {
			w.post(olivia, gid, text)
		}
	}
	w.post(olivia, ann, "Promotion starts Monday")
	w.post(ben, gid, "Thanks!") // Ben's own: never unread

	var events []api.Event
	v := w.viewsEmitting(ben, func(e api.Event) { events = append(events, e) })
	groups := func(v *Views) (general, announcements api.Group) {
		t.Helper()
		gs := []api.Group{{ID: ann, Joined: true}, {ID: gid, Joined: true}}
		if err := v.FillGroups(w.cid, gs); err != nil {
			t.Fatal(err)
		}
		return gs[1], gs[0]
	}
	community := func(v *Views) (unread, mentions int) {
		t.Helper()
		u, m, err := v.Unread(w.cid)
		if err != nil {
			t.Fatal(err)
		}
		return u, m
	}
	if g, _ := groups(v); g.Unread != 4 || g.Mentions != 2 || g.Muted {
		t.Fatalf("Ben's General: %+v", g)
	}
	w.write(olivia, gid, crdt.KindDelete, &crdt.DeleteBody{Target: mention.Bytes(), Time: w.now()})
	if g, _ := groups(v); g.Unread != 4 || g.Mentions != 1 {
		t.Fatalf("Ben's General after a deletion: %+v", g)
	}
	if u, m := community(v); u != 5 || m != 1 {
		t.Fatalf("Ben's community: %d unread, %d mentions", u, m)
	}
	if g, _ := groups(w.views(olivia)); g.Unread != 1 || g.Mentions != 0 {
		t.Fatalf("Olivia's General: %+v", g)
	}
	if g := []api.Group{{ID: gid}}; v.FillGroups(w.cid, g) != nil || g[0].Unread != 0 {
		t.Fatalf("a group not joined counts %+v", g[0])
	}

	if err := v.MarkRead(ctx, w.cid, gid); err != nil {
		t.Fatal(err)
	}
	if err := v.SetMuted(ctx, w.cid, ann, true); err != nil {
		t.Fatal(err)
	}
	// Only what is unread changed (api.Event.Unread).
	want := []api.Event{{Kind: api.EventGroups, Community: w.cid, Unread: true}, {Kind: api.EventCommunities, Community: w.cid, Unread: true}}
	if !reflect.DeepEqual(events, append(want, want...)) {
		t.Fatalf("events after MarkRead and SetMuted: %v", events)
	}
	events = nil
	if err := v.MarkRead(ctx, w.cid, gid); err != nil { // nothing new
		t.Fatal(err)
	}
	if err := v.SetMuted(ctx, w.cid, ann, true); err != nil { // no change
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Fatalf("MarkRead and SetMuted that change nothing emitted %v", events)
	}
	if g, a := groups(v); g.Unread != 0 || g.Mentions != 0 || a.Unread != 1 || !a.Muted {
		t.Fatalf("after reading General and muting Announcements: %+v, %+v", g, a)
	}
	if u, m := community(v); u != 0 || m != 0 {
		t.Fatalf("the community counts a muted group: %d, %d", u, m)
	}
	w.post(olivia, gid, "@Ben well done", ben)

	// New Views over the same Meta (a restart) keep the mark and the mute.
	v = w.views(ben)
	if g, a := groups(v); g.Unread != 1 || g.Mentions != 1 || !a.Muted || a.Unread != 1 {
		t.Fatalf("after a restart: %+v, %+v", g, a)
	}
	if u, m := community(v); u != 1 || m != 1 {
		t.Fatalf("the community after a restart: %d, %d", u, m)
	}
	if p := page(t, v, w.cid, gid, 0, 10); p.FirstUnread != 5 || p.Messages[5].Text != "@Ben well done" {
		t.Fatalf("first unread after a restart: %d", p.FirstUnread)
	}
	if err := v.SetMuted(ctx, w.cid, ann, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := community(v); u != 2 {
		t.Fatalf("the community after unmuting: %d", u)
	}

	// A newcomer: what was said before it came is not unread.
	w.clock += 60_000
	w.join(chloe, "Chloe")
	c := w.views(chloe)
	if g, _ := groups(c); g.Unread != 0 || g.Mentions != 0 {
		t.Fatalf("the newcomer's General: %+v", g)
	}
	if p := page(t, c, w.cid, gid, -1, 10); p.FirstUnread != -1 || p.Total != 6 {
		t.Fatalf("the newcomer's page: first unread %d of %d", p.FirstUnread, p.Total)
	}
	w.post(olivia, gid, "Welcome Chloe")
	if g, _ := groups(c); g.Unread != 1 {
		t.Fatalf("the newcomer's General after a welcome: %+v", g)
	}
	if p := page(t, c, w.cid, gid, -1, 10); p.FirstUnread != 6 {
		t.Fatalf("the newcomer's first unread: %d", p.FirstUnread)
	}
	if err := c.MarkRead(ctx, w.cid, crdt.ID{7}); !errors.Is(err, api.ErrUnknownGroup) {
		t.Fatalf("MarkRead of an unknown group: %v", err)
	}
	if err := c.SetMuted(ctx, w.cid, crdt.ID{7}, true); !errors.Is(err, api.ErrUnknownGroup) {
		t.Fatalf("SetMuted of an unknown group: %v", err)
	}
	if _, _, err := c.Unread(crdt.ID{7}); err == nil {
		t.Fatal("Unread of an unknown community")
	}
}

// TestCorruptReadMark: a read mark that does not parse counts the group as
// never read, as a newcomer's: what was said before the member came is read.
func TestCorruptReadMark(t *testing.T) {
	w := newWorld(t, "Glow Team")
	ben := member(1)
	w.post(w.owner, w.general, "before Ben came")
	w.join(ben, "Ben")
	w.post(w.owner, w.general, "after")
	if err := w.meta(ben).PutMeta(context.Background(), readKey(w.cid, w.general), []byte("lots")); err != nil {
		t.Fatal(err)
	}
	gs := []api.Group{{ID: w.general, Joined: true}}
	if err := w.views(ben).FillGroups(w.cid, gs); err != nil || gs[0].Unread != 1 {
		t.Fatalf("with a corrupt read mark: %+v, %v", gs[0], err)
	}
}

// TestHistoryHidden: in a community that hides history, a newcomer's list
// starts when it came, its counts ignore what came before, and a reply to
// something said before shows its quote as missing.
func TestHistoryHidden(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben, chloe := w.owner, member(1), member(2)
	w.join(ben, "Ben")
	w.write(olivia, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow Team", HideHistory: true, Time: w.now()})
	gid := w.general
	old := w.post(olivia, gid, "before Chloe came")
	w.join(chloe, "Chloe")
	r := w.reply(olivia, gid, old, "as I said")
	p := page(t, w.views(chloe), w.cid, gid, 0, 10)
	if p.Total != 1 || p.Messages[0].ID != r || p.FirstUnread != 0 {
		t.Fatalf("the newcomer's list: %+v", p)
	}
	if q := p.Messages[0].Quote; q == nil || !q.Missing || q.Index != -1 || q.Text != "" || q.ID != old {
		t.Fatalf("quote of a message the newcomer does not see: %+v", q)
	}
	gs := []api.Group{{ID: gid, Joined: true}}
	if err := w.views(chloe).FillGroups(w.cid, gs); err != nil || gs[0].Unread != 1 {
		t.Fatalf("the newcomer's counts: %+v, %v", gs[0], err)
	}
	if q := page(t, w.views(ben), w.cid, gid, -1, 1).Messages[0].Quote; q == nil || q.Missing || q.Index != 0 {
		t.Fatalf("quote for a member who was there: %+v", q)
	}
}

// TestShownListsBounded: the display lists kept are few and, but for the
// one read last, small; the ones read least recently go first.
func TestShownListsBounded(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int // posts of each list, read in this order
		want  []int // indexes of the lists kept
	}{
		{"few and small", []int{10, 20, 30}, []int{0, 1, 2}},
		{"too many", []int{1, 2, 3, 4, 5, 6}, []int{2, 3, 4, 5}},
		{"too big", []int{150_000, 10, 100_000}, []int{1, 2}},
		{"one huge", []int{10, 500_000}, []int{1}},
	}
	for _, tc := range cases {
		v := &Views{lists: map[groupKey]*shownList{}}
		for i, size := range tc.sizes {
			v.lists[groupKey{group: crdt.ID{byte(i)}}] = &shownList{folded: size, used: uint64(i + 1)}
			v.evictShown()
		}
		var kept []int
		for i := range tc.sizes {
			if v.Kept(crdt.ID{}, crdt.ID{byte(i)}) != 0 {
				kept = append(kept, i)
			}
		}
		if !slices.Equal(kept, tc.want) {
			t.Errorf("%s: kept %v, want %v", tc.name, kept, tc.want)
		}
	}
}

// TestWarmUp: WarmUp builds the display lists of the biggest groups the
// member may read, and nothing once its context is done.
func TestWarmUp(t *testing.T) {
	w := newWorld(t, "Glow Team")
	for i := range 30 {
		w.post(w.owner, w.general, fmt.Sprintf("Tip %d", i))
	}
	w.post(w.owner, w.cid, "Welcome")
	done, cancel := context.WithCancel(t.Context())
	cancel()
	v := w.views(w.owner)
	v.WarmUp(done)
	if v.Kept(w.cid, w.general) != 0 {
		t.Fatal("WarmUp built a list after its context ended")
	}
	v.WarmUp(t.Context())
	if v.Kept(w.cid, w.general) != 30 || v.Kept(w.cid, w.cid) != 1 {
		t.Fatalf("after WarmUp: General %d, Announcements %d", v.Kept(w.cid, w.general), v.Kept(w.cid, w.cid))
	}
}

// TestConfigValidate: a Views cannot be made without what it reads.
func TestConfigValidate(t *testing.T) {
	w := newWorld(t, "Glow Team")
	good := Config{Replica: w.rep, Meta: w.meta(w.owner), Names: testNames{}}
	if _, err := New(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"no replica": {Meta: good.Meta, Names: good.Names},
		"no meta":    {Replica: good.Replica, Names: good.Names},
		"no names":   {Replica: good.Replica, Meta: good.Meta},
	} {
		if _, err := New(t.Context(), cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// TestPrivateOfOthersRefused: a member who is not a participant of a
// private conversation gets no page, message, pins or search of it, even
// from a store that holds its text (no keys are needed to say no), while
// its participants read it.
func TestPrivateOfOthersRefused(t *testing.T) {
	w := newWorld(t, "Glow Team")
	ben, cy := member(1), member(2)
	w.join(ben, "Ben")
	w.join(cy, "Cy")
	dm := w.write(ben, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{
		Policy: crdt.PolicyPrivate, Participants: [][]byte{cy.PublicKey()}, Time: w.now()})
	id := w.post(ben, dm, "the starter kit price")
	if ms, err := w.views(cy).Messages(w.cid, dm); err != nil || len(ms) != 1 {
		t.Fatalf("a participant reads %+v, %v", ms, err)
	}
	v := w.views(w.owner)
	if ms, err := v.Messages(w.cid, dm); !errors.Is(err, api.ErrUnknownGroup) || len(ms) != 0 {
		t.Errorf("Messages: %+v, %v", ms, err)
	}
	if p, err := v.MessagePage(w.cid, dm, 0, 10); !errors.Is(err, api.ErrUnknownGroup) || len(p.Messages) != 0 {
		t.Errorf("MessagePage: %+v, %v", p, err)
	}
	if m, err := v.Message(w.cid, dm, id); !errors.Is(err, api.ErrUnknownGroup) || m.Text != "" {
		t.Errorf("Message: %+v, %v", m, err)
	}
	if ms, err := v.Search(w.cid, dm, "kit", 10); !errors.Is(err, api.ErrUnknownGroup) || len(ms) != 0 {
		t.Errorf("Search: %+v, %v", ms, err)
	}
	if ms, err := v.Pinned(w.cid, dm); !errors.Is(err, api.ErrUnknownGroup) || len(ms) != 0 {
		t.Errorf("Pinned: %+v, %v", ms, err)
	}
}

// TestHistoryHiddenFromAnAddedMember: where history is hidden, a member an
// admin adds to a group sees it from the add on.
func TestHistoryHiddenFromAnAddedMember(t *testing.T) {
	w := newWorld(t, "Glow Team")
	olivia, ben := w.owner, member(1)
	w.join(ben, "Ben")
	w.write(olivia, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{Name: "Glow Team", HideHistory: true, Time: w.now()})
	gid := w.write(olivia, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Team leaders", Policy: crdt.PolicyApproval, Time: w.now()})
	w.post(olivia, gid, "before Ben was added")
	bk := ben.Key()
	w.write(olivia, crdt.ZeroID, crdt.KindGroupAdd, &crdt.GroupAddBody{Group: gid[:], Member: bk[:], Time: w.now()})
	after := w.post(olivia, gid, "welcome, Ben")
	if p := page(t, w.views(ben), w.cid, gid, 0, 10); p.Total != 1 || p.Messages[0].ID != after {
		t.Fatalf("the added member's list: %+v", p)
	}
}
