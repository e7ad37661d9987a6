package node

import (
	"context"
	"fmt"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/keys"
	"github.com/umbrella-p2p/umbrella/reach"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/view"
)

// newActions builds the local member's actions (package act) over the
// node's replica, views and keys; ops go out through author.
func newActions(n *Node) (*act.Actions, error) {
	self, _ := peerkey.Key(peerkey.ID(n.id))
	return act.New(act.Config{Author: actAuthor{n}, Replica: n.rep, Views: n.views, Names: names{},
		Keys: n.keys, Self: self, Now: n.now})
}

// newFounding builds the local member's profile (its display name) and
// the founder of its communities (package act).
func newFounding(n *Node) (*act.Profile, *act.Founder, error) {
	photo, err := keyfile.LoadPhoto(n.cfg.Home, crdt.MaxImageSize)
	if err != nil {
		return nil, nil, err
	}
	p, err := act.NewProfile(act.ProfileConfig{Name: n.id.Name, Photo: photo, Photos: nameFile(n.cfg.Home),
		Saver: nameFile(n.cfg.Home), Author: actAuthor{n},
		Held: n.rep, Member: n.Directory})
	if err != nil {
		return nil, nil, err
	}
	f, err := act.NewFounder(act.FounderConfig{Signer: n.id, Keys: n.keys, Genesis: founding{n.rep}, Author: actAuthor{n},
		Profile: p, Summary: n.Directory, Emit: n.events.Emit, Now: n.now})
	return p, f, err
}

// What the node hands its actions.
var (
	_ act.Replica = (*replica.Replica)(nil)
	_ act.Views   = (*view.Views)(nil)
	_ act.Rotator = (*keys.Manager)(nil)
	_ act.Names   = names{}
	_ act.Author  = actAuthor{}

	_ act.NameSaver   = nameFile("")
	_ act.PhotoSaver  = nameFile("")
	_ act.Held        = (*replica.Replica)(nil)
	_ act.Membership  = (*view.Directory)(nil)
	_ act.FounderKeys = (*keys.Manager)(nil)
	_ act.Genesis     = founding{}
	_ act.Summary     = (*view.Directory)(nil)
)

// nameFile saves the display name next to the identity in the home
// directory it names.
type nameFile string

func (home nameFile) SaveName(name string) error { return keyfile.SaveName(string(home), name) }

// SavePhoto saves the profile photo in the home directory.
func (home nameFile) SavePhoto(b []byte) error { return keyfile.SavePhoto(string(home), b) }

// founding takes in the genesis of a community this node founds.
type founding struct{ rep *replica.Replica }

func (f founding) Found(ctx context.Context, genesis crdt.Opened) error {
	f.rep.Expect(genesis.Op.ID())
	_, err := f.rep.IngestOpened(ctx, genesis)
	return err
}

// actAuthor writes the actions' ops through the node's author path.
type actAuthor struct{ n *Node }

func (a actAuthor) Write(ctx context.Context, cid, log crdt.ID, kind crdt.Kind, body []byte) (*crdt.Op, error) {
	return a.n.author(ctx, cid, log, kind, body)
}

// Key resolves a peer id given as text to its member key.
func (names) Key(peerID string) (crdt.PublicKey, error) {
	p, err := peer.Decode(strings.TrimSpace(peerID))
	if err != nil {
		return crdt.PublicKey{}, notPeerID(peerID)
	}
	k, ok := peerkey.Key(p)
	if !ok {
		return crdt.PublicKey{}, notPeerID(peerID)
	}
	return k, nil
}

// RelayAddr reads a relay's address as `umbrellad relay` prints it.
func (names) RelayAddr(addr string) (crdt.PublicKey, []string, error) {
	ai, err := reach.ParseRelay(addr)
	if err != nil {
		return crdt.PublicKey{}, nil, fmt.Errorf("%w: not a relay address: %v. Paste the whole address that umbrellad relay prints, such as /ip4/203.0.113.5/udp/4001/quic-v1/p2p/12D3KooW…", crdt.ErrInvalid, err)
	}
	k, ok := peerkey.Key(ai.ID)
	if !ok {
		return crdt.PublicKey{}, nil, fmt.Errorf("%w: %s is not an Umbrella relay's peer id", crdt.ErrInvalid, ai.ID)
	}
	if len(ai.Addrs) == 0 {
		return crdt.PublicKey{}, nil, fmt.Errorf("%w: the relay address says who the relay is but not where to reach it; put its address before /p2p/", crdt.ErrInvalid)
	}
	addrs := make([]string, len(ai.Addrs))
	for i, a := range ai.Addrs {
		addrs[i] = a.String()
	}
	return k, addrs, nil
}

// notPeerID is the error of a member named by text that is no member's
// peer id. It says so in words a person reads (the decoder's own reason,
// such as "invalid cid", helps nobody) and is a crdt.ErrInvalid.
type notPeerID string

func (e notPeerID) Error() string { return string(e) + " is not a member's peer id" }

// Is makes the error a crdt.ErrInvalid.
func (notPeerID) Is(target error) bool { return target == crdt.ErrInvalid }
