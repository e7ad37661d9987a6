package peerkey

import (
	"bytes"
	"crypto/ed25519"
	"math/rand/v2"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/identity"
)

func TestPeerIDIsSigningKey(t *testing.T) {
	id, err := identity.Generate(rand.NewChaCha8([32]byte{2}), "x")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := PublicKey(ID(id))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, id.PublicKey()) {
		t.Fatal("peer id does not embed the signing key")
	}
	msg := []byte("hello")
	if !ed25519.Verify(pub, msg, id.Sign(msg)) {
		t.Fatal("signature does not verify under the peer id's key")
	}
	raw, _ := PrivKey(id).GetPublic().Raw()
	if !bytes.Equal(raw, id.PublicKey()) {
		t.Fatal("libp2p key differs from identity key")
	}
	again, err := FromPublicKey(id.PublicKey())
	if err != nil || again != ID(id) {
		t.Fatalf("peer id from the public key: %s, %v; want %s", again, err, ID(id))
	}
}

// TestMemberKey: a member's key and its peer id convert both ways, and a
// peer id that embeds no Ed25519 key names no member.
func TestMemberKey(t *testing.T) {
	id, err := identity.Generate(rand.NewChaCha8([32]byte{3}), "x")
	if err != nil {
		t.Fatal(err)
	}
	k, ok := Key(ID(id))
	if !ok || !bytes.Equal(k[:], id.PublicKey()) {
		t.Fatalf("Key(ID) = %s, %v; want the identity's key", k, ok)
	}
	if Peer(k) != ID(id) || Text(k) != ID(id).String() {
		t.Fatalf("Peer, Text of the key: %s, %s; want %s", Peer(k), Text(k), ID(id))
	}
	if k, ok := Key(peer.ID("not a peer id")); ok {
		t.Fatalf("Key of a bad peer id = %s, true; want false", k)
	}
}
