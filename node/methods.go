package node

import (
	"context"
	"fmt"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
)

// author signs, ingests and publishes a new op; it fails with ErrRemoved
// or ErrLeft in a community the local member went from. The op (and every
// write before it: the keys it was sealed with) is durable when author
// returns.
func (n *Node) author(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	if err := n.Directory.StillMember(cid); err != nil {
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

// community summarises community cid (see view.Directory.Community).
func (n *Node) community(cid crdt.ID) (api.Community, error) { return n.Community(cid) }

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
