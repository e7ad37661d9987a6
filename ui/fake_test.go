package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeBackend is an in-memory Backend: it really keeps communities, groups,
// members, messages, reactions, polls, invites and read state, follows the
// community rules by asking crdt (fake_rules_test.go: who may post, pin,
// promote; the capability flags), and emits events like a node.
type fakeBackend struct {
	mu          sync.Mutex
	callRecs    []*fakeCall // fake_calls_test.go
	self        api.Self
	n           int
	communities []*fakeCommunity
	subs        []chan api.Event
	posts       []string // every text posted or replied, in order
	joinErr     error
	joinStages  []api.JoinProgress // reported by JoinWithProgress
	// onJoinStage, if set, runs after each stage is reported.
	onJoinStage func(api.JoinProgress)
	// joinAsks: joins wait for an admin's approval; sent lists them.
	joinAsks bool
	sent     []api.SentRequest
	// joinName is the community invite links join; "" means "Joined Team".
	joinName string
	// inviter and joinDesc are what short links say of who invited and
	// of the community.
	inviter, joinDesc string
	clock             time.Time
	status            api.Status
	// fail makes the named method return the error once.
	fail map[string]error
	// calls counts calls per method name.
	calls map[string]int
	// safetyAsked counts the safety numbers SafetyNumbers gave.
	safetyAsked int
	// files are the shared files and how to move them (fake_files_test.go).
	files fakeFiles
	// contacts are the people the member shares a community with
	// (fake_addpeople_test.go).
	contacts []api.Contact
}

type fakeCommunity struct {
	info     api.Community
	settings api.Settings
	groups   []*fakeGroup
	members  []api.Member
	requests []api.JoinRequest
	invites  []api.InviteInfo
	audit    []api.AuditEntry
	order    []crdt.ID // the admins' order of groups (OrderGroups)

	// relays are the registered relays as the device sees them
	// (fake_relay_test.go).
	relays []api.RelayState
	team   *fakeTeam // first steps and newcomers (fake_team_test.go)
	// adminsCelebrate: only admins celebrate wins (SetAdminsCelebrate).
	adminsCelebrate bool
	// inviters overrides TeamTree's who invited whom, by peer id
	// (fake_team_test.go).
	inviters map[string]string
}

type fakeGroup struct {
	info api.Group
	msgs []api.Message
	// readOthers is how many messages by others the member has read.
	readOthers int
	requests   []api.JoinRequest
	denied     []string // peer ids whose latest request an admin denied
	members    []string // peer ids; nil means every member
	// participants are everyone a private conversation (Kind
	// GroupPrivate) was started with, the local member included; members
	// those of them still in it.
	participants []string
	// leftNames are the names of participants no longer in it.
	leftNames map[string]string
	pins      []crdt.ID
}

func newFake() *fakeBackend {
	return &fakeBackend{
		self:   api.Self{PeerID: "12D3KooWFakePeerIdOfOliviaXyz", Name: "Olivia", SafetyNumber: "05823 11947 60392 48815 90137 27764"},
		clock:  time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
		status: api.Status{Network: "online", Peers: []api.PeerStatus{{PeerID: "a"}, {PeerID: "b"}, {PeerID: "c", Relayed: true}}},
		fail:   map[string]error{},
		calls:  map[string]int{},
	}
}

// enter is called by every method: it counts the call and returns the
// injected failure, if any. Callers hold f.mu.
func (f *fakeBackend) enter(method string) error {
	f.calls[method]++
	if err, ok := f.fail[method]; ok {
		delete(f.fail, method)
		return err
	}
	return nil
}

// failNext makes the next call of method fail with err.
func (f *fakeBackend) failNext(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = err
}

func (f *fakeBackend) id() crdt.ID {
	f.n++
	var id crdt.ID
	id[0], id[1], id[2] = byte(f.n>>16), byte(f.n>>8), byte(f.n)
	id[31] = 0xfa
	return id
}

func (f *fakeBackend) Self() api.Self { return f.self }

func (f *fakeBackend) Status() api.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// setStatus changes the network status and tells subscribers.
func (f *fakeBackend) setStatus(st api.Status) {
	f.mu.Lock()
	f.status = st
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventPeers})
}

var fakePeople = []api.Member{
	{PeerID: "12D3KooWFakePeerIdOfBen", Name: "Ben", Role: "member", SafetyNumber: "71630 02294 55817 38120 94463 10078", Online: true},
	{PeerID: "12D3KooWFakePeerIdOfChloe", Name: "Chloe", Role: "member", SafetyNumber: "30418 77102 64590 11873 20655 91334"},
	{PeerID: "12D3KooWFakePeerIdOfDev", Name: "Dev", Role: "member", SafetyNumber: "88213 40076 19934 56218 07741 62905", Online: true},
}

// addCommunity adds a community with an announcement group and two groups;
// members beyond the local one and the named fake people are counted only.
func (f *fakeBackend) addCommunity(name, role string, members int) api.Community {
	f.mu.Lock()
	c := &fakeCommunity{info: api.Community{ID: f.id(), Name: name, Members: members, Role: role}}
	c.settings = api.Settings{Name: name, JoinPolicy: "link", MembersCreateGroups: true}
	c.members = append(c.members, api.Member{PeerID: f.self.PeerID, Name: f.self.Name, Role: role, SafetyNumber: f.self.SafetyNumber, Online: true})
	for i := 0; i < min(len(fakePeople), members-1); i++ {
		c.members = append(c.members, fakePeople[i])
	}
	c.groups = []*fakeGroup{
		{info: api.Group{ID: c.info.ID, Name: "Announcements", Kind: api.GroupAnnouncement, Policy: "everyone", Joined: true}},
		{info: api.Group{ID: f.id(), Name: "General", Kind: api.GroupRegular, Policy: "everyone", Joined: true}},
		{info: api.Group{ID: f.id(), Name: "Product questions", Kind: api.GroupRegular, Policy: "open", Joined: true}},
	}
	f.communities = append(f.communities, c)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: c.info.ID})
	return f.summary(c)
}

// addGroup adds a group the local member has not joined.
func (f *fakeBackend) addGroup(cid crdt.ID, name, policy string, joined bool) crdt.ID {
	f.mu.Lock()
	c := f.comm(cid)
	g := &fakeGroup{info: api.Group{ID: f.id(), Name: name, Kind: api.GroupRegular, Policy: policy, Joined: joined}}
	if !joined {
		g.members = []string{}
		if policy == "open" { // some others are in it already
			for _, p := range fakePeople {
				g.members = append(g.members, p.PeerID)
			}
		}
	}
	c.groups = append(c.groups, g)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	return g.info.ID
}

func (f *fakeBackend) comm(cid crdt.ID) *fakeCommunity {
	for _, c := range f.communities {
		if c.info.ID == cid {
			return c
		}
	}
	return nil
}

func (f *fakeBackend) group(cid, gid crdt.ID) (*fakeCommunity, *fakeGroup, error) {
	c := f.comm(cid)
	if c == nil {
		return nil, nil, errors.New("unknown community")
	}
	for _, g := range c.groups {
		if g.info.ID == gid {
			return c, g, nil
		}
	}
	return c, nil, api.ErrUnknownGroup
}

func (f *fakeBackend) others(g *fakeGroup) int {
	n := 0
	for _, m := range g.msgs {
		if !m.Mine {
			n++
		}
	}
	return n
}

// groupInfo is g's summary with its counts.
func (f *fakeBackend) groupInfo(c *fakeCommunity, g *fakeGroup) api.Group {
	out := g.info
	out.Joined = c.info.Role != "none" && (g.members == nil || slices.Contains(g.members, f.self.PeerID))
	out.FillPermits(f.state(c), f.selfKey())
	out.Requested = slices.ContainsFunc(g.requests, func(r api.JoinRequest) bool { return r.PeerID == f.self.PeerID })
	out.Denied = !out.Joined && !out.Requested && slices.Contains(g.denied, f.self.PeerID)
	out.Members = c.info.Members
	if g.members != nil {
		out.Members = len(g.members)
	}
	if out.Joined {
		out.Unread = max(0, f.others(g)-g.readOthers)
		seen := 0
		for _, m := range g.msgs {
			if m.Mine {
				continue
			}
			seen++
			if seen > g.readOthers && m.MentionsMe {
				out.Mentions++
			}
		}
	}
	return out
}

func (f *fakeBackend) summary(c *fakeCommunity) api.Community {
	out := c.info
	out.Name, out.Description = c.settings.Name, c.settings.Description
	out.FillPermits(f.state(c), f.selfKey())
	out.Unread, out.Mentions = 0, 0
	for _, g := range c.groups {
		gi := f.groupInfo(c, g)
		if gi.Joined && !gi.Muted {
			out.Unread += gi.Unread
			out.Mentions += gi.Mentions
		}
	}
	return out
}

func (f *fakeBackend) CreateCommunity(_ context.Context, name string) (api.Community, error) {
	f.mu.Lock()
	err := f.enter("CreateCommunity")
	f.mu.Unlock()
	if err != nil {
		return api.Community{}, err
	}
	if strings.TrimSpace(name) == "" {
		return api.Community{}, errors.New("community name is empty")
	}
	return f.addCommunity(name, "owner", 1), nil
}

func (f *fakeBackend) Communities() []api.Community {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []api.Community
	for _, c := range f.communities {
		out = append(out, f.summary(c))
	}
	return out
}

func (f *fakeBackend) Settings(cid crdt.ID) (api.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Settings"); err != nil {
		return api.Settings{}, err
	}
	c := f.comm(cid)
	if c == nil {
		return api.Settings{}, errors.New("unknown community")
	}
	return c.settings, nil
}

func (f *fakeBackend) UpdateSettings(_ context.Context, cid crdt.ID, s api.Settings) error {
	return f.changeCommunity("UpdateSettings", cid, func(c *fakeCommunity) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindSettings}); err != nil {
			return err
		}
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("%w: the community name is empty", crdt.ErrInvalid)
		}
		s.Deactivated = c.settings.Deactivated
		c.settings = s
		f.logAudit(c, "settings", "", "")
		return nil
	})
}

func (f *fakeBackend) LeaveCommunity(_ context.Context, cid crdt.ID) error {
	f.mu.Lock()
	if err := f.enter("LeaveCommunity"); err != nil {
		f.mu.Unlock()
		return err
	}
	f.communities = slices.DeleteFunc(f.communities, func(c *fakeCommunity) bool { return c.info.ID == cid })
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	return nil
}

func (f *fakeBackend) Groups(cid crdt.ID) ([]api.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Groups"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if c == nil {
		return nil, errors.New("unknown community")
	}
	var out []api.Group
	for _, g := range c.groups {
		if g.info.Kind != api.GroupPrivate { // listed by Privates
			out = append(out, f.groupInfo(c, g))
		}
	}
	slices.SortStableFunc(out[1:], func(a, b api.Group) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	sortByOrder(out[1:], c.order)
	return out, nil
}

func (f *fakeBackend) CreateGroup(_ context.Context, cid crdt.ID, name, description, policy string) (api.Group, error) {
	f.mu.Lock()
	if err := f.enter("CreateGroup"); err != nil {
		f.mu.Unlock()
		return api.Group{}, err
	}
	c := f.comm(cid)
	if strings.TrimSpace(name) == "" {
		f.mu.Unlock()
		return api.Group{}, fmt.Errorf("%w: the group name is empty", crdt.ErrInvalid)
	}
	if policy == "" {
		policy = "open"
	}
	if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupCreate, Policy: fakePolicies[policy]}); err != nil {
		f.mu.Unlock()
		return api.Group{}, err
	}
	g := &fakeGroup{info: api.Group{ID: f.id(), Name: name, Description: description, Kind: api.GroupRegular, Policy: policy}}
	if policy != "everyone" {
		g.members = []string{f.self.PeerID}
	}
	g.info.Suggested = f.state(c).Suggests(f.selfKey())
	c.groups = append(c.groups, g)
	f.logAudit(c, "group.create", "", name)
	out := f.groupInfo(c, g)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	return out, nil
}

func (f *fakeBackend) UpdateGroup(_ context.Context, cid, gid crdt.ID, s api.GroupSettings) error {
	return f.changeGroup("UpdateGroup", cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupUpdate, Group: gid, Approve: s.Approve}); err != nil {
			return err
		}
		g.info.Name, g.info.Description, g.info.Policy, g.info.Archived = s.Name, s.Description, s.Policy, s.Archived
		if s.Approve {
			g.info.Suggested = false
		}
		f.logAudit(c, "group.update", "", s.Name)
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) JoinGroup(_ context.Context, cid, gid crdt.ID) error {
	return f.changeGroup("JoinGroup", cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		if !f.state(c).JoinsDirectly(f.selfKey(), gid) {
			g.requests = append(g.requests, api.JoinRequest{PeerID: f.self.PeerID, Name: f.self.Name, Time: f.clock})
		} else if g.members != nil && !slices.Contains(g.members, f.self.PeerID) {
			g.members = append(g.members, f.self.PeerID)
		}
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) LeaveGroup(_ context.Context, cid, gid crdt.ID) error {
	return f.changeGroup("LeaveGroup", cid, gid, func(_ *fakeCommunity, g *fakeGroup) error {
		if g.members == nil {
			return fmt.Errorf("%w: every member is in %s", crdt.ErrInvalid, g.info.Name)
		}
		g.members = slices.DeleteFunc(g.members, func(p string) bool { return p == f.self.PeerID })
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) GroupRequests(cid, gid crdt.ID) ([]api.JoinRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("GroupRequests"); err != nil {
		return nil, err
	}
	_, g, err := f.group(cid, gid)
	if err != nil {
		return nil, err
	}
	return slices.Clone(g.requests), nil
}

func (f *fakeBackend) DecideGroupJoin(_ context.Context, cid, gid crdt.ID, peerID string, approve bool) error {
	return f.changeGroup("DecideGroupJoin", cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		i := slices.IndexFunc(g.requests, func(r api.JoinRequest) bool { return r.PeerID == peerID })
		if i < 0 {
			return fmt.Errorf("%w: %s has not asked to join", crdt.ErrInvalid, peerID)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindGroupDecide, Group: gid}); err != nil {
			return err
		}
		g.requests = slices.Delete(g.requests, i, i+1)
		g.denied = slices.DeleteFunc(g.denied, func(p string) bool { return p == peerID })
		if !approve {
			g.denied = append(g.denied, peerID)
		}
		if approve && g.members != nil {
			g.members = append(g.members, peerID)
		}
		return nil
	}, api.EventGroups)
}

func (f *fakeBackend) MarkRead(_ context.Context, cid, gid crdt.ID) error {
	changed := false
	err := f.changeGroup("MarkRead", cid, gid, func(_ *fakeCommunity, g *fakeGroup) error {
		n := f.others(g)
		changed = g.readOthers != n
		g.readOthers = n
		return nil
	})
	if err == nil && changed {
		f.emit(api.Event{Kind: api.EventGroups, Community: cid, Unread: true})
		f.emit(api.Event{Kind: api.EventCommunities, Community: cid, Unread: true})
	}
	return err
}

func (f *fakeBackend) SetMuted(_ context.Context, cid, gid crdt.ID, muted bool) error {
	err := f.changeGroup("SetMuted", cid, gid, func(_ *fakeCommunity, g *fakeGroup) error {
		g.info.Muted = muted
		return nil
	})
	if err == nil { // only what is unread changed, as view says
		f.emit(api.Event{Kind: api.EventGroups, Community: cid, Unread: true})
		f.emit(api.Event{Kind: api.EventCommunities, Community: cid, Unread: true})
	}
	return err
}

func (f *fakeBackend) Members(cid crdt.ID) ([]api.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Members"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if c == nil {
		return nil, errors.New("unknown community")
	}
	out := slices.Clone(c.members)
	slices.SortStableFunc(out, func(a, b api.Member) int { return int(fakeRoles[b.Role]) - int(fakeRoles[a.Role]) })
	st := f.state(c)
	for i := range out {
		out[i].FillPermits(st, f.selfKey(), fakeKey(out[i].PeerID))
	}
	return out, nil
}

func (f *fakeBackend) GroupMembers(cid, gid crdt.ID) ([]api.Member, error) {
	ms, err := f.Members(cid)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, g, err := f.group(cid, gid)
	if err != nil {
		return nil, err
	}
	if g.members != nil {
		ms = slices.DeleteFunc(ms, func(m api.Member) bool { return !slices.Contains(g.members, m.PeerID) })
	}
	st := f.state(f.comm(cid))
	for i := range ms {
		ms[i].FillGroupPermits(st, f.selfKey(), fakeKey(ms[i].PeerID), gid, f.clock.UnixMilli())
	}
	return ms, nil
}

func (f *fakeBackend) member(c *fakeCommunity, peerID string) *api.Member {
	for i := range c.members {
		if c.members[i].PeerID == peerID {
			return &c.members[i]
		}
	}
	return nil
}

func (f *fakeBackend) SetRole(_ context.Context, cid crdt.ID, peerID, role string) error {
	return f.changeCommunity("SetRole", cid, func(c *fakeCommunity) error {
		m := f.member(c, peerID)
		if m == nil {
			return fmt.Errorf("%s: %w", peerID, api.ErrUnknownMember)
		}
		r, err := roleOf(role)
		if err != nil {
			return err
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindRole, Member: fakeKey(peerID), Role: r}); err != nil {
			return err
		}
		m.Role = role
		f.logAudit(c, "member.role", peerID, role)
		return nil
	})
}

func (f *fakeBackend) RemoveMember(_ context.Context, cid crdt.ID, peerID string) error {
	err := f.changeCommunity("RemoveMember", cid, func(c *fakeCommunity) error {
		m := f.member(c, peerID)
		if m == nil {
			return fmt.Errorf("%s: %w", peerID, api.ErrUnknownMember)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindRemove, Member: fakeKey(peerID)}); err != nil {
			return err
		}
		f.logAudit(c, "member.remove", peerID, "")
		f.leavePrivates(c, peerID)
		c.members = slices.DeleteFunc(c.members, func(x api.Member) bool { return x.PeerID == peerID })
		c.info.Members--
		return nil
	})
	if err == nil { // as the node: a removal changes groups too
		f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	}
	return err
}

// addRequest has someone ask to join community cid.
func (f *fakeBackend) addRequest(cid crdt.ID, name string) string {
	f.mu.Lock()
	c := f.comm(cid)
	peerID := "12D3KooWFakeRequester" + name
	c.requests = append(c.requests, api.JoinRequest{PeerID: peerID, Name: name, Time: f.clock})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	return peerID
}

func (f *fakeBackend) JoinRequests(cid crdt.ID) ([]api.JoinRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("JoinRequests"); err != nil {
		return nil, err
	}
	return slices.Clone(f.comm(cid).requests), nil
}

func (f *fakeBackend) DecideJoin(_ context.Context, cid crdt.ID, peerID string, approve bool) error {
	return f.changeCommunity("DecideJoin", cid, func(c *fakeCommunity) error {
		i := slices.IndexFunc(c.requests, func(r api.JoinRequest) bool { return r.PeerID == peerID })
		if i < 0 {
			return fmt.Errorf("%w: %s has not asked to join", crdt.ErrInvalid, peerID)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindDecide, Member: fakeKey(peerID)}); err != nil {
			return err
		}
		r := c.requests[i]
		if approve {
			c.members = append(c.members, api.Member{PeerID: r.PeerID, Name: r.Name, Role: "member", SafetyNumber: "00000 11111 22222 33333 44444 55555"})
			c.info.Members++
			f.logAudit(c, "join.decide", peerID, "approved")
		} else {
			f.logAudit(c, "join.decide", peerID, "denied")
		}
		c.requests = slices.Delete(c.requests, i, i+1)
		return nil
	})
}

// logAudit records an admin action by the local member. Callers hold f.mu.
func (f *fakeBackend) logAudit(c *fakeCommunity, action, target, detail string) {
	e := api.AuditEntry{Op: f.id(), Action: action, Actor: f.self.PeerID, ActorName: f.self.Name, Detail: detail, Time: f.clock}
	switch action { // the typed details, as the node fills them from crdt's
	case "member.role", "member.add":
		e.Role = detail
	case "join.decide", "group.decide":
		e.Approved = detail == "approved"
	case "group.create", "group.update", "settings":
		e.Name = detail
	}
	if target != "" {
		e.Target = target
		if m := f.member(c, target); m != nil {
			e.TargetName = m.Name
		} else {
			for _, r := range c.requests {
				if r.PeerID == target {
					e.TargetName = r.Name
				}
			}
		}
	}
	c.audit = append(c.audit, e)
}

func (f *fakeBackend) Audit(cid crdt.ID) ([]api.AuditEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Audit"); err != nil {
		return nil, err
	}
	return slices.Clone(f.comm(cid).audit), nil
}

func (f *fakeBackend) CreateInvite(_ context.Context, cid crdt.ID, opts api.InviteOptions) (string, error) {
	f.mu.Lock()
	if err := f.enter("CreateInvite"); err != nil {
		f.mu.Unlock()
		return "", err
	}
	c := f.comm(cid)
	if err := f.judge(c, crdt.Action{Kind: crdt.KindInvite}); err != nil {
		f.mu.Unlock()
		return "", err
	}
	inv := api.InviteInfo{ID: f.id(), By: f.self.Name, Created: f.clock, MaxUses: opts.MaxUses}
	switch {
	case opts.Lifetime == 0:
		t := f.clock.Add(api.DefaultInviteLifetime)
		inv.Expires = &t
	case opts.Lifetime > 0:
		t := f.clock.Add(opts.Lifetime)
		inv.Expires = &t
	}
	c.invites = append([]api.InviteInfo{inv}, c.invites...)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	return fakeLink(inv.ID), nil
}

func (f *fakeBackend) Invites(cid crdt.ID) ([]api.InviteInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Invites"); err != nil {
		return nil, err
	}
	return slices.Clone(f.comm(cid).invites), nil
}

func (f *fakeBackend) RevokeInvite(_ context.Context, cid, id crdt.ID) error {
	return f.changeCommunity("RevokeInvite", cid, func(c *fakeCommunity) error {
		i := slices.IndexFunc(c.invites, func(x api.InviteInfo) bool { return x.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: no invite %s in this community", crdt.ErrInvalid, id.Short())
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindInviteRevoke}); err != nil {
			return err
		}
		c.invites[i].Revoked = true
		f.logAudit(c, "invite.revoke", "", "")
		return nil
	})
}

// ParseInvite reads any umbrella://join/ link as an invite to joinName,
// and any short umbrella://j/ link as one made by inviter.
func (f *fakeBackend) ParseInvite(link string) (*api.Invite, error) {
	if strings.HasPrefix(link, "umbrella://j/") {
		f.mu.Lock()
		inviter, desc := f.inviter, f.joinDesc
		f.mu.Unlock()
		return &api.Invite{Community: crdt.ID{0xee}, Name: f.inviteName(), Inviter: inviter, Description: desc}, nil
	}
	if !strings.HasPrefix(link, "umbrella://join/") {
		return nil, errNotALinkForTest
	}
	return &api.Invite{Community: crdt.ID{0xee}, Name: f.inviteName()}, nil
}

func (f *fakeBackend) inviteName() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.joinName == "" {
		return "Joined Team"
	}
	return f.joinName
}

func (f *fakeBackend) JoinWithProgress(ctx context.Context, link string, progress func(api.JoinProgress)) (api.Community, error) {
	report := func(p api.JoinProgress) {
		f.mu.Lock()
		f.joinStages = append(f.joinStages, p)
		f.mu.Unlock()
		if progress != nil {
			progress(p)
		}
		if f.onJoinStage != nil {
			f.onJoinStage(p)
		}
	}
	name := f.inviteName()
	report(api.JoinProgress{Stage: api.JoinChecking})
	if !strings.HasPrefix(link, "umbrella://join/") && !strings.HasPrefix(link, "umbrella://j/") {
		return api.Community{}, errNotALinkForTest
	}
	report(api.JoinProgress{Stage: api.JoinConnecting, Community: name, Peer: "…Xyz123"})
	if f.joinErr != nil {
		return api.Community{}, f.joinErr
	}
	if err := ctx.Err(); err != nil {
		return api.Community{}, err
	}
	if f.joinAsks {
		report(api.JoinProgress{Stage: api.JoinRequested, Community: name})
		id := f.id()
		f.mu.Lock()
		f.sent = append(f.sent, api.SentRequest{Community: id, Name: name})
		f.mu.Unlock()
		return api.Community{ID: id, Name: name, Role: api.RoleRequested}, nil
	}
	report(api.JoinProgress{Stage: api.JoinAdmitted, Community: name})
	report(api.JoinProgress{Stage: api.JoinSyncing, Community: name, Ops: 120})
	return f.addCommunity(name, "member", 12), nil
}

// errBadLinkForTest is what the fake says of a link that is not one; the
// node wraps identity.ErrBadLink the same way.
var errBadLinkForTest = errors.New("invalid invite link")

// errNotALinkForTest is the fake's error for text that is no invite link,
// in the words of the real parser (join.Read, which ui may not import):
// it names the short form links have now.
var errNotALinkForTest = fmt.Errorf("%w: it must start with umbrella://j/", errBadLinkForTest)

// page returns the messages of g with their indices and quotes.
func (f *fakeBackend) page(g *fakeGroup, from, to int) []api.Message {
	out := make([]api.Message, 0, max(0, to-from))
	for i := from; i < to; i++ {
		m := g.msgs[i]
		m.Index = i
		m.Pinned = slices.Contains(g.pins, m.ID)
		if m.ReplyTo != nil {
			q := &api.Quote{ID: *m.ReplyTo, Index: -1, Missing: true}
			for j, t := range g.msgs {
				if t.ID == *m.ReplyTo {
					q = &api.Quote{ID: t.ID, AuthorName: t.AuthorName, Text: t.Text, Deleted: t.Deleted, Index: j}
				}
			}
			m.Quote = q
		}
		out = append(out, m)
	}
	return out
}

func (f *fakeBackend) MessagePage(cid, gid crdt.ID, from, limit int) (api.Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("MessagePage"); err != nil {
		return api.Page{}, err
	}
	_, g, err := f.group(cid, gid)
	if err != nil {
		return api.Page{}, err
	}
	limit = min(max(limit, 1), api.MaxPage)
	total := len(g.msgs)
	if from < 0 {
		from = max(0, total-limit)
	}
	from = min(from, total)
	to := min(total, from+limit)
	p := api.Page{Total: total, From: from, Messages: f.page(g, from, to), FirstUnread: -1}
	seen := 0
	for i, m := range g.msgs {
		if m.Mine {
			continue
		}
		seen++
		if seen > g.readOthers {
			p.FirstUnread = i
			break
		}
	}
	return p, nil
}

func (f *fakeBackend) Pinned(cid, gid crdt.ID) ([]api.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Pinned"); err != nil {
		return nil, err
	}
	_, g, err := f.group(cid, gid)
	if err != nil {
		return nil, err
	}
	var out []api.Message
	for _, id := range g.pins {
		if i := slices.IndexFunc(g.msgs, func(m api.Message) bool { return m.ID == id }); i >= 0 {
			out = append(out, f.page(g, i, i+1)...)
		}
	}
	return out, nil
}

func (f *fakeBackend) Search(cid, gid crdt.ID, query string, limit int) ([]api.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Search"); err != nil {
		return nil, err
	}
	_, g, err := f.group(cid, gid)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, fmt.Errorf("%w: the search is empty", crdt.ErrInvalid)
	}
	var out []api.Message
	for i := len(g.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		m := g.msgs[i]
		if !m.Deleted && m.Hidden == "" && (strings.Contains(strings.ToLower(m.Text), q) || strings.Contains(strings.ToLower(m.AuthorName), q)) {
			out = append(out, f.page(g, i, i+1)...)
		}
	}
	return out, nil
}

func (f *fakeBackend) Post(ctx context.Context, cid, gid crdt.ID, text string) (crdt.ID, error) {
	return f.Reply(ctx, cid, gid, crdt.ID{}, text)
}

func (f *fakeBackend) Reply(_ context.Context, cid, gid, replyTo crdt.ID, text string) (crdt.ID, error) {
	f.mu.Lock()
	err := f.enter("Post")
	if err == nil {
		var c *fakeCommunity
		var g *fakeGroup
		c, g, err = f.group(cid, gid)
		switch {
		case err == nil && c.info.Removed:
			err = fmt.Errorf("%w: by %s", api.ErrRemoved, c.info.RemovedBy)
		case err == nil && !f.groupInfo(c, g).CanPost:
			err = fmt.Errorf("%w: a member may not post here", crdt.ErrUnauthorized)
		}
	}
	if err == nil {
		f.posts = append(f.posts, text)
	}
	f.mu.Unlock()
	if err != nil {
		return crdt.ID{}, err
	}
	return f.deliverReply(cid, gid, f.self.Name, text, true, replyTo), nil
}

// deliver adds a message as if it arrived from the network.
func (f *fakeBackend) deliver(c, g crdt.ID, author, text string, mine bool) crdt.ID {
	return f.deliverReply(c, g, author, text, mine, crdt.ID{})
}

func (f *fakeBackend) deliverReply(cid, gid crdt.ID, author, text string, mine bool, replyTo crdt.ID) crdt.ID {
	f.mu.Lock()
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	_, g, _ := f.group(cid, gid)
	m := api.Message{ID: id, Kind: "message", Author: "peer-" + author, AuthorName: author, Text: text, Time: f.clock, Mine: mine}
	if mine {
		m.Author = f.self.PeerID
	}
	if !replyTo.IsZero() {
		r := replyTo
		m.ReplyTo = &r
	}
	if strings.Contains(text, "@"+f.self.Name) {
		m.Mentions, m.MentionsMe = []string{f.self.PeerID}, true
	}
	g.msgs = append(g.msgs, m)
	var home api.HomeParts
	if g.info.QA && replyTo.IsZero() { // a question (view.TouchesHome)
		home = api.HomeQA
	}
	f.mu.Unlock()
	// A post mentioning members may welcome newcomers (the node asks
	// crdt whether its author is an admin; the fake takes any mention).
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Newcomers: strings.Contains(text, "@"), Home: home})
	return id
}

// fill adds n messages by others to a group at once (one event).
func (f *fakeBackend) fill(cid, gid crdt.ID, n int) {
	f.mu.Lock()
	_, g, _ := f.group(cid, gid)
	names := []string{"Ben", "Chloe", "Dev", "Maria"}
	g.msgs = slices.Grow(g.msgs, n)
	for i := range n {
		f.clock = f.clock.Add(time.Second)
		text := fmt.Sprintf("Message %d: follow up with every new customer within 48 hours.", i)
		if i%7 == 3 {
			text += " Then send them the spring catalogue, the how-to video and a thank-you note, and ask what they liked most about the samples."
		}
		g.msgs = append(g.msgs, api.Message{ID: f.id(), Kind: "message", Author: "peer-" + names[i%4], AuthorName: names[i%4], Text: text, Time: f.clock})
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
}

// changeCommunity runs fn on community cid under the lock, after the
// failure method may be set to give; when it succeeds it emits an
// EventCommunities.
func (f *fakeBackend) changeCommunity(method string, cid crdt.ID, fn func(*fakeCommunity) error) error {
	f.mu.Lock()
	err := f.enter(method)
	if err == nil {
		if c := f.comm(cid); c == nil {
			err = errors.New("unknown community")
		} else {
			err = fn(c)
		}
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	}
	return err
}

// changeGroup runs fn on group gid under the lock, like changeCommunity,
// and emits events when it succeeds.
func (f *fakeBackend) changeGroup(method string, cid, gid crdt.ID, fn func(*fakeCommunity, *fakeGroup) error, events ...api.EventKind) error {
	f.mu.Lock()
	err := f.enter(method)
	if err == nil {
		var c *fakeCommunity
		var g *fakeGroup
		if c, g, err = f.group(cid, gid); err == nil {
			err = fn(c, g)
		}
	}
	f.mu.Unlock()
	if err == nil {
		for _, k := range events {
			f.emit(api.Event{Kind: k, Community: cid, Group: gid})
		}
	}
	return err
}

// find returns the message id in group gid, under f.mu.
func (f *fakeBackend) find(cid, gid, id crdt.ID) (*fakeCommunity, *fakeGroup, *api.Message, error) {
	c, g, err := f.group(cid, gid)
	if err != nil {
		return nil, nil, nil, err
	}
	for i := range g.msgs {
		if g.msgs[i].ID == id {
			return c, g, &g.msgs[i], nil
		}
	}
	return nil, nil, nil, fmt.Errorf("message %s: %w", id.Short(), api.ErrUnknownMessage)
}

// change runs fn on message id under the lock and emits its event.
func (f *fakeBackend) change(method string, cid, gid, id crdt.ID, fn func(*fakeCommunity, *fakeGroup, *api.Message) error) error {
	var home api.HomeParts
	err := f.changeGroup(method, cid, gid, func(c *fakeCommunity, g *fakeGroup) error {
		_, _, m, err := f.find(cid, gid, id)
		if err != nil {
			return err
		}
		// The lists of the home it may change, as view.TouchesHome says.
		switch {
		case method == "Delete":
			home = api.HomeAll &^ api.HomeSteps
		case method == "MarkAnswer", method == "Edit" && g.info.QA:
			home = api.HomeQA
		case method == "Collect":
			home = api.HomeCollections
		}
		return fn(c, g, m)
	})
	if err == nil {
		f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid, Home: home})
	}
	return err
}

func (f *fakeBackend) Edit(_ context.Context, cid, gid, id crdt.ID, text string) error {
	return f.change("Edit", cid, gid, id, func(_ *fakeCommunity, _ *fakeGroup, m *api.Message) error {
		if !m.Mine {
			return fmt.Errorf("%w: only the author may edit a message", crdt.ErrUnauthorized)
		}
		m.Text, m.Edited = text, true
		return nil
	})
}

func (f *fakeBackend) Delete(_ context.Context, cid, gid, id crdt.ID) error {
	return f.change("Delete", cid, gid, id, func(c *fakeCommunity, _ *fakeGroup, m *api.Message) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindDelete, Group: gid, Others: !m.Mine}); err != nil {
			return err
		}
		m.Text, m.Deleted, m.DeletedBy, m.Poll, m.Reactions = "", true, f.self.Name, nil, nil
		return nil
	})
}

func (f *fakeBackend) Pin(_ context.Context, cid, gid, id crdt.ID, on bool) error {
	return f.change("Pin", cid, gid, id, func(c *fakeCommunity, g *fakeGroup, m *api.Message) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindPin, Group: gid, Others: !m.Mine}); err != nil {
			return err
		}
		g.pins = slices.DeleteFunc(g.pins, func(p crdt.ID) bool { return p == m.ID })
		if on {
			g.pins = append(g.pins, m.ID)
			if len(g.pins) > crdt.MaxPins {
				g.pins = g.pins[1:]
			}
		}
		return nil
	})
}

func (f *fakeBackend) React(_ context.Context, cid, gid, id crdt.ID, emoji string, on bool) error {
	return f.change("React", cid, gid, id, func(_ *fakeCommunity, _ *fakeGroup, m *api.Message) error {
		f.react(m, f.self.Name, emoji, on, true)
		return nil
	})
}

// react adds or removes who's reaction emoji on m. Callers hold f.mu.
func (f *fakeBackend) react(m *api.Message, who, emoji string, on, mine bool) {
	i := slices.IndexFunc(m.Reactions, func(r api.Reaction) bool { return r.Emoji == emoji })
	if i < 0 {
		if !on {
			return
		}
		m.Reactions = append(m.Reactions, api.Reaction{Emoji: emoji})
		i = len(m.Reactions) - 1
	}
	r := &m.Reactions[i]
	has := slices.Contains(r.By, who)
	switch {
	case on && !has:
		r.By = append(r.By, who)
	case !on && has:
		r.By = slices.DeleteFunc(slices.Clone(r.By), func(s string) bool { return s == who })
	}
	r.Count = len(r.By)
	if mine {
		r.Mine = on
	}
	if r.Count == 0 {
		m.Reactions = slices.Delete(m.Reactions, i, i+1)
	}
}

// reactAs has another member react, as if it arrived from the network.
func (f *fakeBackend) reactAs(cid, gid, id crdt.ID, who, emoji string) {
	f.mu.Lock()
	_, _, m, _ := f.find(cid, gid, id)
	f.react(m, who, emoji, true, false)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
}

func (f *fakeBackend) CreatePoll(_ context.Context, cid, gid crdt.ID, question string, options []string, multi bool, closes time.Time) (crdt.ID, error) {
	f.mu.Lock()
	if err := f.enter("CreatePoll"); err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	if len(options) < crdt.MinOptions || len(options) > crdt.MaxOptions {
		f.mu.Unlock()
		return crdt.ID{}, fmt.Errorf("%w: a poll has 2 to 12 options, not %d", crdt.ErrInvalid, len(options))
	}
	_, g, err := f.group(cid, gid)
	if err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	p := &api.Poll{Question: question, Multi: multi}
	if !closes.IsZero() {
		p.Closes = &closes
	}
	for _, o := range options {
		p.Options = append(p.Options, api.PollOption{Text: o, By: []string{}})
	}
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "poll", Author: f.self.PeerID, AuthorName: f.self.Name, Text: question, Time: f.clock, Mine: true, Poll: p})
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
	return id, nil
}

func (f *fakeBackend) Vote(_ context.Context, cid, gid, id crdt.ID, choices []int) error {
	return f.change("Vote", cid, gid, id, func(_ *fakeCommunity, _ *fakeGroup, m *api.Message) error {
		if m.Poll == nil {
			return fmt.Errorf("%w: %s is not a poll", crdt.ErrInvalid, id.Short())
		}
		if m.Poll.Closed {
			return fmt.Errorf("%w: the poll is closed", crdt.ErrInvalid)
		}
		f.vote(m.Poll, f.self.Name, choices, true)
		return nil
	})
}

// vote sets who's choices in p. Callers hold f.mu.
func (f *fakeBackend) vote(p *api.Poll, who string, choices []int, mine bool) {
	voted := false
	for i := range p.Options {
		o := &p.Options[i]
		if slices.Contains(o.By, who) {
			voted = true
		}
		o.By = slices.DeleteFunc(slices.Clone(o.By), func(s string) bool { return s == who })
		if slices.Contains(choices, i) {
			o.By = append(o.By, who)
		}
		o.Votes = len(o.By)
	}
	switch {
	case !voted && len(choices) > 0:
		p.Voters++
	case voted && len(choices) == 0:
		p.Voters--
	}
	if mine {
		p.MyChoices = slices.Sorted(slices.Values(choices))
	}
}

// voteAs has another member vote.
func (f *fakeBackend) voteAs(cid, gid, id crdt.ID, who string, choices ...int) {
	f.mu.Lock()
	_, _, m, _ := f.find(cid, gid, id)
	f.vote(m.Poll, who, choices, false)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
}

func (f *fakeBackend) ClosePoll(_ context.Context, cid, gid, id crdt.ID) error {
	return f.change("ClosePoll", cid, gid, id, func(c *fakeCommunity, _ *fakeGroup, m *api.Message) error {
		if m.Poll == nil {
			return fmt.Errorf("%w: %s is not a poll", crdt.ErrInvalid, id.Short())
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindPollClose, Group: gid, Others: !m.Mine}); err != nil {
			return err
		}
		m.Poll.Closed = true
		return nil
	})
}

func (f *fakeBackend) Subscribe() (<-chan api.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan api.Event, 256)
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

func (f *fakeBackend) emit(e api.Event) {
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

func (f *fakeBackend) SentRequests() []api.SentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

func (f *fakeBackend) DismissRequest(cid crdt.ID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DismissRequest"]++
	f.sent = slices.DeleteFunc(f.sent, func(r api.SentRequest) bool { return r.Community == cid })
}

// declineSent has an admin decline the member's request to join cid, as
// the node learns it by asking again.
func (f *fakeBackend) declineSent(cid crdt.ID) {
	f.mu.Lock()
	for i := range f.sent {
		if f.sent[i].Community == cid {
			f.sent[i].Declined = true
		}
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}
