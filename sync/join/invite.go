package join

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/reach"
)

// Invite is a parsed and verified invite link: what it says, where its
// inviter may be reached, and what joining with it takes.
type Invite struct {
	api.Invite
	Addrs  []peer.AddrInfo
	Relays []peer.AddrInfo // relays through which the inviter may be reached
	Op     *crdt.Op        // the invite op the link carries
	Link   identity.InviteLink
	sealed bool // its details were sealed under the link's secret
}

// CheckExpiry fails, wrapping identity.ErrBadLink and api.ErrInviteExpired,
// if inv has expired by now.
func (inv *Invite) CheckExpiry(now time.Time) error {
	if !inv.Expires.IsZero() && now.After(inv.Expires) {
		return fmt.Errorf("%w: %w on %s; ask for a new one", identity.ErrBadLink, api.ErrInviteExpired, inv.Expires.Format("Jan 2, 2006 15:04"))
	}
	return nil
}

// Parse decodes an invite link and checks its signature, its key and its
// expiry by now. It needs no network.
func Parse(link string, now time.Time) (*api.Invite, error) {
	inv, err := Read(link)
	if err != nil {
		return nil, err
	}
	if err := inv.CheckExpiry(now); err != nil {
		return nil, err
	}
	return &inv.Invite, nil
}

// Read decodes a long invite link and checks its signature and its key,
// not its expiry. A short link needs the network: see Joiner.Resolve.
func Read(link string) (*Invite, error) {
	if IsShort(link) {
		return nil, fmt.Errorf("%w: a short link is read by asking the peers it names", identity.ErrBadLink)
	}
	payload, ok := cutPrefixFold(strings.TrimSpace(link), identity.LinkPrefix)
	if !ok {
		// Name the form links have now, not the long one of before.
		return nil, fmt.Errorf("%w: it must start with %s", identity.ErrBadLink, ShortPrefix)
	}
	l, err := identity.ParseInviteLink(identity.LinkPrefix + payload)
	if err != nil {
		return nil, err
	}
	return FromLink(l)
}

// FromLink checks the invite op l carries against l's secret and opens
// its details.
func FromLink(l identity.InviteLink) (*Invite, error) {
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
	var inviter, desc string
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
		inviter, desc = d.Inviter, d.Description
	}
	inv := &Invite{Invite: api.Invite{Community: op.CommunityID(), Name: body.Name, Inviter: inviter, Description: desc}, Op: op, Link: l, sealed: len(body.Details) > 0}
	if body.Expires != 0 {
		inv.Expires = time.Unix(body.Expires, 0)
	}
	inv.Addrs = addrInfos(body.Addrs)
	inv.Relays = addrInfos(body.Relays)
	// The inviter can also be reached through the relays.
	if author, err := peerkey.FromPublicKey(op.Author[:]); err == nil && len(inv.Relays) > 0 &&
		!slices.ContainsFunc(inv.Addrs, func(ai peer.AddrInfo) bool { return ai.ID == author }) {
		inv.Addrs = append(inv.Addrs, peer.AddrInfo{ID: author})
	}
	for i := range inv.Addrs {
		inv.Addrs[i] = reach.ViaRelays(inv.Addrs[i], inv.Relays)
	}
	return inv, nil
}

// JoinOp signs, with id, the join op of the member named name for inv at
// time at: its only parent is the invite.
func (inv *Invite) JoinOp(id crdt.Signer, name string, at time.Time) (*crdt.Op, error) {
	cid, iid := inv.Community, inv.Op.ID()
	self := crdt.PublicKey(id.PublicKey())
	body, err := crdt.EncodeBody(&crdt.JoinBody{
		Invite: iid[:],
		Proof:  inv.Link.SignWithInvite(crdt.JoinProofMessage(cid, iid, self)),
		Name:   name,
		Time:   at.UnixMilli(),
	})
	if err != nil {
		return nil, err
	}
	return crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{iid}, Height: inv.Op.Height + 1, Body: body}, id)
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
