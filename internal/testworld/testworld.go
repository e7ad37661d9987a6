// Package testworld builds communities for tests, with no network and no
// node: members' keys fixed by a number, op bodies, and a community held
// by one replica over the in-memory store, with its owner, a General
// group everyone is in, and an invite that members join by. The act,
// view and keys tests build their worlds on it.
//
// It is for tests only and must never be imported by production code.
package testworld

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// Signer is a member's Ed25519 key (a crdt.Signer).
type Signer struct{ priv ed25519.PrivateKey }

var _ crdt.Signer = Signer{}

// Member returns the i-th test member's key, the same for every i each
// run.
func Member(i int) Signer {
	seed := make([]byte, 32)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	return Signer{ed25519.NewKeyFromSeed(seed)}
}

// Seeded returns the key whose seed is 32 bytes of b.
func Seeded(b byte) Signer {
	return Signer{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))}
}

// PublicKey returns the key's public half.
func (s Signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// Sign signs m.
func (s Signer) Sign(m []byte) []byte { return ed25519.Sign(s.priv, m) }

// Key returns the public key as crdt names members.
func (s Signer) Key() crdt.PublicKey { return crdt.PublicKey(s.PublicKey()) }

// Body encodes an op body, failing the test if it cannot.
func Body(tb testing.TB, b any) []byte {
	tb.Helper()
	raw, err := crdt.EncodeAny(b)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// JoinOp is s's join of community cid as name, by invite op inv whose
// private key is invKey, at time t (unix milliseconds).
func JoinOp(tb testing.TB, cid crdt.ID, inv *crdt.Op, invKey ed25519.PrivateKey, s Signer, name string, t int64) *crdt.Op {
	tb.Helper()
	j, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{inv.ID()}, Height: inv.Height + 1,
		Body: Body(tb, &crdt.JoinBody{Invite: inv.ID().Bytes(), Proof: ed25519.Sign(invKey, crdt.JoinProofMessage(cid, inv.ID(), s.Key())), Name: name, Time: t})}, s)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

// Community is a community held by one replica over the in-memory store,
// owned by Member(0).
type Community struct {
	TB      testing.TB
	Store   *store.DS
	Rep     *replica.Replica
	ID      crdt.ID
	General crdt.ID // a group everyone is in
	Owner   Signer
	// Invite and InviteKey are the invite Join uses (see AddInvite).
	Invite    *crdt.Op
	InviteKey ed25519.PrivateKey
}

// New makes a community named name owned by Member(0) on a new replica:
// its genesis and a General group open to everyone, written at the times
// now gives.
func New(tb testing.TB, name string, now func() int64) *Community {
	tb.Helper()
	c := &Community{TB: tb, Store: store.NewMemory(), Owner: Member(0)}
	rep, err := replica.Open(context.Background(), c.Store, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c.Rep = rep
	g, err := crdt.Sign(crdt.Op{Kind: crdt.KindGenesis, Height: 1, Body: Body(tb, &crdt.GenesisBody{Name: name, Time: now()})}, c.Owner)
	if err != nil {
		tb.Fatal(err)
	}
	c.ID = g.ID()
	rep.Expect(c.ID)
	if _, err := rep.Ingest(context.Background(), g); err != nil {
		tb.Fatal(err)
	}
	c.General = c.Author(c.Owner, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "General", Policy: crdt.PolicyEveryone, Time: now()}).ID()
	return c
}

// Author writes an op by s on the replica and fails the test if it
// cannot.
func (c *Community) Author(s Signer, log crdt.ID, kind crdt.Kind, b any) *crdt.Op {
	c.TB.Helper()
	o, err := c.Rep.Author(context.Background(), s, c.ID, log, kind, Body(c.TB, b))
	if err != nil {
		c.TB.Fatalf("author %s: %v", kind, err)
	}
	return o
}

// AddInvite has the owner write a member invite named name, with no
// expiry and no cap on uses, at time t; Join joins by it.
func (c *Community) AddInvite(name string, t int64) {
	c.TB.Helper()
	c.InviteKey = ed25519.NewKeyFromSeed(make([]byte, 32))
	c.Invite = c.Author(c.Owner, crdt.ZeroID, crdt.KindInvite, &crdt.InviteBody{Key: c.InviteKey.Public().(ed25519.PublicKey), Role: crdt.RoleMember, Name: name, Time: t})
}

// Join has s join by the invite as name at time t, and fails the test
// unless the replica accepts it.
func (c *Community) Join(s Signer, name string, t int64) {
	c.TB.Helper()
	j := JoinOp(c.TB, c.ID, c.Invite, c.InviteKey, s, name, t)
	if res, err := c.Rep.Ingest(context.Background(), j); err != nil || res.Outcome != replica.Accepted {
		c.TB.Fatalf("join of %s: %+v %v", name, res, err)
	}
}
