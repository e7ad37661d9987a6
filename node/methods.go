package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

func (n *Node) millis() int64 { return n.now().UnixMilli() }

// author signs, ingests and publishes a new op; it fails with ErrRemoved
// or ErrLeft in a community the local member went from. The op (and every
// write before it: the keys it was sealed with) is durable when author
// returns.
func (n *Node) author(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	if err := n.checkStillMember(cid); err != nil {
		return nil, err
	}
	op, err := n.rep.Author(ctx, n.id, cid, log, kind, body)
	if err != nil {
		return nil, err
	}
	if err := n.durable(ctx); err != nil {
		return nil, fmt.Errorf("%s op %s: %w", kind, op.ID().Short(), err)
	}
	n.afterIngest(replica.Result{Outcome: replica.Accepted, Accepted: []*crdt.Op{op}})
	n.publish(op)
	return op, nil
}

// CreateCommunity creates a community owned by this node, with its
// announcement group and a first group named General.
func (n *Node) CreateCommunity(ctx context.Context, name string) (api.Community, error) {
	name = strings.TrimSpace(name)
	body, err := crdt.EncodeBody(&crdt.GenesisBody{Name: name, Time: n.millis()})
	if err != nil {
		return api.Community{}, err
	}
	// The genesis is sealed under the control log's first epoch, drawn
	// before the community (and its id) exists; the founder's first rekey
	// op then wraps it, and joiners get it from any member.
	draft := crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: body, Author: n.selfKey()}
	e0, secret, err := n.keys.SealGenesis(&draft)
	if err != nil {
		return api.Community{}, err
	}
	genesis, err := crdt.Sign(draft, n.id)
	if err != nil {
		return api.Community{}, err
	}
	cid := genesis.ID()
	if err := n.keys.Bind(ctx, e0, cid); err != nil {
		return api.Community{}, err
	}
	n.rep.Expect(cid)
	if _, err := n.rep.IngestOpened(ctx, crdt.Opened{Op: genesis, Plain: body}); err != nil {
		return api.Community{}, err
	}
	if err := n.keys.PublishPrekey(ctx, cid); err != nil {
		return api.Community{}, err
	}
	if err := n.keys.WriteEpoch(ctx, cid, crdt.ZeroID, e0, secret, crdt.RekeyInitial, nil); err != nil {
		return api.Community{}, err
	}
	if err := n.keys.Rotate(ctx, cid, cid, crdt.RekeyInitial, nil); err != nil { // the announcement group
		return api.Community{}, err
	}
	if err := n.keys.NewSecret(ctx, cid); err != nil {
		return api.Community{}, err
	}
	if err := n.writeProfile(ctx, cid); err != nil {
		return api.Community{}, err
	}
	gb, err := crdt.EncodeBody(&crdt.GroupCreateBody{Name: api.DefaultGroupName, Policy: crdt.PolicyEveryone, Time: n.millis()})
	if err != nil {
		return api.Community{}, err
	}
	general, err := n.author(ctx, cid, crdt.ZeroID, crdt.KindGroupCreate, gb)
	if err != nil {
		return api.Community{}, err
	}
	if err := n.keys.Rotate(ctx, cid, general.ID(), crdt.RekeyInitial, nil); err != nil {
		return api.Community{}, err
	}
	n.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	return n.community(cid)
}

func (n *Node) writeProfile(ctx context.Context, cid crdt.ID) error {
	n.mu.Lock()
	name := n.name
	n.mu.Unlock()
	body, err := crdt.EncodeBody(&crdt.ProfileBody{Name: name})
	if err != nil {
		return err
	}
	_, err = n.author(ctx, cid, crdt.ZeroID, crdt.KindProfile, body)
	return err
}

// community summarises community cid, with what is unread in the unmuted
// groups the member is in.
func (n *Node) community(cid crdt.ID) (api.Community, error) {
	var out api.Community
	self := n.selfKey()
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		out = api.Community{ID: cid, Name: st.Name, Description: st.Description, Members: len(st.Members), Role: st.Role(self).String()}
		out.FillPermits(st, self)
		if d := departed(st, self); d != nil {
			out.Removed, out.RemovedBy, out.Left, out.JoinUndone = d.by != "", d.by, d.by == "" && !d.undone, d.undone
		}
		return nil
	})
	if err == nil {
		out.Unread, out.Mentions, err = n.views.Unread(cid)
	}
	return out, err
}

// Communities lists the communities this node holds, by name.
func (n *Node) Communities() []api.Community {
	var out []api.Community
	for _, cid := range n.rep.Communities() {
		if c, err := n.community(cid); err == nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b api.Community) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	return out
}

// Members lists a community's members: owners, then admins, then members,
// each by name.
func (n *Node) Members(cid crdt.ID) ([]api.Member, error) {
	var raw []*crdt.Member
	var may map[crdt.PublicKey]api.Member
	err := n.rep.View(cid, func(c *crdt.Community) error {
		raw = membersOf(c.State(), nil)
		may = memberPerms(c.State(), n.selfKey(), raw)
		return nil
	})
	return n.memberList(raw, may), err
}

// memberPerms holds, for each of members, what self may do to it
// (api.Member's CanRemove and Grantable).
func memberPerms(st *crdt.State, self crdt.PublicKey, members []*crdt.Member) map[crdt.PublicKey]api.Member {
	out := make(map[crdt.PublicKey]api.Member, len(members))
	for _, m := range members {
		var am api.Member
		am.FillPermits(st, self, m.Key)
		out[m.Key] = am
	}
	return out
}

// GroupMembers lists a group's members like Members: everyone in the
// community for the announcement group and groups open to everyone.
func (n *Node) GroupMembers(cid, gid crdt.ID) ([]api.Member, error) {
	var raw []*crdt.Member
	var may map[crdt.PublicKey]api.Member
	err := n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		g, ok := st.Groups[gid]
		if !ok {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		raw = membersOf(st, g)
		may = memberPerms(st, n.selfKey(), raw)
		return nil
	})
	return n.memberList(raw, may), err
}

// membersOf copies the community's members, or those of group g.
func membersOf(st *crdt.State, g *crdt.Group) []*crdt.Member {
	var out []*crdt.Member
	for _, m := range st.Members {
		if g == nil || g.Has(m.Key) {
			mm := *m
			out = append(out, &mm)
		}
	}
	return out
}

// memberList sorts members (owners, admins, members, each by name) and
// describes them, with what the local member may do to each (may).
func (n *Node) memberList(raw []*crdt.Member, may map[crdt.PublicKey]api.Member) []api.Member {
	slices.SortFunc(raw, func(a, b *crdt.Member) int {
		if a.Role != b.Role {
			return int(b.Role) - int(a.Role)
		}
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Key.String(), b.Key.String())
	})
	keys := make([]crdt.PublicKey, len(raw))
	for i, m := range raw {
		keys[i] = m.Key
	}
	safety := n.safetyNumbers(keys)
	out := make([]api.Member, 0, len(raw))
	for i, m := range raw {
		out = append(out, api.Member{PeerID: peerOf(m.Key), Name: displayName(m), Role: m.Role.String(), SafetyNumber: safety[i], Online: n.online(m.Key),
			CanRemove: may[m.Key].CanRemove, Grantable: may[m.Key].Grantable})
	}
	return out
}

// online reports whether this node is connected to member k now (directly
// or through a relay); the local member always is.
func (n *Node) online(k crdt.PublicKey) bool {
	if k == n.selfKey() {
		return true
	}
	p := peerIDOf(k)
	if p == "" {
		return false
	}
	c := n.host.Network().Connectedness(p)
	return c == network.Connected || c == network.Limited
}

func displayName(m *crdt.Member) string {
	if m == nil {
		return "Unknown member"
	}
	if m.Name != "" {
		return m.Name
	}
	p := peerOf(m.Key)
	return "Member " + p[len(p)-6:]
}

// CreateInvite makes a short invite link to community cid (admins). It
// names this node and one other member or relay it knows to fetch the
// invite from; the invite's sealed details carry this node's current
// addresses, its relays, its name and the community's description.
func (n *Node) CreateInvite(ctx context.Context, cid crdt.ID, opts api.InviteOptions) (string, error) {
	c, err := n.community(cid)
	if err != nil {
		return "", err
	}
	if opts.MaxUses < 0 || opts.MaxUses > math.MaxUint32 {
		return "", fmt.Errorf("%w: max uses %d: want 0 (no limit) or a positive number", crdt.ErrInvalid, opts.MaxUses)
	}
	var expires int64
	switch {
	case opts.Lifetime == 0:
		expires = n.now().Add(api.DefaultInviteLifetime).Unix()
	case opts.Lifetime > 0:
		expires = n.now().Add(opts.Lifetime).Unix()
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	d := crdt.InviteDetails{Name: c.Name, Addrs: n.inviteAddrs(), Relays: n.inviteRelays(), Inviter: joinHooks{n}.Name(), Description: c.Description}
	if d.Check() != nil {
		d.Inviter = "" // a name crdt would not take is left out, not the invite
	}
	details, err := crdt.Marshal(&d)
	if err != nil {
		return "", err
	}
	sealed := e2ee.SealInvite(priv.Seed(), details)
	if len(sealed) > crdt.MaxDetailsSize {
		d.Description = "" // the description goes only if it fits
		if details, err = crdt.Marshal(&d); err != nil {
			return "", err
		}
		sealed = e2ee.SealInvite(priv.Seed(), details)
	}
	body, err := crdt.EncodeBody(&crdt.InviteBody{
		Key:     pub,
		Role:    crdt.RoleMember,
		Expires: expires,
		MaxUses: uint32(opts.MaxUses),
		Details: sealed,
		Time:    n.millis(),
	})
	if err != nil {
		return "", err
	}
	if _, err := n.author(ctx, cid, crdt.ZeroID, crdt.KindInvite, body); err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	others := append(n.sharedPeers(cid, n.host.ID()), n.relays.Known()...)
	l := join.NewShortLink(priv.Seed(), peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}, others...)
	short, err := l.String()
	if err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	return short, nil
}

func (n *Node) inviteAddrs() []string {
	addrs := n.fullAddrs()
	if len(addrs) > crdt.MaxAddrs {
		addrs = addrs[:crdt.MaxAddrs]
	}
	return addrs
}

// inviteRelays lists the relays this node knows, for an invite.
func (n *Node) inviteRelays() []string {
	var out []string
	for _, r := range n.relays.Known() {
		for _, a := range r.Addrs {
			if len(out) < crdt.MaxAddrs {
				out = append(out, a.String()+"/p2p/"+r.ID.String())
			}
		}
	}
	return out
}

// ParseInvite decodes an invite link and checks its signature, its key and
// its expiry. A long link needs no network; a short one is looked up from
// the peers it names, for at most join.DialTimeout each. An expired link's
// error matches both identity.ErrBadLink and ErrInviteExpired.
func (n *Node) ParseInvite(link string) (*api.Invite, error) {
	return n.joiner.Parse(context.Background(), link)
}

// Join redeems an invite link: it dials the addresses in the link, has a
// member admit it, and pulls the community.
func (n *Node) Join(ctx context.Context, link string) (api.Community, error) {
	return n.JoinWithProgress(ctx, link, nil)
}

// JoinWithProgress is Join, calling progress (if not nil, on the calling
// goroutine) as each stage begins, and during the pull as ops arrive.
//
// A join is resumable: a member whose node does not hold the community (a
// join cut short after a member admitted it, a lost store) joins again
// with the same link or any other link of the community, even one that is
// used up, expired or no longer stands — it is already admitted, so the
// member it asks answers so without recording a second join, and the node
// fetches keys and pulls as after an admission.
//
// A member that refuses the join says why: the error wraps ErrJoinRefused
// and, when the invite is the reason, ErrInviteExpired, ErrInviteRevoked,
// ErrInviteUsedUp or ErrInviteLapsed. A link that does not check out wraps
// identity.ErrBadLink (and ErrInviteExpired when it expired).
func (n *Node) JoinWithProgress(ctx context.Context, link string, progress func(api.JoinProgress)) (api.Community, error) {
	return n.joiner.Join(ctx, link, progress)
}

// SetName changes the display name, locally and in every community.
func (n *Node) SetName(ctx context.Context, name string) error {
	name, err := identity.ValidateName(name)
	if err != nil {
		return err
	}
	if err := keyfile.SaveName(n.cfg.Home, name); err != nil {
		return err
	}
	n.mu.Lock()
	n.name = name
	n.mu.Unlock()
	var errs []error
	for _, cid := range n.rep.Communities() {
		if n.checkStillMember(cid) == nil {
			errs = append(errs, n.writeProfile(ctx, cid))
		}
	}
	return errors.Join(errs...)
}
