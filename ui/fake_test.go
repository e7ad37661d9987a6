package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// fakeBackend is an in-memory Backend: it really stores communities,
// groups and messages, and emits events like a node.
type fakeBackend struct {
	mu          sync.Mutex
	self        node.Self
	n           byte
	communities []node.Community
	groups      map[crdt.ID][]node.Group
	messages    map[crdt.ID][]node.Message // by group
	subs        []chan node.Event
	posts       []string
	joinErr     error
	clock       time.Time
	status      node.Status
}

func newFake() *fakeBackend {
	return &fakeBackend{
		self:     node.Self{PeerID: "12D3KooWFakePeerIdOfOliviaXyz", Name: "Olivia", SafetyNumber: "05823 11947 60392 48815 90137 27764"},
		groups:   map[crdt.ID][]node.Group{},
		messages: map[crdt.ID][]node.Message{},
		clock:    time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
		status:   node.Status{Network: "online", Peers: []node.PeerStatus{{PeerID: "a"}, {PeerID: "b"}, {PeerID: "c", Relayed: true}}},
	}
}

func (f *fakeBackend) id() crdt.ID {
	f.n++
	return crdt.ID{f.n}
}

func (f *fakeBackend) Self() node.Self { return f.self }

func (f *fakeBackend) Status() node.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// setStatus changes the network status and tells subscribers.
func (f *fakeBackend) setStatus(st node.Status) {
	f.mu.Lock()
	f.status = st
	f.mu.Unlock()
	f.emit(node.Event{Kind: node.EventPeers})
}

func (f *fakeBackend) addCommunity(name, role string, members int) node.Community {
	f.mu.Lock()
	c := node.Community{ID: f.id(), Name: name, Members: members, Role: role}
	f.communities = append(f.communities, c)
	f.groups[c.ID] = []node.Group{
		{ID: c.ID, Name: "Announcements", Kind: node.GroupAnnouncement},
		{ID: f.id(), Name: "General", Kind: node.GroupRegular},
		{ID: f.id(), Name: "Product questions", Kind: node.GroupRegular},
	}
	f.mu.Unlock()
	f.emit(node.Event{Kind: node.EventCommunities, Community: c.ID})
	return c
}

func (f *fakeBackend) CreateCommunity(_ context.Context, name string) (node.Community, error) {
	if strings.TrimSpace(name) == "" {
		return node.Community{}, errors.New("community name is empty")
	}
	return f.addCommunity(name, "owner", 1), nil
}

func (f *fakeBackend) Communities() []node.Community {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.communities)
}

func (f *fakeBackend) Groups(c crdt.ID) ([]node.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	gs, ok := f.groups[c]
	if !ok {
		return nil, errors.New("unknown community")
	}
	return slices.Clone(gs), nil
}

func (f *fakeBackend) CreateInvite(_ context.Context, c crdt.ID, _ node.InviteOptions) (string, error) {
	return "umbrella://join/" + strings.Repeat("Q", 40) + c.Short(), nil
}

func (f *fakeBackend) Join(_ context.Context, link string) (node.Community, error) {
	if f.joinErr != nil {
		return node.Community{}, f.joinErr
	}
	if !strings.HasPrefix(link, "umbrella://join/") {
		return node.Community{}, errors.New("invalid invite link: it must start with umbrella://join/")
	}
	return f.addCommunity("Joined Team", "member", 12), nil
}

func (f *fakeBackend) Post(_ context.Context, c, g crdt.ID, text string) (crdt.ID, error) {
	f.mu.Lock()
	f.posts = append(f.posts, text)
	f.mu.Unlock()
	return f.deliver(c, g, f.self.Name, text, true), nil
}

// deliver adds a message as if it arrived from the network.
func (f *fakeBackend) deliver(c, g crdt.ID, author, text string, mine bool) crdt.ID {
	f.mu.Lock()
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	f.messages[g] = append(f.messages[g], node.Message{ID: id, Author: "peer-" + author, AuthorName: author, Text: text, Time: f.clock, Mine: mine})
	f.mu.Unlock()
	f.emit(node.Event{Kind: node.EventMessages, Community: c, Group: g})
	return id
}

func (f *fakeBackend) Messages(_ crdt.ID, g crdt.ID) ([]node.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages[g]), nil
}

func (f *fakeBackend) Members(c crdt.ID) ([]node.Member, error) {
	return []node.Member{
		{PeerID: f.self.PeerID, Name: f.self.Name, Role: "owner", SafetyNumber: f.self.SafetyNumber},
		{PeerID: "12D3KooWFakePeerIdOfBen", Name: "Ben", Role: "member", SafetyNumber: "71630 02294 55817 38120 94463 10078"},
	}, nil
}

func (f *fakeBackend) Subscribe() (<-chan node.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan node.Event, 64)
	f.subs = append(f.subs, ch)
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if i := slices.Index(f.subs, ch); i >= 0 {
			f.subs = slices.Delete(f.subs, i, i+1)
			close(ch)
		}
	}
}

func (f *fakeBackend) emit(e node.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- e:
		default:
			panic(fmt.Sprintf("fake: subscriber full on %v", e))
		}
	}
}
