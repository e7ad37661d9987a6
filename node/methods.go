package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"math"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/join"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

func (n *Node) millis() int64 { return n.now().UnixMilli() }

// author signs, ingests and publishes a new op; it fails with ErrRemoved
// or ErrLeft in a community the local member went from. The op (and every
// write before it: the keys it was sealed with) is durable when author
// returns.
func (n *Node) author(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	if err := n.dir.StillMember(cid); err != nil {
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
	return n.founder.CreateCommunity(ctx, name)
}

// community summarises community cid (see view.Directory.Community).
func (n *Node) community(cid crdt.ID) (api.Community, error) { return n.dir.Community(cid) }

// Communities lists the communities this node holds, by name.
func (n *Node) Communities() []api.Community { return n.dir.Communities() }

// Members lists a community's members: owners, then admins, then members,
// each by name.
func (n *Node) Members(cid crdt.ID) ([]api.Member, error) { return n.dir.Members(cid) }

// GroupMembers lists a group's members like Members: everyone in the
// community for the announcement group and groups open to everyone.
func (n *Node) GroupMembers(cid, gid crdt.ID) ([]api.Member, error) {
	return n.dir.GroupMembers(cid, gid)
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
	d := crdt.InviteDetails{Name: c.Name, Addrs: n.inviteAddrs(), Relays: n.inviteRelays(cid), Inviter: joinHooks{n}.Name(), Description: c.Description}
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
	op, err := n.author(ctx, cid, crdt.ZeroID, crdt.KindInvite, body)
	if err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	// The history a newcomer may read, for a relay to hand with no member
	// online; without it the link still works while a member is.
	if err := n.keys.KeyInvite(ctx, cid, op.ID(), priv.Seed()); err != nil {
		n.log.Warn("the new invite gets no keys: joins need a member online", "community", cid.Short(), "err", err)
	}
	short, err := n.shortLink(cid, priv.Seed())
	if err != nil {
		return "", fmt.Errorf("create invite: %w", err)
	}
	if err := n.invites.Keep(ctx, cid, op.ID(), priv.Seed()); err != nil {
		n.log.Warn("the new invite link will not be shown again", "community", cid.Short(), "err", err)
	}
	return short, nil
}

// shortLink makes the short link of an invite of community cid from its
// seed, naming this node and one other: a relay registered with the
// community first (always online, it answers lookups and takes joins when
// no member is), else a member, else a circuit relay it knows.
func (n *Node) shortLink(cid crdt.ID, seed []byte) (string, error) {
	others := append(append(n.pulls.RelaysOf(cid), n.pulls.SharedPeers(cid, n.host.ID())...), n.relays.Known()...)
	return join.NewShortLink(seed, peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}, others...).String()
}

// InviteLinks lists community cid's invites, newest first, each with its
// link when this node made it and it still admits people.
func (n *Node) InviteLinks(cid crdt.ID) ([]api.InviteLink, error) { return n.invites.Links(cid) }

func (n *Node) inviteAddrs() []string {
	addrs := n.fullAddrs()
	if len(addrs) > crdt.MaxAddrs {
		addrs = addrs[:crdt.MaxAddrs]
	}
	return addrs
}

// inviteRelays lists the relays this node knows, for an invite of
// community cid: those registered with it first.
func (n *Node) inviteRelays(cid crdt.ID) []string {
	var out []string
	for _, r := range append(n.pulls.RelaysOf(cid), n.relays.Known()...) {
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

// SentRequests lists this member's requests to join communities that
// admit by approval: waiting for an admin, or declined (the node asks
// again while one waits, and so learns of a denial).
func (n *Node) SentRequests() []api.SentRequest { return n.joiner.Sent() }

// DismissRequest forgets this member's request to join community cid,
// once it has read that it was declined (or no longer wants to wait).
func (n *Node) DismissRequest(cid crdt.ID) { n.joiner.Dismiss(cid) }

// SetName changes the display name, locally and in every community.
func (n *Node) SetName(ctx context.Context, name string) error { return n.profile.SetName(ctx, name) }

// SetPhoto sets or removes the profile photo in every community.
func (n *Node) SetPhoto(ctx context.Context, b []byte) error { return n.profile.SetPhoto(ctx, b) }
