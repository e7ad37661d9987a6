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

const joinProofTag = "umbrella/join/v1"

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
	// Details, when set, holds Name, Addrs and Relays (which are then
	// empty) encrypted under a key only the link carries (e2ee.SealInvite):
	// the invite op is clear, so the community's name and the inviter's
	// addresses are not left readable to relays.
	Details []byte `cbor:"9,keyasint,omitempty"`
}

// InviteDetails is what InviteBody.Details encrypts.
type InviteDetails struct {
	Name   string   `cbor:"1,keyasint"`
	Addrs  []string `cbor:"2,keyasint,omitempty"`
	Relays []string `cbor:"3,keyasint,omitempty"`
	// Inviter is the display name of the admin who made the invite, and
	// Description the community's, as the join dialog shows them (both
	// may be empty).
	Inviter     string `cbor:"4,keyasint,omitempty"`
	Description string `cbor:"5,keyasint,omitempty"`
}

// Check checks details opened from an invite.
func (d *InviteDetails) Check() error {
	b := InviteBody{Key: make([]byte, ed25519.PublicKeySize), Role: RoleMember, Name: d.Name, Addrs: d.Addrs, Relays: d.Relays}
	if err := b.check(); err != nil {
		return err
	}
	if d.Inviter != "" {
		if err := checkName("inviter name", d.Inviter); err != nil {
			return err
		}
	}
	return checkText("description", d.Description, MaxDescLen, false)
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
	Time int64  `cbor:"2,keyasint,omitempty"`
}

// GroupCreateBody creates a sub-group; its id is the op's id.
//
// With PolicyPrivate it starts a private conversation: Participants are
// the members other than the author who are in it, fixed for good (1 for
// a one-to-one, at most MaxPrivateOthers), as member keys sorted and
// unique; Name may then be empty. Other policies have no Participants.
type GroupCreateBody struct {
	Name         string      `cbor:"1,keyasint"`
	Description  string      `cbor:"2,keyasint,omitempty"`
	Policy       GroupPolicy `cbor:"3,keyasint,omitempty"`
	Time         int64       `cbor:"4,keyasint,omitempty"`
	Participants [][]byte    `cbor:"5,keyasint,omitempty"`
}

// MessageBody is a text message in a group.
type MessageBody struct {
	Text     string   `cbor:"1,keyasint"`
	Time     int64    `cbor:"2,keyasint"`           // author's clock, unix milliseconds; shown only
	ReplyTo  []byte   `cbor:"3,keyasint,omitempty"` // id of a message or poll in the same group
	Mentions [][]byte `cbor:"4,keyasint,omitempty"` // member keys, sorted and unique
	File     *FileRef `cbor:"5,keyasint,omitempty"` // a shared file; Text is then its caption, maybe empty
}

// FileRef is a file shared by a message: what a member needs to fetch it
// (its root, the address of its ciphertext, package sync/blob) and to read
// it (its key). It travels only inside the message's sealed body.
type FileRef struct {
	Name  string `cbor:"1,keyasint"`           // the sender's file name, no directories
	Size  int64  `cbor:"2,keyasint"`           // clear bytes, 0 to MaxFileSize
	Mime  string `cbor:"3,keyasint,omitempty"` // media type, "type/subtype"
	Root  []byte `cbor:"4,keyasint"`           // BLAKE3 (bao) root of the ciphertext
	Key   []byte `cbor:"5,keyasint"`           // the file's own 32-byte key
	Thumb []byte `cbor:"6,keyasint,omitempty"` // a small preview image (JPEG or PNG)
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
// (*GenesisBody, *InviteBody, …) and checks the body's own limits. A
// sealed body fails with ErrSealed: see DecodeOpened.
func DecodeBody(o *Op) (any, error) { return DecodeOpened(o, nil) }

// DecodeOpened is DecodeBody for an op this node may have opened: plain
// is the clear body of sealed op o (nil when not opened), and is ignored
// when o's body is in clear.
func DecodeOpened(o *Op, plain []byte) (any, error) {
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
	case KindSettings:
		b = new(SettingsBody)
	case KindDeactivate:
		b = new(DeactivateBody)
	case KindDecide:
		b = new(DecideBody)
	case KindAdd:
		b = new(AddBody)
	case KindRemove:
		b = new(RemoveBody)
	case KindLeave:
		b = new(LeaveBody)
	case KindRole:
		b = new(RoleBody)
	case KindInviteRevoke:
		b = new(InviteRevokeBody)
	case KindGroupUpdate:
		b = new(GroupUpdateBody)
	case KindGroupJoin:
		b = new(GroupJoinBody)
	case KindGroupLeave:
		b = new(GroupLeaveBody)
	case KindGroupDecide:
		b = new(GroupDecideBody)
	case KindGroupOrder:
		b = new(GroupOrderBody)
	case KindSteps:
		b = new(StepsBody)
	case KindProgress:
		b = new(ProgressBody)
	case KindStep:
		b = new(StepBody)
	case KindPhoto:
		b = new(PhotoBody)
	case KindIcon:
		b = new(IconBody)
	case KindMessage:
		b = new(MessageBody)
	case KindEdit:
		b = new(EditBody)
	case KindDelete:
		b = new(DeleteBody)
	case KindReaction:
		b = new(ReactionBody)
	case KindPoll:
		b = new(PollBody)
	case KindVote:
		b = new(VoteBody)
	case KindPollClose:
		b = new(PollCloseBody)
	case KindPin:
		b = new(PinBody)
	case KindPrekey:
		b = new(PrekeyBody)
	case KindRekey:
		b = new(RekeyBody)
	case KindRelay:
		b = new(RelayBody)
	case KindInviteKeys:
		b = new(InviteKeysBody)
	case KindGroupAdd, KindGroupRemove:
		b = groupBody(o.Kind)
	case KindCall:
		b = new(CallBody)
	default:
		if b = teamBody(o.Kind); b == nil {
			return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformed, o.Kind)
		}
	}
	body := o.Body
	if o.Sealed() {
		if !o.Kind.Sealable() {
			return nil, fmt.Errorf("%w: a %s op is never encrypted", ErrMalformed, o.Kind)
		}
		if body = plain; body == nil {
			return nil, fmt.Errorf("%s op %s: %w", o.Kind, o.ID().Short(), ErrSealed)
		}
	}
	if err := Unmarshal(body, b); err != nil {
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
	if len(b.Details) > 0 {
		if b.Name != "" || len(b.Addrs) > 0 || len(b.Relays) > 0 || len(b.Details) > MaxDetailsSize {
			return fmt.Errorf("sealed invite details must replace name and addresses and stay under 8 KiB")
		}
		return nil
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
	if !b.Policy.valid() {
		return fmt.Errorf("unknown group policy %d", b.Policy)
	}
	if b.Policy != PolicyPrivate {
		if len(b.Participants) > 0 {
			return fmt.Errorf("only a private conversation names its participants")
		}
		if err := checkName("group name", b.Name); err != nil {
			return err
		}
	} else {
		if len(b.Participants) < 1 || len(b.Participants) > MaxPrivateOthers {
			return fmt.Errorf("private conversation has %d other participants, want 1 to %d", len(b.Participants), MaxPrivateOthers)
		}
		for i, p := range b.Participants {
			if err := checkID("participant", p); err != nil {
				return err
			}
			if i > 0 && string(b.Participants[i-1]) >= string(p) {
				return fmt.Errorf("participants must be sorted and unique")
			}
		}
		if b.Name != "" {
			if err := checkName("conversation name", b.Name); err != nil {
				return err
			}
		}
	}
	return checkText("description", b.Description, MaxDescLen, false)
}

func (b *MessageBody) check() error {
	if b.File != nil {
		if err := b.File.check(); err != nil {
			return err
		}
	} else if strings.TrimSpace(b.Text) == "" {
		return fmt.Errorf("message is empty")
	}
	if err := checkOptID("reply-to", b.ReplyTo); err != nil {
		return err
	}
	if len(b.Mentions) > MaxMentions {
		return fmt.Errorf("%d mentions, at most %d", len(b.Mentions), MaxMentions)
	}
	for i, m := range b.Mentions {
		if len(m) != 32 {
			return fmt.Errorf("mention %d is %d bytes, want 32", i, len(m))
		}
		if i > 0 && string(b.Mentions[i-1]) >= string(m) {
			return fmt.Errorf("mentions must be sorted and unique")
		}
	}
	return checkText("message", b.Text, MaxTextLen, false)
}

// GroupPolicy says how members get into a group.
type GroupPolicy uint8

// Group policies.
const (
	// PolicyOpen: any community member may join.
	PolicyOpen GroupPolicy = 0
	// PolicyApproval: members ask to join and an admin approves.
	PolicyApproval GroupPolicy = 1
	// PolicyEveryone: every community member is in the group (like the
	// announcement group, but everyone may post).
	PolicyEveryone GroupPolicy = 2
	// PolicyPrivate: a private conversation. Its creator names the other
	// participants in the create op; nobody joins later, participants may
	// leave, and nobody moderates it (see State.CheckContent).
	PolicyPrivate GroupPolicy = 3
)

func (p GroupPolicy) valid() bool { return p <= PolicyPrivate }

// String names the policy as shown in JSON.
func (p GroupPolicy) String() string {
	switch p {
	case PolicyOpen:
		return "open"
	case PolicyApproval:
		return "approval"
	case PolicyEveryone:
		return "everyone"
	case PolicyPrivate:
		return "private"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// JoinPolicy says how people with an invite link become members.
type JoinPolicy uint8

// Join policies.
const (
	// JoinByLink: redeeming a valid invite makes you a member.
	JoinByLink JoinPolicy = 0
	// JoinByApproval: redeeming an invite asks to join; an admin decides.
	JoinByApproval JoinPolicy = 1
)

// String names the policy as shown in JSON.
func (p JoinPolicy) String() string {
	if p == JoinByApproval {
		return "approval"
	}
	return "link"
}

// SettingsBody replaces the community's settings (admins).
type SettingsBody struct {
	Name                string     `cbor:"1,keyasint"`
	Description         string     `cbor:"2,keyasint,omitempty"`
	JoinPolicy          JoinPolicy `cbor:"3,keyasint,omitempty"`
	MembersCreateGroups bool       `cbor:"4,keyasint,omitempty"` // false: members may only suggest groups
	Time                int64      `cbor:"5,keyasint,omitempty"`
	// HideHistory: members who join (a community or a group) are not
	// shown what was said before they came. False by default: a new
	// distributor reads the training and announcements already posted.
	HideHistory bool `cbor:"6,keyasint,omitempty"`
	// PrivateToAdminsOnly: members may start private conversations only
	// with admins and owners, not with each other. False by default:
	// sponsors coach their recruits one to one. Admins and owners may
	// always start one with anyone.
	PrivateToAdminsOnly bool `cbor:"7,keyasint,omitempty"`
	// MaxFileSize: the largest file, in clear bytes, members may share;
	// 0 is the protocol's own bound, MaxFileSize (2 GiB). Admins set it
	// lower to keep members' disks and relays' quotas for what matters.
	MaxFileSize int64 `cbor:"8,keyasint,omitempty"`
}

// DeactivateBody makes the community read-only (owners).
type DeactivateBody struct {
	Time int64 `cbor:"1,keyasint,omitempty"`
}

// DecideBody approves or denies a pending join request (admins).
type DecideBody struct {
	Member  []byte `cbor:"1,keyasint"`
	Approve bool   `cbor:"2,keyasint,omitempty"`
	Time    int64  `cbor:"3,keyasint,omitempty"`
}

// AddBody adds a member directly by key (admins), with a role no higher than
// the actor's own.
type AddBody struct {
	Member []byte `cbor:"1,keyasint"`
	Name   string `cbor:"2,keyasint"`
	Role   Role   `cbor:"3,keyasint"`
	Time   int64  `cbor:"4,keyasint,omitempty"`
}

// SeenLog is what a remover or demoter had seen of one group's content log:
// the log's heads. Strong removal keeps the target's ops in their past.
type SeenLog struct {
	Group []byte   `cbor:"1,keyasint"`
	Heads [][]byte `cbor:"2,keyasint"`
}

// RemoveBody removes a member from the community and every group.
type RemoveBody struct {
	Member []byte    `cbor:"1,keyasint"`
	Seen   []SeenLog `cbor:"2,keyasint,omitempty"`
	Time   int64     `cbor:"3,keyasint,omitempty"`
}

// LeaveBody: the author leaves the community.
type LeaveBody struct {
	Time int64 `cbor:"1,keyasint,omitempty"`
}

// RoleBody sets a member's role (promote or demote).
type RoleBody struct {
	Member []byte    `cbor:"1,keyasint"`
	Role   Role      `cbor:"2,keyasint"`
	Seen   []SeenLog `cbor:"3,keyasint,omitempty"`
	Time   int64     `cbor:"4,keyasint,omitempty"`
}

// InviteRevokeBody revokes an invite; joins concurrent with it fall.
type InviteRevokeBody struct {
	Invite []byte `cbor:"1,keyasint"`
	Time   int64  `cbor:"2,keyasint,omitempty"`
}

// GroupUpdateBody replaces a group's details (admins). Approve turns a
// member's suggested group into a real one.
type GroupUpdateBody struct {
	Group       []byte      `cbor:"1,keyasint"`
	Name        string      `cbor:"2,keyasint"`
	Description string      `cbor:"3,keyasint,omitempty"`
	Policy      GroupPolicy `cbor:"4,keyasint,omitempty"`
	Archived    bool        `cbor:"5,keyasint,omitempty"`
	Approve     bool        `cbor:"6,keyasint,omitempty"`
	Time        int64       `cbor:"7,keyasint,omitempty"`
}

// GroupJoinBody: the author joins an open group or asks to join an
// approval group.
type GroupJoinBody struct {
	Group []byte `cbor:"1,keyasint"`
	Time  int64  `cbor:"2,keyasint,omitempty"`
}

// GroupLeaveBody: the author leaves a group.
type GroupLeaveBody struct {
	Group []byte `cbor:"1,keyasint"`
	Time  int64  `cbor:"2,keyasint,omitempty"`
}

// GroupDecideBody approves or denies a request to join a group (admins).
type GroupDecideBody struct {
	Group   []byte `cbor:"1,keyasint"`
	Member  []byte `cbor:"2,keyasint"`
	Approve bool   `cbor:"3,keyasint,omitempty"`
	Time    int64  `cbor:"4,keyasint,omitempty"`
}

// EditBody replaces the text of the author's own message.
type EditBody struct {
	Target []byte `cbor:"1,keyasint"`
	Text   string `cbor:"2,keyasint"`
	Time   int64  `cbor:"3,keyasint,omitempty"`
}

// DeleteBody deletes a message or poll for everyone.
type DeleteBody struct {
	Target []byte `cbor:"1,keyasint"`
	Time   int64  `cbor:"2,keyasint,omitempty"`
}

// ReactionBody adds (On) or removes an emoji reaction: a last-writer-wins
// register per (author, target, emoji). Emoji is one emoji (CheckEmoji);
// runs accepted by the earlier rule stay valid (checkLegacyEmoji).
type ReactionBody struct {
	Target []byte `cbor:"1,keyasint"`
	Emoji  string `cbor:"2,keyasint"`
	On     bool   `cbor:"3,keyasint,omitempty"`
	Time   int64  `cbor:"4,keyasint,omitempty"`
}

// PollBody is a poll with 2–12 options.
type PollBody struct {
	Question string   `cbor:"1,keyasint"`
	Options  []string `cbor:"2,keyasint"`
	Multi    bool     `cbor:"3,keyasint,omitempty"`
	Closes   int64    `cbor:"4,keyasint,omitempty"` // unix milliseconds; 0 = open until closed
	Time     int64    `cbor:"5,keyasint"`
}

// VoteBody is a voter's choice in a poll: a last-writer-wins register per
// (voter, poll). No choices withdraws the vote.
type VoteBody struct {
	Poll    []byte  `cbor:"1,keyasint"`
	Choices []uint8 `cbor:"2,keyasint,omitempty"`
	Time    int64   `cbor:"3,keyasint,omitempty"`
}

// PollCloseBody closes a poll.
type PollCloseBody struct {
	Poll []byte `cbor:"1,keyasint"`
	Time int64  `cbor:"2,keyasint,omitempty"`
}

// PinBody pins (On) or unpins a message (admins; at most MaxPins per group).
type PinBody struct {
	Target []byte `cbor:"1,keyasint"`
	On     bool   `cbor:"2,keyasint,omitempty"`
	Time   int64  `cbor:"3,keyasint,omitempty"`
}

func checkID(field string, b []byte) error {
	if len(b) != 32 {
		return fmt.Errorf("%s is %d bytes, want 32", field, len(b))
	}
	return nil
}

func checkOptID(field string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return checkID(field, b)
}

func checkRole(r Role) error {
	if r < RoleMember || r > RoleOwner {
		return fmt.Errorf("role %d: want member, admin or owner", r)
	}
	return nil
}

func checkSeen(seen []SeenLog) error {
	n := 0
	for i, s := range seen {
		if err := checkID("seen group", s.Group); err != nil {
			return err
		}
		if i > 0 && string(seen[i-1].Group) >= string(s.Group) {
			return fmt.Errorf("seen groups must be sorted and unique")
		}
		if len(s.Heads) == 0 || len(s.Heads) > MaxParents {
			return fmt.Errorf("seen group has %d heads, want 1 to %d", len(s.Heads), MaxParents)
		}
		for _, h := range s.Heads {
			if err := checkID("seen head", h); err != nil {
				return err
			}
		}
		n += len(s.Heads)
	}
	if n > MaxSeenHeads {
		return fmt.Errorf("%d seen heads, at most %d", n, MaxSeenHeads)
	}
	return nil
}

func (b *SettingsBody) check() error {
	if err := checkName("community name", b.Name); err != nil {
		return err
	}
	if b.JoinPolicy > JoinByApproval {
		return fmt.Errorf("unknown join policy %d", b.JoinPolicy)
	}
	if b.MaxFileSize < 0 || b.MaxFileSize > MaxFileSize {
		return fmt.Errorf("file size limit %d, 0 to %d", b.MaxFileSize, int64(MaxFileSize))
	}
	return checkText("description", b.Description, MaxDescLen, false)
}

func (b *DeactivateBody) check() error { return nil }
func (b *DecideBody) check() error     { return checkID("member", b.Member) }
func (b *LeaveBody) check() error      { return nil }

func (b *AddBody) check() error {
	if err := checkID("member", b.Member); err != nil {
		return err
	}
	if err := checkRole(b.Role); err != nil {
		return err
	}
	return checkName("display name", b.Name)
}

func (b *RemoveBody) check() error {
	if err := checkID("member", b.Member); err != nil {
		return err
	}
	return checkSeen(b.Seen)
}

func (b *RoleBody) check() error {
	if err := checkID("member", b.Member); err != nil {
		return err
	}
	if err := checkRole(b.Role); err != nil {
		return err
	}
	return checkSeen(b.Seen)
}

func (b *InviteRevokeBody) check() error { return checkID("invite", b.Invite) }

func (b *GroupUpdateBody) check() error {
	if err := checkID("group", b.Group); err != nil {
		return err
	}
	if err := checkName("group name", b.Name); err != nil {
		return err
	}
	if !b.Policy.valid() {
		return fmt.Errorf("unknown group policy %d", b.Policy)
	}
	return checkText("description", b.Description, MaxDescLen, false)
}

func (b *GroupJoinBody) check() error  { return checkID("group", b.Group) }
func (b *GroupLeaveBody) check() error { return checkID("group", b.Group) }

func (b *GroupDecideBody) check() error {
	if err := checkID("group", b.Group); err != nil {
		return err
	}
	return checkID("member", b.Member)
}

func (b *EditBody) check() error {
	if err := checkID("target", b.Target); err != nil {
		return err
	}
	if strings.TrimSpace(b.Text) == "" {
		return fmt.Errorf("edited message is empty")
	}
	return checkText("message", b.Text, MaxTextLen, false)
}

func (b *DeleteBody) check() error { return checkID("target", b.Target) }

func (b *ReactionBody) check() error {
	if err := checkID("target", b.Target); err != nil {
		return err
	}
	if CheckEmoji(b.Emoji) == nil {
		return nil
	}
	return checkLegacyEmoji(b.Emoji)
}

// checkLegacyEmoji is the rule reactions were judged by before CheckEmoji:
// no letter, digit or space. A run such as "👍👍" or "!!" passes it. Ops are
// judged forever, and an op that becomes invalid takes every op that cites
// it as a parent with it, so what was once accepted stays accepted; writers
// (act) send only what CheckEmoji accepts.
func checkLegacyEmoji(s string) error {
	if s == "" {
		return fmt.Errorf("emoji is empty")
	}
	if err := checkText("emoji", s, MaxEmojiLen, true); err != nil {
		return err
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return fmt.Errorf("emoji %q contains a letter, digit or space", s)
		}
	}
	return nil
}

func (b *PollBody) check() error {
	if strings.TrimSpace(b.Question) == "" {
		return fmt.Errorf("poll question is empty")
	}
	if err := checkText("question", b.Question, MaxDescLen, false); err != nil {
		return err
	}
	if len(b.Options) < MinOptions || len(b.Options) > MaxOptions {
		return fmt.Errorf("poll has %d options, want %d to %d", len(b.Options), MinOptions, MaxOptions)
	}
	seen := map[string]bool{}
	for i, o := range b.Options {
		if strings.TrimSpace(o) == "" {
			return fmt.Errorf("option %d is empty", i+1)
		}
		if err := checkText(fmt.Sprintf("option %d", i+1), o, MaxOptionLen, true); err != nil {
			return err
		}
		if seen[o] {
			return fmt.Errorf("option %q appears twice", o)
		}
		seen[o] = true
	}
	if b.Closes < 0 {
		return fmt.Errorf("negative closing time")
	}
	return nil
}

func (b *VoteBody) check() error {
	if err := checkID("poll", b.Poll); err != nil {
		return err
	}
	if len(b.Choices) > MaxOptions {
		return fmt.Errorf("%d choices, at most %d", len(b.Choices), MaxOptions)
	}
	for i, c := range b.Choices {
		if int(c) >= MaxOptions {
			return fmt.Errorf("choice %d out of range", c)
		}
		if i > 0 && b.Choices[i-1] >= c {
			return fmt.Errorf("choices must be sorted and unique")
		}
	}
	return nil
}

func (b *PollCloseBody) check() error { return checkID("poll", b.Poll) }
func (b *PinBody) check() error       { return checkID("target", b.Target) }

// EncodeAny is EncodeBody for callers outside the package, which hold a
// body as a plain value: it fails for a value that is not an op body.
func EncodeAny(b any) ([]byte, error) {
	body, ok := b.(interface{ check() error })
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an op body", ErrInvalid, b)
	}
	return EncodeBody(body)
}

func (f *FileRef) check() error {
	if err := checkText("file name", f.Name, MaxFileNameLen, true); err != nil {
		return err
	}
	if strings.TrimSpace(f.Name) == "" || f.Name == "." || f.Name == ".." || strings.ContainsAny(f.Name, "/\\") {
		return fmt.Errorf("file name %q is not a plain file name", f.Name)
	}
	if f.Size < 0 || f.Size > MaxFileSize {
		return fmt.Errorf("file size %d, 0 to %d", f.Size, int64(MaxFileSize))
	}
	if err := checkMime(f.Mime); err != nil {
		return err
	}
	if len(f.Root) != 32 || len(f.Key) != 32 {
		return fmt.Errorf("file root of %d bytes and key of %d, want 32 each", len(f.Root), len(f.Key))
	}
	if len(f.Thumb) > MaxThumbSize {
		return fmt.Errorf("thumbnail of %d bytes, at most %d", len(f.Thumb), MaxThumbSize)
	}
	return nil
}

// CheckMediaType accepts "" or a lower-case "type/subtype" of token
// characters, the media types a file message may carry.
func CheckMediaType(m string) error { return checkMime(m) }

func checkMime(m string) error {
	if m == "" {
		return nil
	}
	if len(m) > MaxMimeLen {
		return fmt.Errorf("media type of %d bytes, at most %d", len(m), MaxMimeLen)
	}
	slash := strings.IndexByte(m, '/')
	if slash <= 0 || slash == len(m)-1 || strings.Count(m, "/") != 1 {
		return fmt.Errorf("media type %q is not type/subtype", m)
	}
	for _, c := range []byte(m) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("/!#$&^_.+-", c) >= 0) {
			return fmt.Errorf("media type %q has character %q", m, c)
		}
	}
	return nil
}
