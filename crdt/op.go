// Package crdt is Umbrella's pure domain: the signed, hash-linked operation
// envelope, its canonical encoding, and the materialised community state that
// every replica computes by replaying the same valid operations in the same
// deterministic order.
//
// The package must never do I/O, start goroutines, or read the wall clock:
// time and randomness come in as values. Persistence lives behind the OpStore
// interfaces of sync/store; networking lives in node.
//
// # Operation envelope
//
// Every change is an Op, encoded as Core Deterministic CBOR (RFC 8949 §4.2.1)
// as a map with small integer keys:
//
//	1 version   uint  (always 1)
//	2 community bstr  32-byte community id; absent in the genesis op
//	3 log       bstr  32-byte group id for a group's content log; absent for the control log
//	4 author    bstr  32-byte Ed25519 public key of the signer
//	5 parents   array of 32-byte op ids: the heads the author knew in this log (≤ 16)
//	6 height    uint  1 + max(parent heights); 1 for an op with no parents
//	7 kind      uint  the operation kind (see Kind)
//	8 body      bstr  the kind-specific body, itself canonical CBOR (≤ 60 KiB)
//	9 deps      array of control-log op ids a content op was written against (≤ 16)
//	10 sig      bstr  64-byte Ed25519 signature by author over the encoding without key 10
//
// An op's id is BLAKE3-256 of its full encoding (with the signature). A
// community's id is the id of its genesis op. Decoding is strict: unknown or
// duplicate keys, indefinite lengths, tags, non-canonical forms and anything
// over the limits are rejected, so one op has exactly one encoding and one id.
package crdt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
	"lukechampine.com/blake3"
)

// Version is the only envelope version this code reads or writes.
const Version = 1

// ID is a 32-byte BLAKE3-256 hash naming an op, a community (its genesis op)
// or a group (the op that created it).
type ID [32]byte

// ZeroID is the absent id.
var ZeroID ID

// String returns the id in lowercase hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex digits, for logs.
func (id ID) Short() string { return hex.EncodeToString(id[:4]) }

// IsZero reports whether id is the absent id.
func (id ID) IsZero() bool { return id == ZeroID }

// Compare orders ids bytewise.
func (id ID) Compare(o ID) int { return bytes.Compare(id[:], o[:]) }

// ParseID parses a 64-digit hex id.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("id %q: want 64 hex digits, got %d characters", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("id %q: %w", s, err)
	}
	return id, nil
}

// PublicKey is an Ed25519 public key, the identity of an author.
type PublicKey [32]byte

// String returns the key in lowercase hex.
func (k PublicKey) String() string { return hex.EncodeToString(k[:]) }

// Kind says what an op does. Control-log kinds are below 100; content-log
// kinds are 100 and above.
type Kind uint16

// Operation kinds.
const (
	KindGenesis      Kind = 1  // control: creates the community; the author is its first owner
	KindInvite       Kind = 2  // control: an admin's invite capability
	KindJoin         Kind = 3  // control: a member joins (or asks to join) by redeeming an invite
	KindProfile      Kind = 4  // control: a member sets their display name
	KindGroupCreate  Kind = 5  // control: creates a sub-group (or suggests one)
	KindSettings     Kind = 6  // control: community name, description and policies (admins)
	KindDeactivate   Kind = 7  // control: the community becomes read-only (owners)
	KindDecide       Kind = 8  // control: an admin approves or denies a join request
	KindAdd          Kind = 9  // control: an admin adds a member directly
	KindRemove       Kind = 10 // control: an admin removes a member from the community
	KindLeave        Kind = 11 // control: a member leaves the community
	KindRole         Kind = 12 // control: promote or demote a member
	KindInviteRevoke Kind = 13 // control: an admin revokes an invite
	KindGroupUpdate  Kind = 14 // control: rename, describe, archive or approve a group (admins)
	KindGroupJoin    Kind = 15 // control: a member joins (or asks to join) a group
	KindGroupLeave   Kind = 16 // control: a member leaves a group
	KindGroupDecide  Kind = 17 // control: an admin approves or denies a group join request
	KindPrekey       Kind = 18 // control: a member publishes its HPKE prekey (clear)
	KindRekey        Kind = 19 // control: one part of a new epoch secret for a log, wrapped per member (clear)
	KindGroupOrder   Kind = 24 // control: an admin sets the order of the groups (grouporder.go)
	KindRelay        Kind = 20 // control: an admin adds or removes a relay (clear)
	KindInviteKeys   Kind = 21 // control: epoch secrets wrapped to an invite link's key (clear; invitekeys.go)
	KindGroupAdd     Kind = 22 // control: an admin puts a member into a group (groupmembers.go)
	KindGroupRemove  Kind = 23 // control: an admin takes a member out of a group (groupmembers.go)
	KindPhoto        Kind = 25 // control: a member sets or removes their profile photo (image.go)
	KindIcon         Kind = 26 // control: an admin sets or removes the community's icon (image.go)
	KindTeamSettings Kind = 29 // control: who may celebrate wins (admins; wins.go)
	KindGroupQA      Kind = 30 // control: an admin marks a group as a Q&A group, or unmarks it (qa.go)
	KindSteps        Kind = 27 // control: an admin sets the first steps and the welcome text (steps.go)
	KindProgress     Kind = 28 // control: a member opens its first-steps progress log (steps.go)
	KindMessage      Kind = 100
	KindEdit         Kind = 101 // content: the author edits their message
	KindDelete       Kind = 102 // content: the author, or an admin, deletes a message or poll
	KindReaction     Kind = 103 // content: add or remove an emoji reaction
	KindPoll         Kind = 104 // content: a poll
	KindVote         Kind = 105 // content: a vote (replaces the voter's earlier vote)
	KindPollClose    Kind = 106 // content: the poll's creator or an admin closes it
	KindPin          Kind = 107 // content: an admin pins or unpins a message
	KindWin          Kind = 110 // content: a member celebrates another's win (wins.go)
	KindPromo        Kind = 111 // content: an admin posts a promotion with its start and end (promo.go)
	KindPromoEdit    Kind = 112 // content: an admin edits a promotion, or ends it early (promo.go)
	KindEvent        Kind = 113 // content: an event (events.go)
	KindEventEdit    Kind = 114 // content: the event's creator or an admin edits it (events.go)
	KindRSVP         Kind = 115 // content: a member's answer to an event, latest wins (events.go)
	KindAnswer       Kind = 116 // content: the asker or an admin marks a reply as the answer (qa.go)
	KindCollect      Kind = 117 // content: an admin saves a post to a named collection, or takes it out (collect.go)
	KindStep         Kind = 108 // content: a member ticks or unticks one of its first steps (steps.go)
	KindCall         Kind = 118 // content: a call starts, or the caller or an admin records its end (call.go)
	kindControlLimit Kind = 100
)

// IsContent reports whether k belongs in a group's content log.
func (k Kind) IsContent() bool { return k >= kindControlLimit }

var kindNames = map[Kind]string{
	KindGenesis:      "genesis",
	KindInvite:       "invite",
	KindJoin:         "join",
	KindProfile:      "profile",
	KindGroupCreate:  "group.create",
	KindSettings:     "settings",
	KindDeactivate:   "deactivate",
	KindDecide:       "join.decide",
	KindAdd:          "member.add",
	KindRemove:       "member.remove",
	KindLeave:        "leave",
	KindRole:         "member.role",
	KindInviteRevoke: "invite.revoke",
	KindGroupUpdate:  "group.update",
	KindGroupJoin:    "group.join",
	KindGroupLeave:   "group.leave",
	KindGroupDecide:  "group.decide",
	KindPrekey:       "prekey",
	KindRekey:        "rekey",
	KindGroupOrder:   "group.order",
	KindRelay:        "relay",
	KindInviteKeys:   "invite.keys",
	KindGroupAdd:     "group.add",
	KindGroupRemove:  "group.remove",
	KindPhoto:        "photo",
	KindIcon:         "icon",
	KindTeamSettings: "team.settings",
	KindGroupQA:      "group.qa",
	KindMessage:      "message",
	KindEdit:         "edit",
	KindDelete:       "delete",
	KindReaction:     "reaction",
	KindPoll:         "poll",
	KindVote:         "vote",
	KindPollClose:    "poll.close",
	KindPin:          "pin",
	KindWin:          "win",
	KindPromo:        "promo",
	KindPromoEdit:    "promo.edit",
	KindEvent:        "event",
	KindEventEdit:    "event.edit",
	KindRSVP:         "rsvp",
	KindAnswer:       "answer",
	KindCollect:      "collect",
	KindSteps:        "steps",
	KindProgress:     "progress",
	KindStep:         "step",
	KindCall:         "call",
}

// String names the kind.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint16(k))
}

// Known reports whether this code understands kind k.
func (k Kind) Known() bool { _, ok := kindNames[k]; return ok }

// Op is one signed operation. Fields follow the envelope in the package doc.
// An Op obtained from DecodeOp or Sign is immutable: its cached encoding and
// id must stay in step with its fields.
//
// Its fields are laid out so that it takes 256 bytes, a size class of its
// own, and a node holds one per op it has (BenchmarkRebuild): hence Version
// beside Kind, and the encoding kept as a string header (TestOpSize).
type Op struct {
	Community ID // zero in genesis
	Log       ID // zero for the control log
	Author    PublicKey
	Parents   []ID
	Height    uint64
	Body      []byte
	Deps      []ID
	Sig       []byte
	Version   uint8
	Kind      Kind

	raw string // full canonical encoding, never modified (Bytes)
	id  ID
}

// wireOp is the CBOR shape of Op.
type wireOp struct {
	Version   uint8    `cbor:"1,keyasint"`
	Community []byte   `cbor:"2,keyasint,omitempty"`
	Log       []byte   `cbor:"3,keyasint,omitempty"`
	Author    []byte   `cbor:"4,keyasint"`
	Parents   [][]byte `cbor:"5,keyasint,omitempty"`
	Height    uint64   `cbor:"6,keyasint"`
	Kind      uint16   `cbor:"7,keyasint"`
	Body      []byte   `cbor:"8,keyasint,omitempty"`
	Deps      [][]byte `cbor:"9,keyasint,omitempty"`
	Sig       []byte   `cbor:"10,keyasint,omitempty"`
}

// The codec shared by everything that is signed or hashed: one Core
// Deterministic encoding, and the strict decoder of ops and their bodies,
// within the limits of limits.go.
var (
	encMode = mustEncMode()
	decoder = MustDecoder(decodeLimits)
	decMode = decoder.dm
)

func mustEncMode() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}

// Marshal encodes v as Core Deterministic CBOR.
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// Unmarshal decodes strict CBOR into v within the limits of ops and their
// bodies, and checks that data was the canonical encoding of the result,
// so every value has one encoding. Messages with other maximums use a
// Decoder of their own.
func Unmarshal(data []byte, v any) error { return decoder.Unmarshal(data, v) }

// DecodeLimits bound what a strict decoder accepts, whatever type it
// decodes into: the deepest nesting of arrays and maps, the most elements
// of one array and the most pairs of one map. Each package derives its own
// from the maximums of the messages it decodes (see its limits.go).
type DecodeLimits struct {
	MaxNested, MaxArray, MaxMap int
}

// The smallest limits the CBOR library accepts; MustDecoder raises lower
// ones to these.
const (
	MinDecodeNested = 4
	MinDecodeArray  = 16
	MinDecodeMap    = 16
)

// Decoder decodes strict, canonical CBOR within its limits: duplicate map
// keys, indefinite lengths, tags, unknown fields and invalid UTF-8 are
// rejected, and so is any encoding that is not the canonical one.
type Decoder struct {
	dm  cbor.DecMode
	lim DecodeLimits
}

// MustDecoder returns a strict decoder with limits l, each raised to the
// library's floor (MinDecodeNested, MinDecodeArray, MinDecodeMap). It
// panics on limits the library refuses (above 2³¹), which are constants'
// mistakes, not inputs'.
func MustDecoder(l DecodeLimits) *Decoder {
	l = DecodeLimits{max(l.MaxNested, MinDecodeNested), max(l.MaxArray, MinDecodeArray), max(l.MaxMap, MinDecodeMap)}
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   l.MaxNested,
		MaxArrayElements:  l.MaxArray,
		MaxMapPairs:       l.MaxMap,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("crdt: decode limits %+v: %v", l, err))
	}
	return &Decoder{dm: dm, lim: l}
}

// Limits returns the limits d enforces.
func (d *Decoder) Limits() DecodeLimits { return d.lim }

// Unmarshal decodes data strictly into v and checks that data was the
// canonical encoding of the result.
func (d *Decoder) Unmarshal(data []byte, v any) error {
	if err := d.dm.Unmarshal(data, v); err != nil {
		return err
	}
	again, err := encMode.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, data) {
		return ErrNotCanonical
	}
	return nil
}

// Errors that callers branch on. Every rejection wraps one of these, so a
// caller can tell a malformed op from one that is merely early.
var (
	// ErrMalformed: the bytes are not a well-formed op or body.
	ErrMalformed = errors.New("malformed op")
	// ErrNotCanonical: the encoding is valid CBOR but not the canonical one.
	ErrNotCanonical = errors.New("non-canonical encoding")
	// ErrTooLarge: a size limit is exceeded.
	ErrTooLarge = errors.New("op too large")
	// ErrBadSignature: the signature does not verify for the author key.
	ErrBadSignature = errors.New("bad signature")
	// ErrUnauthorized: the author's role in the op's causal past does not permit it.
	ErrUnauthorized = errors.New("not authorized")
	// ErrInvalid: the op is well formed and signed but breaks a rule.
	ErrInvalid = errors.New("invalid op")
	// ErrMissingDeps: some parents or control deps are not yet known.
	ErrMissingDeps = errors.New("missing dependencies")
)

func idsToWire(ids []ID) [][]byte {
	if len(ids) == 0 {
		return nil
	}
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

func idsFromWire(field string, in [][]byte) ([]ID, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]ID, len(in))
	for i, b := range in {
		if len(b) != len(ID{}) {
			return nil, fmt.Errorf("%w: %s[%d] is %d bytes, want 32", ErrMalformed, field, i, len(b))
		}
		copy(out[i][:], b)
		if i > 0 && out[i-1].Compare(out[i]) >= 0 {
			return nil, fmt.Errorf("%w: %s must be sorted and unique", ErrMalformed, field)
		}
	}
	return out, nil
}

func (o *Op) wire(withSig bool) wireOp {
	w := wireOp{
		Version: o.Version,
		Author:  o.Author[:],
		Parents: idsToWire(o.Parents),
		Height:  o.Height,
		Kind:    uint16(o.Kind),
		Body:    o.Body,
		Deps:    idsToWire(o.Deps),
	}
	if !o.Community.IsZero() {
		w.Community = o.Community[:]
	}
	if !o.Log.IsZero() {
		w.Log = o.Log[:]
	}
	if withSig {
		w.Sig = o.Sig
	}
	return w
}

// SigningBytes returns the encoding the signature covers: the op without key 10.
func (o *Op) SigningBytes() ([]byte, error) { return encMode.Marshal(o.wire(false)) }

// Signer signs op encodings. identity.Identity implements it.
type Signer interface {
	PublicKey() ed25519.PublicKey
	Sign(msg []byte) []byte
}

// Sign fills in o.Version, o.Author and o.Sig, sorts parents and deps, checks
// limits, and returns the finished immutable op.
func Sign(o Op, s Signer) (*Op, error) {
	o.Version = Version
	copy(o.Author[:], s.PublicKey())
	o.Parents = SortIDs(o.Parents)
	o.Deps = SortIDs(o.Deps)
	if err := o.checkShape(); err != nil {
		return nil, err
	}
	msg, err := o.SigningBytes()
	if err != nil {
		return nil, fmt.Errorf("encode op: %w", err)
	}
	o.Sig = s.Sign(msg)
	raw, err := encMode.Marshal(o.wire(true))
	if err != nil {
		return nil, fmt.Errorf("encode op: %w", err)
	}
	if len(raw) > MaxOpSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), MaxOpSize)
	}
	o.raw = rawString(raw)
	o.id = blake3.Sum256(raw)
	return &o, nil
}

// DecodeOp strictly decodes one op and verifies its signature. It never
// panics on any input; every error wraps ErrTooLarge, ErrMalformed,
// ErrNotCanonical or ErrBadSignature.
func DecodeOp(data []byte) (*Op, error) { return decodeOp(data, true) }

// DecodeStored decodes an op read back from this node's own store, which
// verified its signature when it was accepted: it checks the encoding as
// strictly as DecodeOp, and that the bytes hash to id (so a corrupt store is
// caught), but skips the signature. Never use it on bytes from a peer.
func DecodeStored(data []byte, id ID) (*Op, error) {
	if blake3.Sum256(data) != id {
		return nil, fmt.Errorf("decode stored op %s: %w: its bytes hash to another id", id.Short(), ErrMalformed)
	}
	return decodeOp(data, false)
}

// decodeOp decodes data; trusted (DecodeStored) skips the canonical and
// signature checks, which the op passed when it was stored, and keeps data
// rather than a copy.
func decodeOp(data []byte, verify bool) (*Op, error) {
	if len(data) > MaxOpSize {
		return nil, fmt.Errorf("decode op: %w: %d bytes, limit %d", ErrTooLarge, len(data), MaxOpSize)
	}
	var w wireOp
	if err := decMode.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decode op: %w: %v", ErrMalformed, err)
	}
	o := &Op{Version: w.Version, Height: w.Height, Kind: Kind(w.Kind), Body: w.Body, Sig: w.Sig}
	if o.Version != Version {
		return nil, fmt.Errorf("decode op: %w: version %d, want %d", ErrMalformed, w.Version, Version)
	}
	if err := copyKey(o.Community[:], w.Community, "community", true); err != nil {
		return nil, err
	}
	if err := copyKey(o.Log[:], w.Log, "log", true); err != nil {
		return nil, err
	}
	if err := copyKey(o.Author[:], w.Author, "author", false); err != nil {
		return nil, err
	}
	var err error
	if o.Parents, err = idsFromWire("parents", w.Parents); err != nil {
		return nil, fmt.Errorf("decode op: %w", err)
	}
	if o.Deps, err = idsFromWire("deps", w.Deps); err != nil {
		return nil, fmt.Errorf("decode op: %w", err)
	}
	if err := o.checkShape(); err != nil {
		return nil, fmt.Errorf("decode op: %w", err)
	}
	if len(o.Sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("decode op: %w: signature is %d bytes, want %d", ErrMalformed, len(o.Sig), ed25519.SignatureSize)
	}
	if verify {
		again, err := encMode.Marshal(o.wire(true))
		if err != nil || !bytes.Equal(again, data) {
			return nil, fmt.Errorf("decode op: %w", ErrNotCanonical)
		}
		msg, err := signingBytesOf(data)
		if err != nil {
			return nil, fmt.Errorf("decode op: %w: %v", ErrMalformed, err)
		}
		if !verifySig(o.Author, msg, o.Sig) {
			return nil, fmt.Errorf("decode op: %w", ErrBadSignature)
		}
		data = append([]byte(nil), data...)
	}
	o.raw = rawString(data)
	o.id = blake3.Sum256(data)
	// Share the body and signature with the encoding instead of holding
	// copies: in the canonical encoding the signature (key 10) is last.
	o.Sig = data[len(data)-ed25519.SignatureSize:]
	if i := bytes.Index(data, o.Body); len(o.Body) > 0 && i >= 0 {
		o.Body = data[i : i+len(o.Body) : i+len(o.Body)]
	}
	return o, nil
}

// sigTail is how a canonical encoding ends: key 10, then the 64-byte
// signature's byte-string header.
var sigTail = []byte{0x0a, 0x58, ed25519.SignatureSize}

// signingBytesOf returns what the signature of canonical op encoding data
// covers, as SigningBytes would encode it, without encoding the op again:
// the signature (key 10) is the last entry of the map, so the signing
// bytes are data with one entry fewer in its map header and that entry
// cut off. data must already be known canonical with a 64-byte signature.
func signingBytesOf(data []byte) ([]byte, error) {
	cut := len(data) - len(sigTail) - ed25519.SignatureSize
	if cut < 1 || !bytes.Equal(data[cut:cut+len(sigTail)], sigTail) || data[0] < 0xa1 || data[0] > 0xb7 {
		return nil, errors.New("signature is not the encoding's last entry")
	}
	msg := make([]byte, cut)
	msg[0] = data[0] - 1
	copy(msg[1:], data[1:cut])
	return msg, nil
}

func copyKey(dst, src []byte, field string, optional bool) error {
	if len(src) == 0 && optional {
		return nil
	}
	if len(src) != len(dst) {
		return fmt.Errorf("decode op: %w: %s is %d bytes, want %d", ErrMalformed, field, len(src), len(dst))
	}
	copy(dst, src)
	return nil
}

// checkShape checks the envelope rules that need no other op.
func (o *Op) checkShape() error {
	switch {
	case len(o.Parents) > MaxParents:
		return fmt.Errorf("%w: %d parents, limit %d", ErrTooLarge, len(o.Parents), MaxParents)
	case len(o.Deps) > MaxDeps:
		return fmt.Errorf("%w: %d deps, limit %d", ErrTooLarge, len(o.Deps), MaxDeps)
	case len(o.Body) > MaxBodySize:
		return fmt.Errorf("%w: body %d bytes, limit %d", ErrTooLarge, len(o.Body), MaxBodySize)
	case !o.Kind.Known():
		return fmt.Errorf("%w: unknown kind %d", ErrMalformed, o.Kind)
	case o.Height == 0:
		return fmt.Errorf("%w: height 0", ErrMalformed)
	case len(o.Parents) == 0 && o.Height != 1:
		return fmt.Errorf("%w: op without parents must have height 1, has %d", ErrMalformed, o.Height)
	case len(o.Parents) > 0 && o.Height < 2:
		return fmt.Errorf("%w: op with parents must have height ≥ 2", ErrMalformed)
	}
	if o.Kind == KindGenesis {
		if !o.Community.IsZero() || !o.Log.IsZero() || len(o.Parents) != 0 || len(o.Deps) != 0 {
			return fmt.Errorf("%w: genesis must have no community, log, parents or deps", ErrMalformed)
		}
		return nil
	}
	if o.Community.IsZero() {
		return fmt.Errorf("%w: %s op without community", ErrMalformed, o.Kind)
	}
	if o.Kind.IsContent() {
		if o.Log.IsZero() {
			return fmt.Errorf("%w: %s op must name its group log", ErrMalformed, o.Kind)
		}
		if len(o.Deps) == 0 {
			return fmt.Errorf("%w: %s op must name the control heads it was written against", ErrMalformed, o.Kind)
		}
		return nil
	}
	if !o.Log.IsZero() || len(o.Deps) != 0 {
		return fmt.Errorf("%w: control op %s must have no log or deps", ErrMalformed, o.Kind)
	}
	if len(o.Parents) == 0 {
		return fmt.Errorf("%w: control op %s must have parents", ErrMalformed, o.Kind)
	}
	return nil
}

// ID returns the op's id.
func (o *Op) ID() ID { return o.id }

// Bytes returns the op's canonical encoding, or nil for an op that does
// not keep it (Encoded). Callers must not modify it.
func (o *Op) Bytes() []byte {
	if o.raw == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(o.raw), len(o.raw))
}

// Encoded reports whether the op keeps its encoding (Bytes), body bytes
// and signature. A content op of a community rebuilt from a store does not
// (Community.DropEncodings): what a node reads of it is its decoded body,
// and a node that serves it reads its encoding from the store.
func (o *Op) Encoded() bool { return o.raw != "" }

// rawString keeps an op's encoding, which nothing modifies once it is the
// op's, without copying it: a string header is 8 bytes smaller than a
// slice's, which takes Op to 256 bytes.
func rawString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// CommunityID returns the community the op belongs to (its own id for genesis).
func (o *Op) CommunityID() ID {
	if o.Kind == KindGenesis {
		return o.id
	}
	return o.Community
}

// LogKey names the log an op belongs to: the zero id for the control log,
// otherwise the group id.
func (o *Op) LogKey() ID { return o.Log }

// SortIDs returns ids sorted bytewise with duplicates removed. It may reuse ids' storage.
func SortIDs(ids []ID) []ID {
	if len(ids) < 2 {
		return ids
	}
	out := append([]ID(nil), ids...)
	slicesSortIDs(out)
	j := 0
	for i := range out {
		if i == 0 || out[i] != out[j-1] {
			out[j] = out[i]
			j++
		}
	}
	return out[:j]
}

func verifySig(author PublicKey, msg, sig []byte) bool { return ed25519.Verify(author[:], msg, sig) }

// MarshalText encodes the id as hex, so ids read naturally in JSON.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses a hex id.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Bytes returns a copy of the id's bytes, for bodies that carry ids.
func (id ID) Bytes() []byte { return append([]byte(nil), id[:]...) }
