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
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
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

// CreateInvite makes an invite link to community cid (admins). It carries
// this node's current addresses.
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
	details, err := crdt.Marshal(&crdt.InviteDetails{Name: c.Name, Addrs: n.inviteAddrs(), Relays: n.inviteRelays()})
	if err != nil {
		return "", err
	}
	body, err := crdt.EncodeBody(&crdt.InviteBody{
		Key:     pub,
		Role:    crdt.RoleMember,
		Expires: expires,
		MaxUses: uint32(opts.MaxUses),
		Details: e2ee.SealInvite(priv.Seed(), details),
		Time:    n.millis(),
	})
	if err != nil {
		return "", err
	}
	op, err := n.author(ctx, cid, crdt.ZeroID, crdt.KindInvite, body)
	if err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	return identity.InviteLink{Capability: op.Bytes(), Secret: priv.Seed()}.String(), nil
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
// its expiry. It needs no network. An expired link's error matches both
// identity.ErrBadLink and ErrInviteExpired.
func (n *Node) ParseInvite(link string) (*api.Invite, error) {
	inv, err := readInvite(link)
	if err != nil {
		return nil, err
	}
	if err := n.checkExpiry(inv); err != nil {
		return nil, err
	}
	return &inv.Invite, nil
}

// invite is a parsed and verified invite link: what it says, where its
// inviter may be reached, and what joining with it takes.
type invite struct {
	api.Invite
	Addrs  []peer.AddrInfo
	Relays []peer.AddrInfo // relays through which the inviter may be reached
	op     *crdt.Op
	link   identity.InviteLink
}

// checkExpiry fails if inv has expired by this node's clock.
func (n *Node) checkExpiry(inv *invite) error {
	if !inv.Expires.IsZero() && n.now().After(inv.Expires) {
		return fmt.Errorf("%w: %w on %s; ask for a new one", identity.ErrBadLink, api.ErrInviteExpired, inv.Expires.Format("Jan 2, 2006 15:04"))
	}
	return nil
}

// readInvite decodes an invite link and checks its signature and its key,
// not its expiry.
func readInvite(link string) (*invite, error) {
	l, err := identity.ParseInviteLink(link)
	if err != nil {
		return nil, err
	}
	op, err := crdt.DecodeOp(l.Capability)
	if err != nil {
		return nil, fmt.Errorf("%w: its signature or contents do not check out: %v", identity.ErrBadLink, err)
	}
	if op.Kind != crdt.KindInvite {
		return nil, fmt.Errorf("%w: it carries a %s op, not an invite", identity.ErrBadLink, op.Kind)
	}
	b, err := crdt.DecodeBody(op)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", identity.ErrBadLink, err)
	}
	body := b.(*crdt.InviteBody)
	if !slices.Equal([]byte(l.InviteKey()), body.Key) {
		return nil, fmt.Errorf("%w: its key does not match the invite", identity.ErrBadLink)
	}
	if len(body.Details) > 0 {
		raw, err := e2ee.OpenInvite(l.Secret, body.Details)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", identity.ErrBadLink, err)
		}
		var d crdt.InviteDetails
		if err := crdt.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("%w: invite details: %v", identity.ErrBadLink, err)
		}
		if err := d.Check(); err != nil {
			return nil, fmt.Errorf("%w: invite details: %v", identity.ErrBadLink, err)
		}
		body.Name, body.Addrs, body.Relays = d.Name, d.Addrs, d.Relays
	}
	inv := &invite{Invite: api.Invite{Community: op.CommunityID(), Name: body.Name}, op: op, link: l}
	if body.Expires != 0 {
		inv.Expires = time.Unix(body.Expires, 0)
	}
	inv.Addrs = addrInfos(body.Addrs)
	inv.Relays = addrInfos(body.Relays)
	// The inviter can also be reached through the relays.
	if len(inv.Relays) > 0 && !slices.ContainsFunc(inv.Addrs, func(ai peer.AddrInfo) bool { return ai.ID == peerIDOf(op.Author) }) {
		inv.Addrs = append(inv.Addrs, peer.AddrInfo{ID: peerIDOf(op.Author)})
	}
	for i := range inv.Addrs {
		inv.Addrs[i] = reach.ViaRelays(inv.Addrs[i], inv.Relays)
	}
	return inv, nil
}

// addrInfos parses "/…/p2p/ID" multiaddrs, merging those of one peer and
// skipping what does not parse.
func addrInfos(ss []string) []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, s := range ss {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		ai, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			continue
		}
		if i := slices.IndexFunc(out, func(o peer.AddrInfo) bool { return o.ID == ai.ID }); i >= 0 {
			out[i].Addrs = append(out[i].Addrs, ai.Addrs...)
		} else {
			out = append(out, *ai)
		}
	}
	return out
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
	inv, err := readInvite(link)
	if err != nil {
		return api.Community{}, err
	}
	report := func(p api.JoinProgress) {
		if progress != nil {
			p.Community = inv.Name
			progress(p)
		}
	}
	report(api.JoinProgress{Stage: api.JoinChecking})
	// An expired link admits no one new: the join op carries this node's
	// clock, past the expiry, so no member can accept it. It is still
	// sent, in case this node is a member that lost the community.
	expired := n.checkExpiry(inv)
	cid := inv.Community
	if c, err := n.community(cid); err == nil && c.Role != crdt.RoleNone.String() {
		return c, nil // already a member
	}
	if slices.Contains(n.peers.Pending(), cid) {
		return api.Community{ID: cid, Name: inv.Name, Role: api.RoleRequested}, nil // already asked
	}
	join, err := n.joinOp(inv)
	if err != nil {
		return api.Community{}, err
	}
	n.rep.Expect(cid)
	n.peers.AddRelays(inv.Relays)
	// Until it holds the community, or a member refuses, this join is in
	// flight: cut short after a member admitted it (a crash, a lost
	// connection), the node resumes it by itself, pulling from the
	// members it meets (finishPendingJoin completes it).
	n.peers.SetJoining(cid, true, n.now())
	for _, ai := range inv.Addrs {
		n.peers.Remember(ai)
	}
	n.mu.Lock()
	n.joinsNow[cid]++
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		if n.joinsNow[cid]--; n.joinsNow[cid] <= 0 {
			delete(n.joinsNow, cid)
		}
		n.mu.Unlock()
	}()
	var errs []error
	refused := false
	defer func() {
		if refused {
			n.peers.SetJoining(cid, false, n.now())
		}
	}()
	for _, ai := range inv.Addrs {
		if ai.ID == n.host.ID() {
			continue
		}
		report(api.JoinProgress{Stage: api.JoinConnecting, Peer: shortPeer(ai.ID)})
		err := n.joinVia(ctx, ai, inv, join, report)
		if errors.Is(err, errAwaitingApproval) {
			n.peers.SetJoining(cid, false, n.now())
			n.peers.SetPending(cid, true)
			n.log.Info("asked to join; waiting for an admin", "community", cid.Short())
			report(api.JoinProgress{Stage: api.JoinRequested})
			return api.Community{ID: cid, Name: inv.Name, Role: api.RoleRequested}, nil
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n.peers.SetJoining(cid, false, n.now())
		if err := n.joinTopics(cid); err != nil {
			return api.Community{}, err
		}
		if err := n.durable(ctx); err != nil { // the join op and what it brought
			return api.Community{}, err
		}
		n.emit(api.Event{Kind: api.EventCommunities, Community: cid})
		return n.community(cid)
	}
	if expired != nil {
		refused = true
		return api.Community{}, expired
	}
	if len(errs) == 0 {
		refused = true
		return api.Community{}, fmt.Errorf("%w: the invite names no address to dial", api.ErrNoPeer)
	}
	for _, err := range errs {
		if errors.Is(err, api.ErrJoinRefused) {
			refused = true
			return api.Community{}, err // a member answered: that is the reason
		}
	}
	return api.Community{}, fmt.Errorf("%w: %w", api.ErrNoPeer, errors.Join(errs...))
}

// joinOp signs this node's join op for inv: its only parent is the invite.
func (n *Node) joinOp(inv *invite) (*crdt.Op, error) {
	n.mu.Lock()
	name := n.name
	n.mu.Unlock()
	self, _ := keyOf(n.host.ID())
	cid := inv.Community
	body, err := crdt.EncodeBody(&crdt.JoinBody{
		Invite: idBytes(inv.op.ID()),
		Proof:  inv.link.SignWithInvite(crdt.JoinProofMessage(cid, inv.op.ID(), self)),
		Name:   name,
		Time:   n.millis(),
	})
	if err != nil {
		return nil, err
	}
	return crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{inv.op.ID()}, Height: inv.op.Height + 1, Body: body}, n.id)
}

// shortPeer is the end of a peer id, as people see it in default member
// names.
func shortPeer(p peer.ID) string {
	s := p.String()
	return s[max(0, len(s)-6):]
}

var (
	errAwaitingApproval = errors.New("the join waits for an admin's approval")
)

// joinReasons maps the wire's refusal reasons to errors.
var joinReasons = map[uint8]error{
	wire.JoinReasonExpired: api.ErrInviteExpired,
	wire.JoinReasonRevoked: api.ErrInviteRevoked,
	wire.JoinReasonUsedUp:  api.ErrInviteUsedUp,
	wire.JoinReasonLapsed:  api.ErrInviteLapsed,
}

// remoteRefusal is what a member said when it refused a join: its words,
// and the reason it gave, if any.
type remoteRefusal struct {
	text   string
	reason error
}

func (r *remoteRefusal) Error() string { return r.text }
func (r *remoteRefusal) Unwrap() error { return r.reason }

// askToJoin dials ai and presents join: it returns nil once ai admitted it
// (or, when the community admits by approval, recorded the request, which
// resp says), and an error wrapping ErrJoinRefused when ai refused.
func (n *Node) askToJoin(ctx context.Context, ai peer.AddrInfo, inv *invite, join *crdt.Op) (*wire.JoinResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := n.host.Connect(cctx, ai); err != nil {
		return nil, fmt.Errorf("dial %s: %w", ai.ID.ShortString(), err)
	}
	resp, err := n.proto.remote(ai.ID).Join(ctx, &wire.JoinRequest{Invite: inv.op.Bytes(), Join: join.Bytes()})
	if err != nil {
		return nil, err
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("%w by %s: %w", api.ErrJoinRefused, ai.ID.ShortString(), &remoteRefusal{text: resp.Error, reason: joinReasons[resp.Reason]})
	}
	return resp, nil
}

// joinVia joins through ai. Everything after ai's answer is safe to cut
// short: a member that admitted this node (or already counted it a
// member) answers the next try as admitted, whichever link it uses.
func (n *Node) joinVia(ctx context.Context, ai peer.AddrInfo, inv *invite, join *crdt.Op, report func(api.JoinProgress)) error {
	resp, err := n.askToJoin(ctx, ai, inv, join)
	if err != nil {
		return err
	}
	n.peers.Remember(ai)
	if resp.Pending {
		// Park our own ops until the pull after the approval brings the
		// genesis and the rest.
		for _, op := range []*crdt.Op{inv.op, join} {
			if _, err := n.rep.Ingest(ctx, op); err != nil {
				return err
			}
		}
		return errAwaitingApproval
	}
	report(api.JoinProgress{Stage: api.JoinAdmitted})
	// Keys first, from the member that admitted us: the genesis and
	// everything after it is sealed.
	if _, err := n.keys.FetchKeys(ctx, ai.ID, inv.Community); err != nil {
		return fmt.Errorf("keys from %s: %w", ai.ID.ShortString(), err)
	}
	report(api.JoinProgress{Stage: api.JoinSyncing})
	rc := &exchange.Progress{Report: func(ops int) { report(api.JoinProgress{Stage: api.JoinSyncing, Ops: ops}) }}
	if err := n.pullCounting(ctx, ai.ID, inv.Community, rc); err != nil {
		return fmt.Errorf("sync from %s: %w", ai.ID.ShortString(), err)
	}
	// The pull brings the join ai accepted, or the one that admitted this
	// node before: then ai recorded nothing, and this join must not become
	// a second one. It is added here only if the pull did not make this
	// node a member.
	member := func() bool {
		c, err := n.community(inv.Community)
		return err == nil && c.Role != crdt.RoleNone.String()
	}
	if !member() {
		for _, op := range []*crdt.Op{inv.op, join} {
			if _, err := n.rep.Ingest(ctx, op); err != nil {
				return fmt.Errorf("sync from %s did not complete the join: %w", ai.ID.ShortString(), err)
			}
		}
		if !member() {
			return fmt.Errorf("sync from %s did not complete the join", ai.ID.ShortString())
		}
	}
	// Without the topic secret the member still syncs by pulling; it asks
	// again after every pull until it has it.
	if err := n.keys.FetchSecret(ctx, ai.ID, inv.Community); err != nil {
		n.log.Warn("no topic secret yet; live messages wait for the next sync", "err", err)
	}
	return nil
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

func idBytes(id crdt.ID) []byte { return id[:] }
