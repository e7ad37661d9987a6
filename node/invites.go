package node

import (
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/sync/join"
)

// newInviteSecrets keeps the secrets of the invite links this node makes
// in its database, when the database is encrypted at rest (or given).
func newInviteSecrets(n *Node) (*keys.InviteSecrets, error) {
	return keys.NewInviteSecrets(keys.InviteSecretsConfig{Meta: n.store,
		Persist: n.cfg.Store != nil || keyfile.HasDatabaseKey(n.cfg.Home),
		Invites: n.Invites, Link: inviteReach{n}.ShortLink})
}

// newInviter builds the maker of the local member's invite links
// (package act) over the node's addresses, keys and invite secrets.
func newInviter(n *Node) (*act.Inviter, error) {
	return act.NewInviter(act.InviterConfig{Author: actAuthor{n}, Summary: n.Directory, Reach: inviteReach{n},
		Keys: n.keys, Secrets: n.invites, Name: n.profile.Name, Now: n.now, Logger: n.log})
}

// What the node hands its inviter.
var (
	_ act.InviteReach   = inviteReach{}
	_ act.InviteKeys    = (*keys.Manager)(nil)
	_ act.InviteSecrets = (*keys.InviteSecrets)(nil)
)

// inviteReach is where this node's invites say to find a community.
type inviteReach struct{ n *Node }

// Addrs lists this node's addresses, at most crdt.MaxAddrs.
func (r inviteReach) Addrs() []string {
	addrs := r.n.fullAddrs()
	if len(addrs) > crdt.MaxAddrs {
		addrs = addrs[:crdt.MaxAddrs]
	}
	return addrs
}

// Relays lists the relays this node knows, for an invite of community
// cid: those registered with it first.
func (r inviteReach) Relays(cid crdt.ID) []string {
	var out []string
	for _, rl := range append(r.n.pulls.RelaysOf(cid), r.n.relays.Known()...) {
		for _, a := range rl.Addrs {
			if len(out) < crdt.MaxAddrs {
				out = append(out, a.String()+"/p2p/"+rl.ID.String())
			}
		}
	}
	return out
}

// ShortLink makes the short link of an invite of community cid from its
// seed, naming this node and one other: a relay registered with the
// community first (always online, it answers lookups and takes joins when
// no member is), else a member, else a circuit relay it knows.
func (r inviteReach) ShortLink(cid crdt.ID, seed []byte) (string, error) {
	n := r.n
	others := append(append(n.pulls.RelaysOf(cid), n.pulls.SharedPeers(cid, n.host.ID())...), n.relays.Known()...)
	return join.NewShortLink(seed, peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}, others...).String()
}
