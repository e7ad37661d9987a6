package crdt

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Role is a member's rank in a community: owner > admin > member.
type Role uint8

// Roles. RoleNone means not a member.
const (
	RoleNone   Role = 0
	RoleMember Role = 1
	RoleAdmin  Role = 2
	RoleOwner  Role = 3
)

// String names the role as shown to people and in JSON.
func (r Role) String() string {
	switch r {
	case RoleMember:
		return "member"
	case RoleAdmin:
		return "admin"
	case RoleOwner:
		return "owner"
	default:
		return "none"
	}
}

// Body size limits, in bytes of UTF-8.
const (
	MaxNameLen   = 64
	MaxTextLen   = 16 << 10
	MaxAddrs     = 16
	MaxAddrLen   = 256
	MaxDescLen   = 1024
	joinProofTag = "umbrella/join/v1"
)

// GenesisBody creates a community. Its author is the first owner. The
// community's announcement group has the community id as its group id.
type GenesisBody struct {
	Name        string `cbor:"1,keyasint"`
	Description string `cbor:"2,keyasint,omitempty"`
	Time        int64  `cbor:"3,keyasint"` // author's clock, unix milliseconds
}

// InviteBody is an admin's invite capability. The link carries the private
// half of Key; whoever holds it may sign a JoinBody.
type InviteBody struct {
	Key     []byte   `cbor:"1,keyasint"`           // 32-byte Ed25519 invite public key
	Role    Role     `cbor:"2,keyasint"`           // role granted on join (member)
	Expires int64    `cbor:"3,keyasint,omitempty"` // unix seconds; 0 = never
	MaxUses uint32   `cbor:"4,keyasint,omitempty"` // 0 = unlimited
	Addrs   []string `cbor:"5,keyasint,omitempty"` // inviter multiaddrs, with /p2p/
	Relays  []string `cbor:"6,keyasint,omitempty"` // relay multiaddrs
	Name    string   `cbor:"7,keyasint"`           // community name, shown before joining
	Time    int64    `cbor:"8,keyasint"`           // author's clock, unix milliseconds
}

// JoinBody redeems an invite: Proof is the invite key's signature over
// JoinProofMessage(community, invite, joiner).
type JoinBody struct {
	Invite []byte `cbor:"1,keyasint"` // invite op id
	Proof  []byte `cbor:"2,keyasint"`
	Name   string `cbor:"3,keyasint"`
	Time   int64  `cbor:"4,keyasint"` // joiner's clock, unix milliseconds; checked against the invite's expiry
}

// ProfileBody sets the author's display name.
type ProfileBody struct {
	Name string `cbor:"1,keyasint"`
}

// GroupCreateBody creates a sub-group; its id is the op's id.
type GroupCreateBody struct {
	Name        string `cbor:"1,keyasint"`
	Description string `cbor:"2,keyasint,omitempty"`
}

// MessageBody is a text message in a group.
type MessageBody struct {
	Text string `cbor:"1,keyasint"`
	Time int64  `cbor:"2,keyasint"` // author's clock, unix milliseconds; shown only
}

// JoinProofMessage is what the invite key signs to admit joiner.
func JoinProofMessage(community, invite ID, joiner PublicKey) []byte {
	m := make([]byte, 0, len(joinProofTag)+96)
	m = append(m, joinProofTag...)
	m = append(m, community[:]...)
	m = append(m, invite[:]...)
	return append(m, joiner[:]...)
}

// DecodeBody strictly decodes an op's body into the struct for its kind
// (*GenesisBody, *InviteBody, …) and checks the body's own limits.
func DecodeBody(o *Op) (any, error) {
	var b interface{ check() error }
	switch o.Kind {
	case KindGenesis:
		b = new(GenesisBody)
	case KindInvite:
		b = new(InviteBody)
	case KindJoin:
		b = new(JoinBody)
	case KindProfile:
		b = new(ProfileBody)
	case KindGroupCreate:
		b = new(GroupCreateBody)
	case KindMessage:
		b = new(MessageBody)
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformed, o.Kind)
	}
	if err := Unmarshal(o.Body, b); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrMalformed, o.Kind, err)
	}
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("%w: %s body: %v", ErrMalformed, o.Kind, err)
	}
	return b, nil
}

// EncodeBody encodes a body after checking it, so a node never signs what
// others would reject.
func EncodeBody(b interface{ check() error }) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return Marshal(b)
}

func checkText(field, s string, max int, oneLine bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	if len(s) > max {
		return fmt.Errorf("%s is %d bytes, at most %d", field, len(s), max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && (oneLine || (r != '\n' && r != '\t')) {
			return fmt.Errorf("%s contains control character %U", field, r)
		}
	}
	return nil
}

func checkName(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s is empty", field)
	}
	if s != strings.TrimSpace(s) {
		return fmt.Errorf("%s has surrounding spaces", field)
	}
	return checkText(field, s, MaxNameLen, true)
}

func (b *GenesisBody) check() error {
	if err := checkName("community name", b.Name); err != nil {
		return err
	}
	return checkText("description", b.Description, MaxDescLen, false)
}

func (b *InviteBody) check() error {
	if len(b.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("invite key is %d bytes, want %d", len(b.Key), ed25519.PublicKeySize)
	}
	if b.Role != RoleMember {
		return fmt.Errorf("invite role %v: invites admit members only", b.Role)
	}
	if b.Expires < 0 {
		return fmt.Errorf("negative expiry")
	}
	if len(b.Addrs) > MaxAddrs || len(b.Relays) > MaxAddrs {
		return fmt.Errorf("more than %d addresses", MaxAddrs)
	}
	for _, a := range append(append([]string(nil), b.Addrs...), b.Relays...) {
		if err := checkText("address", a, MaxAddrLen, true); err != nil {
			return err
		}
	}
	return checkName("community name", b.Name)
}

func (b *JoinBody) check() error {
	if len(b.Invite) != len(ID{}) {
		return fmt.Errorf("invite id is %d bytes, want 32", len(b.Invite))
	}
	if len(b.Proof) != ed25519.SignatureSize {
		return fmt.Errorf("proof is %d bytes, want %d", len(b.Proof), ed25519.SignatureSize)
	}
	return checkName("display name", b.Name)
}

func (b *ProfileBody) check() error { return checkName("display name", b.Name) }

func (b *GroupCreateBody) check() error {
	if err := checkName("group name", b.Name); err != nil {
		return err
	}
	return checkText("description", b.Description, MaxDescLen, false)
}

func (b *MessageBody) check() error {
	if strings.TrimSpace(b.Text) == "" {
		return fmt.Errorf("message is empty")
	}
	return checkText("message", b.Text, MaxTextLen, false)
}
