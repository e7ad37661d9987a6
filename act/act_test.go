package act

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// signer is a member's Ed25519 key.
type signer = testworld.Signer

func member(i int) signer { return testworld.Member(i) }

// fakeAuthor writes ops as one member straight to the replica and records
// their kinds, in order, into the shared journal.
type fakeAuthor struct {
	rep     *replica.Replica
	s       signer
	journal *[]string
}

func (f fakeAuthor) Write(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	*f.journal = append(*f.journal, kind.String())
	return f.rep.Author(ctx, f.s, cid, log, kind, body)
}

// fakeKeys records the rotations asked for into the shared journal.
type fakeKeys struct{ journal *[]string }

func (f fakeKeys) Rotate(_ context.Context, _, log crdt.ID, reason uint8, exclude *crdt.PublicKey) error {
	*f.journal = append(*f.journal, fmt.Sprintf("rotate %s reason %d excluding %v", log.Short(), reason, exclude != nil))
	return nil
}

func (f fakeKeys) Share(_ context.Context, _ crdt.ID, _ crdt.PublicKey, logs []crdt.ID) error {
	var names []string
	for _, log := range logs {
		names = append(names, log.Short())
	}
	*f.journal = append(*f.journal, "share "+strings.Join(names, ","))
	return nil
}

// fakeViews returns the messages it is given.
type fakeViews struct{ msgs map[crdt.ID]api.Message }

func (f fakeViews) Message(_, _, id crdt.ID) (api.Message, error) {
	m, ok := f.msgs[id]
	if !ok {
		return api.Message{}, api.ErrUnknownMessage
	}
	return m, nil
}

func (fakeViews) FillGroups(crdt.ID, []api.Group) error { return nil }

type testNames struct{}

func (testNames) Name(st *crdt.State, k crdt.PublicKey) string {
	if m := st.Members[k]; m != nil {
		return m.Name
	}
	return "?"
}
func (testNames) PeerID(k crdt.PublicKey) string { return "peer-" + k.String() }
func (testNames) Key(peerID string) (crdt.PublicKey, error) {
	for i := range 10 {
		if k := member(i).Key(); "peer-"+k.String() == peerID {
			return k, nil
		}
	}
	return crdt.PublicKey{}, fmt.Errorf("%w: member %q is not a peer id", crdt.ErrInvalid, peerID)
}

// RelayAddr reads "ADDR/p2p/peer-KEY" for the keys of member(0…9).
func (testNames) RelayAddr(addr string) (crdt.PublicKey, []string, error) {
	i := strings.LastIndex(addr, "/p2p/")
	if i <= 0 {
		return crdt.PublicKey{}, nil, fmt.Errorf("%w: %q does not end in ADDR/p2p/ID", crdt.ErrInvalid, addr)
	}
	for m := range 10 {
		if k := member(m).Key(); "peer-"+k.String() == addr[i+len("/p2p/"):] {
			return k, []string{addr[:i]}, nil
		}
	}
	return crdt.PublicKey{}, nil, fmt.Errorf("%w: no such relay %q", crdt.ErrInvalid, addr)
}

var (
	_ Author  = fakeAuthor{}
	_ Rotator = fakeKeys{}
	_ Views   = fakeViews{}
	_ Names   = testNames{}
)

// world is a community on one replica over the in-memory store, owned by
// member(0) and acted in by it, with a General group everyone is in and
// member(1), Bo, as a member.
type world struct {
	act     *Actions
	rep     *replica.Replica
	c       *testworld.Community
	views   fakeViews
	cid     crdt.ID
	general crdt.ID
	now     time.Time
	journal []string // writes and rotations, in order
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{now: time.UnixMilli(1_000_000_000), views: fakeViews{msgs: map[crdt.ID]api.Message{}}}
	c := testworld.New(t, "Club", w.tick)
	w.c, w.rep, w.cid, w.general = c, c.Rep, c.ID, c.General
	var err error
	w.act, err = New(Config{Author: fakeAuthor{w.rep, c.Owner, &w.journal}, Replica: w.rep, Views: w.views, Names: testNames{},
		Keys: fakeKeys{&w.journal}, Self: c.Owner.Key(), Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	c.AddInvite("Club", w.tick())
	c.Join(member(1), "Bo", w.tick())
	w.journal = nil
	return w
}

// authored writes an op by s on the world's replica, without judging it
// through act, and returns its id.
func (w *world) authored(t *testing.T, s signer, log crdt.ID, kind crdt.Kind, b any) crdt.ID {
	t.Helper()
	w.c.TB = t
	return w.c.Author(s, log, kind, b).ID()
}

// tick moves the clock a second on and returns it in milliseconds.
func (w *world) tick() int64 {
	w.now = w.now.Add(time.Second)
	return w.now.UnixMilli()
}

// TestPostMentionsAndTime: a post names the members it mentions and takes
// its time from the clock it is given.
func TestPostMentionsAndTime(t *testing.T) {
	w := newWorld(t)
	id, err := w.act.Post(t.Context(), w.cid, w.general, "hi @bo  \n")
	if err != nil {
		t.Fatal(err)
	}
	var got *crdt.MessageBody
	err = w.rep.View(w.cid, func(c *crdt.Community) error {
		e := c.Timeline(w.general).Get(id)
		if e == nil {
			return errors.New("the post is not in General")
		}
		b, err := crdt.DecodeBody(e.Op)
		got, _ = b.(*crdt.MessageBody)
		return err
	})
	if err != nil || got == nil {
		t.Fatalf("post: %v", err)
	}
	if got.Text != "hi @bo" || got.Time != w.now.UnixMilli() || len(got.Mentions) != 1 || crdt.PublicKey(got.Mentions[0]) != member(1).Key() {
		t.Errorf("post body = %+v", got)
	}
}

// TestRefusedBeforeWriting: actions on what does not exist, or with bad
// input, fail with the API's errors and write nothing.
func TestRefusedBeforeWriting(t *testing.T) {
	w := newWorld(t)
	missing := crdt.ID{9}
	ctx := t.Context()
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"edit of an unknown message", func() error { return w.act.Edit(ctx, w.cid, w.general, missing, "x") }, api.ErrUnknownMessage},
		{"reaction in an unknown group", func() error { return w.act.React(ctx, w.cid, missing, missing, "👍", true) }, api.ErrUnknownGroup},
		{"reaction with a run of emoji", func() error { return w.act.React(ctx, w.cid, w.general, missing, "👍👍", true) }, crdt.ErrInvalid},
		{"reply to an unknown message", func() error { _, err := w.act.Reply(ctx, w.cid, w.general, missing, "x"); return err }, api.ErrUnknownMessage},
		{"poll closing in the past", func() error {
			_, err := w.act.CreatePoll(ctx, w.cid, w.general, "?", []string{"a", "b"}, false, w.now.Add(-time.Minute))
			return err
		}, crdt.ErrInvalid},
		{"vote for an option twice", func() error { return w.act.Vote(ctx, w.cid, w.general, missing, []int{1, 1}) }, crdt.ErrInvalid},
		{"unknown role", func() error { return w.act.SetRole(ctx, w.cid, testNames{}.PeerID(member(1).Key()), "king") }, crdt.ErrInvalid},
		{"removal of a stranger", func() error { return w.act.RemoveMember(ctx, w.cid, testNames{}.PeerID(member(3).Key())) }, api.ErrUnknownMember},
		{"bad join policy", func() error { return w.act.UpdateSettings(ctx, w.cid, api.Settings{Name: "Club", JoinPolicy: "never"}) }, crdt.ErrInvalid},
		{"revoking an unknown invite", func() error { return w.act.RevokeInvite(ctx, w.cid, missing) }, crdt.ErrInvalid},
		{"deciding a request nobody made", func() error { return w.act.DecideJoin(ctx, w.cid, "peer-x", true) }, crdt.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if len(w.journal) != 0 {
				t.Errorf("wrote %v", w.journal)
			}
		})
	}
}

// TestVoteOnClosedPoll: a vote on a poll whose closing time has passed is
// refused before it is written.
func TestVoteOnClosedPoll(t *testing.T) {
	w := newWorld(t)
	poll, err := w.act.CreatePoll(t.Context(), w.cid, w.general, "Lunch?", []string{"yes", "no"}, false, w.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	closes := w.now.Add(time.Hour)
	w.views.msgs[poll] = api.Message{ID: poll, Poll: &api.Poll{Question: "Lunch?", Closes: &closes}}
	if err := w.act.Vote(t.Context(), w.cid, w.general, poll, []int{0}); err != nil {
		t.Fatalf("vote on an open poll: %v", err)
	}
	w.now = w.now.Add(2 * time.Hour)
	w.journal = nil
	if err := w.act.Vote(t.Context(), w.cid, w.general, poll, []int{1}); !errors.Is(err, crdt.ErrInvalid) {
		t.Errorf("vote on a closed poll: err = %v, want ErrInvalid", err)
	}
	if len(w.journal) != 0 {
		t.Errorf("wrote %v", w.journal)
	}
}

// TestRemoveMemberRenewsKeysFirst: before the removal is written, every
// log the member could read gets new keys withheld from it.
func TestRemoveMemberRenewsKeysFirst(t *testing.T) {
	w := newWorld(t)
	logs := []crdt.ID{crdt.ZeroID} // and the announcement group and General, which Bo reads
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		for gid := range c.State().Groups {
			logs = append(logs, gid)
		}
		return nil
	})
	if len(logs) != 3 {
		t.Fatalf("logs = %v, want the community's, the announcement group's and General's", logs)
	}
	if err := w.act.RemoveMember(t.Context(), w.cid, testNames{}.PeerID(member(1).Key())); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(logs, crdt.ID.Compare)
	var want []string
	for _, l := range logs {
		want = append(want, fmt.Sprintf("rotate %s reason %d excluding true", l.Short(), crdt.RekeyRemoval))
	}
	want = append(want, crdt.KindRemove.String())
	if !slices.Equal(w.journal, want) {
		t.Errorf("journal = %q, want %q", w.journal, want)
	}
	_ = w.rep.View(w.cid, func(c *crdt.Community) error {
		if c.State().Role(member(1).Key()) != crdt.RoleNone {
			t.Error("Bo is still a member")
		}
		return nil
	})
}

// TestCreateGroupGetsKeys: a new group gets its first keys and is listed
// after the announcement group.
func TestCreateGroupGetsKeys(t *testing.T) {
	w := newWorld(t)
	g, err := w.act.CreateGroup(t.Context(), w.cid, " Books ", "", "approval")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Books" || g.Policy != crdt.PolicyApproval.String() || !g.Joined {
		t.Errorf("group = %+v", g)
	}
	want := []string{crdt.KindGroupCreate.String(), fmt.Sprintf("rotate %s reason %d excluding false", g.ID.Short(), crdt.RekeyInitial)}
	if !slices.Equal(w.journal, want) {
		t.Errorf("journal = %q, want %q", w.journal, want)
	}
	gs, err := w.act.Groups(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	if len(gs) == 0 || gs[0].Kind != api.GroupAnnouncement || !slices.Contains(names, "Books") || !slices.Contains(names, "General") {
		t.Errorf("groups = %q", names)
	}
}
