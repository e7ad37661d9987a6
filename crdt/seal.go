package crdt

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// Sealed bodies (DESIGN "End-to-end encryption").
//
// The body of every op except the four key-management kinds (invite, join,
// prekey, rekey) and the relay op (see relay.go) is sealed: encrypted under the current epoch secret of
// its log (the control log's for control ops, the group's for content)
// by the node that writes it. The envelope stays clear, so relays and
// non-members store, forward and check signatures without reading.
//
// A sealed body is the canonical CBOR array
//
//	[epoch bstr(16), index uint, ciphertext bstr]
//
// where epoch names the epoch, index is the author's message number in its
// hash ratchet for that epoch, and the ciphertext is an AEAD over the clear
// body with SealAD as associated data. Clear bodies are CBOR maps, so the
// first byte tells the two apart. This package never decrypts: a node opens
// the op with its keys and hands the clear body in beside it (Opened, or
// the plain argument of Community.Check and Add). The clear body is never
// stored in the Op: an Op is the same immutable value for every replica
// that holds it, while opening is one node's act under its own keys.

// ErrSealed: the op's body is encrypted and this replica does not (yet)
// hold the key to read it. It does not blame the sender.
var ErrSealed = errors.New("body is encrypted for an epoch this node does not hold")

// EpochIDSize is the length of an epoch id.
const EpochIDSize = 16

// EpochID names one epoch of one log: random, drawn by its creator.
type EpochID [EpochIDSize]byte

// String returns the id in hex.
func (e EpochID) String() string { return fmt.Sprintf("%x", e[:]) }

// sealedHeaderByte starts a CBOR array of three items.
const sealedHeaderByte = 0x83

// Sealable reports whether ops of kind k carry sealed bodies. The
// key-management kinds must be readable before any key is held.
func (k Kind) Sealable() bool {
	switch k {
	case KindInvite, KindJoin, KindPrekey, KindRekey, KindRelay, KindInviteKeys:
		return false
	}
	return k.Known()
}

// Sealed reports whether o's body is a sealed body.
func (o *Op) Sealed() bool { return len(o.Body) > 0 && o.Body[0] == sealedHeaderByte }

// Opened is an op as one node holds it: the op, immutable and possibly
// shared with other replicas, and beside it the clear body this node read
// from it with its keys.
type Opened struct {
	Op *Op
	// Plain is the clear body of a sealed op that this node opened; nil
	// for an op whose body is in clear, or a sealed op not opened.
	Plain []byte
}

// SealedBody is the decoded form of a sealed body.
type SealedBody struct {
	_          struct{} `cbor:",toarray"`
	Epoch      []byte
	Index      uint32
	Ciphertext []byte
}

// ParseSealed decodes o's sealed body.
func ParseSealed(o *Op) (*SealedBody, error) {
	if !o.Sealed() {
		return nil, fmt.Errorf("%w: body is not sealed", ErrMalformed)
	}
	var s SealedBody
	if err := Unmarshal(o.Body, &s); err != nil {
		return nil, fmt.Errorf("%w: sealed body: %v", ErrMalformed, err)
	}
	if len(s.Epoch) != EpochIDSize {
		return nil, fmt.Errorf("%w: sealed body names a %d-byte epoch, want %d", ErrMalformed, len(s.Epoch), EpochIDSize)
	}
	return &s, nil
}

// EpochOf returns the epoch a sealed body names.
func (s *SealedBody) EpochOf() (e EpochID) { copy(e[:], s.Epoch); return e }

// EncodeSealed encodes a sealed body.
func EncodeSealed(epoch EpochID, index uint32, ciphertext []byte) ([]byte, error) {
	return Marshal(&SealedBody{Epoch: epoch[:], Index: index, Ciphertext: ciphertext})
}

// SealAD returns the associated data a sealed body's AEAD binds: the whole
// envelope but the body and signature. A ciphertext moved into another op,
// by another author, log, kind or place in the log, does not open.
func (o *Op) SealAD() []byte {
	w := o.wire(false)
	w.Body = nil
	ad, err := encMode.Marshal(w)
	if err != nil { // a wireOp always encodes
		panic(err)
	}
	return append([]byte("umbrella/v1 sealed body\x00"), ad...)
}

// KEM ids of the prekey suites (RFC 9180 and draft-ietf-hpke-pq).
const (
	KEMX25519         uint16 = 0x0020 // DHKEM(X25519, HKDF-SHA256)
	KEMMLKEM768X25519 uint16 = 0x647a // hybrid ML-KEM-768 + X25519
)

// kemKeySize is the public key size of each accepted KEM.
var kemKeySize = map[uint16]int{KEMX25519: 32, KEMMLKEM768X25519: 1184 + 32}

// PrekeyBody publishes the author's HPKE public key, to which epoch
// secrets are wrapped. The newest prekey of a member (in the control
// order) is the one others wrap to.
type PrekeyBody struct {
	KEM  uint16 `cbor:"1,keyasint"`
	Key  []byte `cbor:"2,keyasint"`
	Time int64  `cbor:"3,keyasint,omitempty"`
}

func (b *PrekeyBody) check() error {
	size, ok := kemKeySize[b.KEM]
	if !ok {
		return fmt.Errorf("unknown KEM %#04x", b.KEM)
	}
	if len(b.Key) != size {
		return fmt.Errorf("prekey is %d bytes, want %d for KEM %#04x", len(b.Key), size, b.KEM)
	}
	return nil
}

// Wrap is an epoch secret wrapped (HPKE) to one member's prekey.
type Wrap struct {
	Member []byte `cbor:"1,keyasint"` // member key
	KEM    uint16 `cbor:"2,keyasint"`
	Prekey []byte `cbor:"3,keyasint"` // 8-byte prefix of the prekey op id wrapped to
	Secret []byte `cbor:"4,keyasint"` // HPKE encapsulation and ciphertext
}

// Rekey reasons.
const (
	RekeyInitial uint8 = iota // a log's first epoch
	RekeyRemoval              // a member left the log
	RekeyTimer                // the epoch grew old or long
	RekeyHeal                 // concurrent rotations left a non-member able to read
	RekeyManual               // an admin asked
	// RekeyShare is no new epoch: it wraps an epoch already complete to
	// members who came to read its log after its rotation (an admin's
	// group.add or member.add, in the same action), so they read at once
	// from any holder of the control log, a blind relay included. See
	// checkShare.
	RekeyShare
)

// RekeyBody is one part of a new epoch of one log: the epoch secret wrapped
// to some of the log's members. A rotation for many members spans several
// ops (Parts), written one after another by one admin; the epoch becomes
// its log's current epoch when its last part is replayed.
type RekeyBody struct {
	Log    []byte `cbor:"1,keyasint,omitempty"` // group id; absent for the control log
	Epoch  []byte `cbor:"2,keyasint"`
	Part   uint16 `cbor:"3,keyasint"` // 1-based
	Parts  uint16 `cbor:"4,keyasint"`
	Wraps  []Wrap `cbor:"5,keyasint,omitempty"`
	Reason uint8  `cbor:"6,keyasint,omitempty"`
	Time   int64  `cbor:"7,keyasint,omitempty"`
	// Check commits to the secret (e2ee.EpochCheck), so a member who is
	// handed the secret by another member, not in a wrap, can tell a
	// true one from a forged one.
	Check []byte `cbor:"8,keyasint"`
}

func (b *RekeyBody) check() error {
	switch {
	case len(b.Log) != 0 && len(b.Log) != len(ID{}):
		return fmt.Errorf("log is %d bytes", len(b.Log))
	case len(b.Epoch) != EpochIDSize:
		return fmt.Errorf("epoch is %d bytes, want %d", len(b.Epoch), EpochIDSize)
	case b.Parts == 0 || b.Parts > MaxRekeyParts || b.Part == 0 || b.Part > b.Parts:
		return fmt.Errorf("part %d of %d", b.Part, b.Parts)
	case b.Reason > RekeyShare:
		return fmt.Errorf("unknown reason %d", b.Reason)
	case len(b.Check) != 32:
		return fmt.Errorf("check is %d bytes, want 32", len(b.Check))
	case len(b.Wraps) > MaxWraps:
		return fmt.Errorf("%d wraps, at most %d", len(b.Wraps), MaxWraps)
	case b.Reason == RekeyShare && (b.Parts != 1 || len(b.Wraps) == 0):
		return fmt.Errorf("a share is one part with at least one wrap")
	}
	for i, w := range b.Wraps {
		if len(w.Member) != len(PublicKey{}) {
			return fmt.Errorf("wrap %d: member is %d bytes", i, len(w.Member))
		}
		if _, ok := kemKeySize[w.KEM]; !ok {
			return fmt.Errorf("wrap %d: unknown KEM %#04x", i, w.KEM)
		}
		if len(w.Prekey) != 8 || len(w.Secret) == 0 || len(w.Secret) > MaxWrapSize {
			return fmt.Errorf("wrap %d: malformed", i)
		}
		if i > 0 && string(b.Wraps[i-1].Member) >= string(w.Member) {
			return fmt.Errorf("wraps must be sorted by member, without repeats")
		}
	}
	return nil
}

// Prekey is a member's current prekey.
type Prekey struct {
	Op   ID
	KEM  uint16
	Key  []byte
	Time int64
}

// Epoch is a log's epoch as the control log records it.
type Epoch struct {
	ID     EpochID
	Log    ID // zero for the control log
	By     PublicKey
	Last   ID // the op of the part that completed it
	Reason uint8
	Time   int64
	Parts  uint16
	Check  []byte // commitment to the secret (RekeyBody.Check)
	have   []uint16
	// Wraps holds every part's wrap, by member.
	Wraps map[PublicKey]Wrap
}

// Complete reports whether every part of the epoch is replayed.
func (e *Epoch) Complete() bool { return len(e.have) == int(e.Parts) }

// checkRekey judges a rekey part: admins rotate any log; the creator of a
// group may give it its first epoch; the founder gives the control log and
// the announcement group theirs in the genesis bundle.
func (s *State) checkRekey(o *Op, b *RekeyBody, role Role) (Role, error) {
	log := idOf(b.Log)
	if len(b.Log) == 0 {
		log = ZeroID
	}
	if b.Reason == RekeyShare {
		return RoleAdmin, s.checkShare(o, b, log, role)
	}
	if !log.IsZero() {
		g, ok := s.Groups[log]
		if !ok {
			return RoleAdmin, invalid("rekey for unknown group %x", b.Log[:4])
		}
		if g.Private() {
			// Only its participants hold a private conversation's keys,
			// so only they renew them: an admin outside it must never
			// make (and so know) its secret.
			if role == RoleNone || !g.Has(o.Author) {
				return RoleMember, unauthorized("only its participants renew a private conversation's keys")
			}
			return RoleMember, s.checkParts(o, b, log)
		}
		if role < RoleAdmin && g.Creator == o.Author && s.Current[log] == nil && role >= RoleMember {
			return RoleMember, s.checkParts(o, b, log)
		}
	}
	if role < RoleAdmin {
		if role == RoleNone {
			return RoleAdmin, unauthorized("not a member may not rotate keys")
		}
		return RoleAdmin, unauthorized("a %s may not rotate keys", role)
	}
	return RoleAdmin, s.checkParts(o, b, log)
}

func (s *State) checkParts(o *Op, b *RekeyBody, log ID) error {
	var id EpochID
	copy(id[:], b.Epoch)
	e := s.Epochs[id]
	switch {
	case e == nil && b.Part != 1:
		return invalid("rekey part %d of epoch %s before its first part", b.Part, id)
	case e == nil:
		return nil
	case e.Log != log || e.By != o.Author || e.Parts != b.Parts || !bytes.Equal(e.Check, b.Check):
		return invalid("rekey part does not match epoch %s", id)
	case slices.Contains(e.have, b.Part):
		return invalid("rekey part %d of epoch %s repeated", b.Part, id)
	}
	return nil
}

func (s *State) applyRekey(o *Op, b *RekeyBody) {
	var id EpochID
	copy(id[:], b.Epoch)
	log := ZeroID
	if len(b.Log) != 0 {
		log = idOf(b.Log)
	}
	e := s.Epochs[id]
	if b.Reason == RekeyShare {
		s.applyShare(e, b)
		return
	}
	if e == nil {
		e = &Epoch{ID: id, Log: log, By: o.Author, Reason: b.Reason, Time: b.Time, Parts: b.Parts, Check: b.Check, Wraps: map[PublicKey]Wrap{}}
	} else {
		c := *e // states share epochs: copy on write
		c.have = slices.Clone(e.have)
		c.Wraps = make(map[PublicKey]Wrap, len(e.Wraps)+len(b.Wraps))
		for k, w := range e.Wraps {
			c.Wraps[k] = w
		}
		e = &c
	}
	e.have = append(e.have, b.Part)
	for _, w := range b.Wraps {
		e.Wraps[keyOf(w.Member)] = w
	}
	s.Epochs[id] = e
	if e.Complete() {
		e.Last = o.ID()
		s.Current[log] = e
		s.EpochOrder = append(s.EpochOrder, id)
	}
}

// A share (RekeyBody with Reason RekeyShare) hands an epoch that is
// already complete to members who came to read its log after its
// rotation: an admin who adds a member to a group, or a peer directly to
// the community, wraps to the added member's prekey, in the same action,
// every epoch of the logs it may now read that the admin holds. So the
// added member reads at once from whoever holds the control log — a
// relay, which cannot read the add but sees the clear wraps, included —
// instead of waiting for a member to hand it the keys online.
//
// checkShare judges one: by an admin who reads the log (only a reader
// holds its secrets), of an epoch of that log that is complete, under
// the same commitment (Check), each wrap to a member who may read the log
// now and was not wrapped that epoch already (a share never replaces a
// wrap). So a share never reaches one who may not read the log: it is
// judged in the replay order like every op, and one the order puts after
// the member's removal is invalid. A share that falls with its author's
// rank (strong removal) takes its wraps with it.
func (s *State) checkShare(o *Op, b *RekeyBody, log ID, role Role) error {
	if role < RoleAdmin {
		if role == RoleNone {
			return unauthorized("not a member may not share keys")
		}
		return unauthorized("a %s may not share keys", role)
	}
	var id EpochID
	copy(id[:], b.Epoch)
	e := s.Epochs[id]
	switch {
	case e == nil || !e.Complete():
		return invalid("share of epoch %s, which is not complete", id)
	case e.Log != log || !bytes.Equal(e.Check, b.Check):
		return invalid("share does not match epoch %s", id)
	case !s.MayRead(o.Author, log):
		return invalid("a share of a log its author may not read")
	}
	for _, w := range b.Wraps {
		k := keyOf(w.Member)
		if !s.MayRead(k, log) {
			return invalid("share of epoch %s to %x, who may not read its log", id, k[:4])
		}
		if _, ok := e.Wraps[k]; ok {
			return invalid("share of epoch %s to %x, who has it already", id, k[:4])
		}
	}
	return nil
}

// applyShare adds a share's wraps to epoch e (copied: states share
// epochs), which checkShare found complete.
func (s *State) applyShare(e *Epoch, b *RekeyBody) {
	c := *e
	c.Wraps = make(map[PublicKey]Wrap, len(e.Wraps)+len(b.Wraps))
	for k, w := range e.Wraps {
		c.Wraps[k] = w
	}
	for _, w := range b.Wraps {
		c.Wraps[keyOf(w.Member)] = w
	}
	s.Epochs[e.ID] = &c
	for log, cur := range s.Current {
		if cur == e {
			s.Current[log] = &c
		}
	}
}

// MayRotate reports whether member k may write a new epoch for log (the
// zero id for the control log) now: admins for every log but private
// conversations, which only their participants renew; a group's creator
// for the group's first epoch.
func (s *State) MayRotate(k PublicKey, log ID) bool {
	b := &RekeyBody{Epoch: make([]byte, len(EpochID{})), Part: 1, Parts: 1}
	if !log.IsZero() {
		b.Log = log[:]
	}
	_, err := s.checkRekey(&Op{Community: s.Community, Author: k, Kind: KindRekey}, b, s.Role(k))
	return err == nil
}

// Readers returns the members who may read log (the zero id for the
// control log) in this state.
func (s *State) Readers(log ID) []PublicKey {
	var out []PublicKey
	if log.IsZero() {
		for k := range s.Members {
			out = append(out, k)
		}
	} else if g := s.Groups[log]; g != nil {
		for k := range s.Members {
			if s.reads(g, k) {
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, func(a, b PublicKey) int { return slices.Compare(a[:], b[:]) })
	return out
}

// MayRead reports whether member k may read log in this state.
func (s *State) MayRead(k PublicKey, log ID) bool {
	if _, ok := s.Members[k]; !ok {
		return false
	}
	if log.IsZero() {
		return true
	}
	g := s.Groups[log]
	return g != nil && s.reads(g, k)
}

// Stale reports whether log's current epoch may be held by someone who
// may no longer read the log: it was wrapped to them (after a removal
// whose rotation was lost, or concurrent removals whose rotations each
// kept the other's target), or it was current when they went (Exposed).
// The first online admin then rotates again (never combining old keys).
func (s *State) Stale(log ID) bool {
	e := s.Current[log]
	if e == nil {
		return false
	}
	if s.Exposed[e.ID] {
		return true
	}
	for k := range e.Wraps {
		if !s.MayRead(k, log) {
			return true
		}
	}
	return false
}

// expose records, as member k goes (removed by by, or leaving: by is k),
// that k may hold the current epoch of every log it could read: a member
// may have been handed a secret by another member (joiners and members
// without a prekey are), not only in a wrap. The one exception is the
// rotation a removal follows: by's own, for the removal, not wrapped to k.
// When concurrent removals strike each other's rotations (two admins
// removing each other), the epochs before them are current again, and
// exposed.
func (s *State) expose(k, by PublicKey) {
	for log, e := range s.Current {
		if !s.MayRead(k, log) {
			continue
		}
		if _, wrapped := e.Wraps[k]; !wrapped && e.Reason == RekeyRemoval && e.By == by && by != k {
			continue
		}
		s.Exposed[e.ID] = true
	}
}

// EpochsOf lists log's complete epochs, oldest first.
func (s *State) EpochsOf(log ID) []*Epoch {
	var out []*Epoch
	for _, id := range s.EpochOrder {
		if e := s.Epochs[id]; e.Log == log {
			out = append(out, e)
		}
	}
	return out
}
