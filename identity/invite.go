package identity

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// LinkPrefix starts every invite link.
const LinkPrefix = "umbrella://join/"

// ErrBadLink: an invite link is malformed.
var ErrBadLink = errors.New("invalid invite link")

// InviteLink is what an invite link carries: the admin-signed invite
// capability (an encoded control-log op, opaque here, which names the
// community, the invite's public key, role, expiry, uses and the multiaddrs
// to dial) and the invite's private seed, with which the joiner signs its own
// identity. Whoever holds the link may join, so links travel like passwords.
type InviteLink struct {
	Capability []byte // encoded, signed invite op
	Secret     []byte // 32-byte Ed25519 seed of the invite key
}

type wireLink struct {
	Capability []byte `cbor:"1,keyasint"`
	Secret     []byte `cbor:"2,keyasint"`
}

var (
	linkEnc cbor.EncMode
	linkDec cbor.DecMode
)

func init() {
	var err error
	if linkEnc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	linkDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   linkMaxNested,
		MaxArrayElements:  linkMaxArray,
		MaxMapPairs:       linkMaxMap,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// InviteKey returns the invite's public key.
func (l InviteLink) InviteKey() ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(l.Secret).Public().(ed25519.PublicKey)
}

// SignWithInvite signs msg with the invite's private key.
func (l InviteLink) SignWithInvite(msg []byte) []byte {
	return ed25519.Sign(ed25519.NewKeyFromSeed(l.Secret), msg)
}

// String encodes the link as umbrella://join/<base64url>.
func (l InviteLink) String() string {
	data, err := linkEnc.Marshal(wireLink(l))
	if err != nil {
		panic(fmt.Sprintf("identity: encode link: %v", err)) // byte strings always encode
	}
	return LinkPrefix + base64.RawURLEncoding.EncodeToString(data)
}

// ParseInviteLink decodes a link. It accepts surrounding whitespace and the
// link with or without its scheme. It checks the container only; the caller
// verifies the capability op.
func ParseInviteLink(s string) (InviteLink, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLinkLen {
		return InviteLink{}, fmt.Errorf("%w: %d characters, at most %d", ErrBadLink, len(s), MaxLinkLen)
	}
	payload, ok := strings.CutPrefix(s, LinkPrefix)
	if !ok {
		return InviteLink{}, fmt.Errorf("%w: it must start with %s", ErrBadLink, LinkPrefix)
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return InviteLink{}, fmt.Errorf("%w: it is damaged or incomplete (was it copied whole?)", ErrBadLink)
	}
	var w wireLink
	if err := linkDec.Unmarshal(data, &w); err != nil {
		return InviteLink{}, fmt.Errorf("%w: it is damaged (was it copied whole?): %v", ErrBadLink, err)
	}
	if len(w.Secret) != ed25519.SeedSize {
		return InviteLink{}, fmt.Errorf("%w: invite key is %d bytes, want %d", ErrBadLink, len(w.Secret), ed25519.SeedSize)
	}
	if len(w.Capability) == 0 {
		return InviteLink{}, fmt.Errorf("%w: no invite capability", ErrBadLink)
	}
	return InviteLink(w), nil
}
