// Package e2ee holds Umbrella's end-to-end encryption: members' HPKE
// prekeys, epoch secrets wrapped to them, and the per-sender hash ratchets
// that seal op bodies inside an epoch (DESIGN "End-to-end encryption").
//
// Everything here is built from the standard library (crypto/hpke,
// crypto/hkdf, crypto/hmac) and golang.org/x/crypto's ChaCha20-Poly1305;
// nothing is home-made but the composition, which follows Signal's sender
// keys:
//
//   - An epoch secret E (32 random bytes) is drawn by an admin for one log
//     and wrapped to each reader's prekey with HPKE (base mode,
//     HKDF-SHA256, ChaCha20-Poly1305). The HPKE info binds community, log,
//     epoch and recipient, so a wrap cannot be replayed elsewhere.
//   - Each sender s has a chain in the epoch: ck₀ = HKDF(E, "chain" ‖
//     community ‖ log ‖ s); message i uses mkᵢ = HMAC(ckᵢ, 0x01) and the
//     chain moves on with ckᵢ₊₁ = HMAC(ckᵢ, 0x02). A sender never reuses an
//     index; a receiver keeps the next expected index and at most
//     MaxSkipped keys of skipped indices, so out-of-order delivery within
//     the window opens and a replayed index does not. A receiver that
//     restarts derives its chains again from the epoch secret.
//   - The body is ChaCha20-Poly1305 under a key and nonce expanded from
//     mkᵢ, with the op's envelope (crdt.Op.SealAD) as associated data.
//
// Authenticity comes from the op's Ed25519 signature, which covers the
// ciphertext; the AEAD gives confidentiality and binds the ciphertext to
// its envelope.
package e2ee

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Errors callers branch on.
var (
	// ErrNoKey: the epoch is not held (yet); the op waits, nobody is blamed.
	ErrNoKey = crdt.ErrSealed
	// ErrReplay: the sender's index was already used, or fell out of the
	// skipped-key window.
	ErrReplay = errors.New("message key already used or too old")
	// ErrDecrypt: the ciphertext does not open under the key its header
	// names: tampered, moved to another op, or sealed with a wrong key.
	ErrDecrypt = errors.New("ciphertext does not open")
)

// SecretSize is the size of an epoch secret.
const SecretSize = 32

// Suite is a prekey's KEM: X25519 alone or the ML-KEM-768 + X25519 hybrid.
type Suite uint16

// Suites.
const (
	X25519 = Suite(crdt.KEMX25519)
	Hybrid = Suite(crdt.KEMMLKEM768X25519)
)

func (s Suite) String() string {
	switch s {
	case X25519:
		return "x25519"
	case Hybrid:
		return "mlkem768x25519"
	}
	return fmt.Sprintf("kem(%#04x)", uint16(s))
}

// ParseSuite parses "x25519" or "mlkem768x25519" (also "hybrid").
func ParseSuite(name string) (Suite, error) {
	switch name {
	case "x25519":
		return X25519, nil
	case "mlkem768x25519", "hybrid":
		return Hybrid, nil
	}
	return 0, fmt.Errorf("unknown key suite %q (want x25519 or mlkem768x25519)", name)
}

func (s Suite) kem() (hpke.KEM, error) {
	switch s {
	case X25519, Hybrid:
		return hpke.NewKEM(uint16(s))
	}
	return nil, fmt.Errorf("unknown KEM %#04x", uint16(s))
}

var (
	kdf  = hpke.HKDFSHA256()
	aead = hpke.ChaCha20Poly1305()
)

// Prekey is one of this node's HPKE key pairs.
type Prekey struct {
	Suite   Suite
	Public  []byte
	Private []byte // as hpke's SerializePrivateKey
	Created int64  // unix milliseconds
	priv    hpke.PrivateKey
}

// NewPrekey draws a prekey.
func NewPrekey(s Suite, now int64) (*Prekey, error) {
	k, err := s.kem()
	if err != nil {
		return nil, err
	}
	priv, err := k.GenerateKey()
	if err != nil {
		return nil, err
	}
	raw, err := priv.Bytes()
	if err != nil {
		return nil, err
	}
	return &Prekey{Suite: s, Public: priv.PublicKey().Bytes(), Private: raw, Created: now, priv: priv}, nil
}

func (p *Prekey) private() (hpke.PrivateKey, error) {
	if p.priv != nil {
		return p.priv, nil
	}
	k, err := p.Suite.kem()
	if err != nil {
		return nil, err
	}
	priv, err := k.NewPrivateKey(p.Private)
	if err != nil {
		return nil, fmt.Errorf("prekey: %w", err)
	}
	p.priv = priv
	return priv, nil
}

// WrapInfo is the HPKE info of epoch id of log, wrapped to member.
func WrapInfo(community, log crdt.ID, epoch crdt.EpochID, member crdt.PublicKey) []byte {
	b := make([]byte, 0, 32+32+32+16+32)
	b = append(b, "umbrella/v1 epoch wrap\x00"...)
	b = append(b, community[:]...)
	b = append(b, log[:]...)
	b = append(b, epoch[:]...)
	return append(b, member[:]...)
}

// TopicWrapInfo is the HPKE info of community's gossip topic secret,
// wrapped to member (an invite's key: crdt.InviteKeysBody.Topic).
func TopicWrapInfo(community crdt.ID, member crdt.PublicKey) []byte {
	b := make([]byte, 0, 32+32+32)
	b = append(b, "umbrella/v1 topic wrap\x00"...)
	b = append(b, community[:]...)
	return append(b, member[:]...)
}

// Wrap seals an epoch secret to a prekey public key of suite s.
func Wrap(s Suite, public, info, secret []byte) ([]byte, error) {
	k, err := s.kem()
	if err != nil {
		return nil, err
	}
	pk, err := k.NewPublicKey(public)
	if err != nil {
		return nil, fmt.Errorf("prekey: %w", err)
	}
	return hpke.Seal(pk, kdf, aead, info, secret)
}

// Unwrap opens a wrapped epoch secret.
func (p *Prekey) Unwrap(info, wrapped []byte) ([]byte, error) {
	priv, err := p.private()
	if err != nil {
		return nil, err
	}
	secret, err := hpke.Open(priv, kdf, aead, info, wrapped)
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped epoch secret", ErrDecrypt)
	}
	if len(secret) != SecretSize {
		return nil, fmt.Errorf("%w: wrapped epoch secret is %d bytes", ErrDecrypt, len(secret))
	}
	return secret, nil
}

// NewEpoch draws an epoch id and secret.
func NewEpoch() (crdt.EpochID, []byte) {
	var id crdt.EpochID
	rand.Read(id[:])
	s := make([]byte, SecretSize)
	rand.Read(s)
	return id, s
}

// chainStart derives sender's first chain key in an epoch.
func chainStart(secret []byte, community, log crdt.ID, sender crdt.PublicKey) [32]byte {
	info := make([]byte, 0, 128)
	info = append(info, "umbrella/v1 sender chain\x00"...)
	info = append(info, community[:]...)
	info = append(info, log[:]...)
	info = append(info, sender[:]...)
	k, err := hkdf.Key(sha256.New, secret, nil, string(info), 32)
	if err != nil { // only for lengths hkdf cannot produce
		panic(err)
	}
	return [32]byte(k)
}

// step returns the message key of chain key ck and the next chain key.
func step(ck [32]byte) (mk, next [32]byte) {
	return hmac32(&ck, []byte{1}), hmac32(&ck, []byte{2})
}

// messageKeyInfo is the HKDF info that expands a message key.
const messageKeyInfo = "umbrella/v1 message key"

// aeadOf expands a message key into the AEAD and its nonce: HKDF-SHA256
// (RFC 5869, no salt) of mk with info messageKeyInfo gives the 32-byte key
// and the 12-byte nonce. It runs once per sealed op, so it is HKDF
// written out over hmac32 (two expand blocks) rather than through
// crypto/hkdf, which allocates the HMAC state each time; the tests check
// it against crypto/hkdf.
func aeadOf(mk [32]byte) (cipherAEAD, []byte) {
	var zero [32]byte // no salt: HashLen zeros
	prk := hmac32(&zero, mk[:])
	var buf [32 + len(messageKeyInfo) + 1]byte
	n := copy(buf[:], messageKeyInfo)
	buf[n] = 1
	t1 := hmac32(&prk, buf[:n+1])
	copy(buf[:], t1[:])
	n = 32 + copy(buf[32:], messageKeyInfo)
	buf[n] = 2
	t2 := hmac32(&prk, buf[:n+1])
	a, err := chacha20poly1305.New(t1[:])
	if err != nil {
		panic(err)
	}
	return a, t2[:chacha20poly1305.NonceSize]
}

// hmac32 is HMAC-SHA256 (RFC 2104) under a 32-byte key of a message of at
// most hmacMaxMsg bytes, computed on the stack: the ratchet's hot path
// calls it three to five times per op.
func hmac32(key *[32]byte, msg []byte) [32]byte {
	if len(msg) > hmacMaxMsg {
		panic("e2ee: hmac32 message too long")
	}
	var in [sha256.BlockSize + hmacMaxMsg]byte
	var out [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		k := byte(0)
		if i < len(key) {
			k = key[i]
		}
		in[i], out[i] = k^0x36, k^0x5c
	}
	copy(in[sha256.BlockSize:], msg)
	inner := sha256.Sum256(in[:sha256.BlockSize+len(msg)])
	copy(out[sha256.BlockSize:], inner[:])
	return sha256.Sum256(out[:])
}

// hmacMaxMsg bounds hmac32's message: HKDF's second expand block (the
// first block, the info and a counter byte) is the longest.
const hmacMaxMsg = 64

type cipherAEAD interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

// inviteAEAD derives the key of an invite's details from the link's
// secret seed; it seals exactly one message, so the nonce is fixed.
func inviteAEAD(seed []byte) cipherAEAD {
	k, err := hkdf.Key(sha256.New, seed, nil, "umbrella/v1 invite details", chacha20poly1305.KeySize)
	if err != nil {
		panic(err)
	}
	a, err := chacha20poly1305.New(k)
	if err != nil {
		panic(err)
	}
	return a
}

// SealInvite encrypts an invite's details under its link secret.
func SealInvite(seed, plain []byte) []byte {
	return inviteAEAD(seed).Seal(nil, make([]byte, chacha20poly1305.NonceSize), plain, nil)
}

// OpenInvite opens what SealInvite sealed.
func OpenInvite(seed, sealed []byte) ([]byte, error) {
	plain, err := inviteAEAD(seed).Open(nil, make([]byte, chacha20poly1305.NonceSize), sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: invite details", ErrDecrypt)
	}
	return plain, nil
}

// EpochCheck is the commitment to an epoch secret that its rekey ops
// carry: HMAC-SHA256 under the secret of the epoch id.
func EpochCheck(id crdt.EpochID, secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("umbrella/v1 epoch check\x00"))
	h.Write(id[:])
	return h.Sum(nil)
}
