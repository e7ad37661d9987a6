// Package wire frames Umbrella's stream protocol messages: each frame is an
// unsigned varint length followed by that many bytes of strict, canonical
// CBOR. It knows nothing of libp2p, storage or the community model: it takes
// an io.Reader or io.Writer, so tests join two ends with io.Pipe.
//
// A stream that carries several frames is read through one Reader, which
// keeps the bytes it read ahead of a frame for the next. Every frame is
// bounded (limits.go): by MaxFrame, and a handler's first frame, read
// before it knows whether the peer is a member, by the small bound of its
// protocol (MaxRequestFrame, MaxJoinRequestFrame, MaxFirstReconcileFrame).
// The decoder's limits follow from the messages' own maximums.
//
// # Pull protocol (/umbrella/sync/1)
//
// One request and one response per stream. A request is a Request frame; the
// responder answers with one Response frame and closes. Kinds:
//
//	Fetch (2): Community, IDs (≤ MaxFetch) → Ops: the encoded ops it holds
//	           among IDs, in the order asked, skipping unknown ids and ops
//	           of groups the requester may not read, up to
//	           MaxResponseBytes in total.
//	Nudge (3): Community → an empty Response. The sender has something the
//	           receiver should pull now: a join request it just saw
//	           approved, or an op it wrote that gossip may not bring the
//	           receiver (it was not on the topic yet, or joined the
//	           sender's mesh for it just after the op was published). A
//	           receiver waiting to join that community, or a member nudged
//	           by a member, pulls from the sender. A receiver that does
//	           not hold the community, nudged by someone it shares another
//	           community with, may have been added to it directly (the
//	           member.add is sealed): it pulls it from the sender like a
//	           join in flight (sync/pull's "Direct adds"). Any other
//	           ignores it.
//	Secret (4): Community → Secret: the community's 32-byte topic secret,
//	           from which the names of its gossip topics are derived (see
//	           node.TopicName). A member asks for it after its first pull;
//	           any member answers, so no admin need be online.
//	Peers (5): Community → Peers: up to 32 other members the responder
//	           knows addresses for (connected ones first), so members
//	           find each other without the inviter.
//	Keys (6): Community, Suite, Prekey → Keys: the epoch secrets the
//	           requester may read, each wrapped (HPKE) to the prekey in the
//	           request: every control-log epoch the responder holds (the
//	           control log is the community's state), and for each group
//	           the requester is in, its current epoch, or every held epoch
//	           when the community lets new members read history. A joiner
//	           asks right after it is admitted, a member whenever an op
//	           waits for an epoch it lacks; any member answers, so a join
//	           completes with no admin online.
//	Push (7): Community, Ops (≤ MaxPushOps, the frame within
//	           MaxRequestFrame) → an empty Response, or Error saying why the
//	           ops are not kept. A member sends the ops it just wrote to the
//	           community's registered relays (package sync/relay, which
//	           does not follow gossip topics; see its doc): the relay checks
//	           and stores them at once, or, if it lacks what they cite, pulls
//	           from the sender as for a Nudge. Members answer it with an
//	           error; the sender then nudges.
//
// The responder answers Fetch, Secret, Peers and Keys only for peers who are members of
// the community in its current state; to anyone else it returns Error
// "not a member". Request kind 1 (heads) is retired: nodes find what they
// lack by reconciling (below).
//
// A former member (one the responder's state records as removed, or as
// having left) is neither a member nor a stranger. It may reconcile and
// Fetch, but its set and its fetches hold only the control ops in the
// causal past of the op by which it went, so it learns that it went and
// nothing else; Secret, Peers and Keys are refused. Its Nudge makes a
// member pull from it, read-only, as it does when the former member
// connects: the control ops it wrote before it went (a concurrent removal
// of its remover) must reach every member, judged by the rules like any
// op. A member pulls from a given former member at most once per sync
// interval, one reconciliation and at most MaxFetch control ops (and as
// many of their parents) each time.
//
// # Reconcile protocol (/umbrella/reconcile/1)
//
// Finds which ops two members hold that the other lacks (package
// sync/reconcile has the algorithm and the message encoding). The
// initiator opens a stream and sends a Reconcile frame with the community
// id and the first reconciliation message, over the ops of the logs it may
// read. The responder checks the initiator is a member and builds its own
// set over the logs the initiator may read in the responder's state (the
// control log, the announcement group, every-member groups and the groups
// the initiator is in); the two then take turns, one Reconcile frame each,
// until one side's reply says nothing more; the side that would send it
// closes the stream instead. The responder answers at most MaxTurns
// frames and serves a bounded number of sessions at once, and a bounded
// number for any one peer ("busy" otherwise); it takes a session's place
// only once the first frame has shown a member asking, and ends a session
// whose initiator leaves it idle for some seconds. A frame that does not decode ends the session and the
// connection. The initiator then fetches what it lacks with Fetch, in
// rank order, so parents come first.
//
// # Join protocol (/umbrella/join/1)
//
// The joiner sends a JoinRequest holding the signed invite op from its link
// and its own signed join op (whose only parent is the invite). Any member
// holding the community checks the invite is accepted and not expired by its
// own clock, accepts the join, forwards it over gossip and answers
// JoinResponse. The joiner then pulls the community as a member.
//
// A short invite link carries only the invite's secret and the addresses
// of a few members or relays, so its joiner first looks the invite up: a
// JoinRequest with only Lookup, the invite's public key, which any member
// or relay holding the invite answers with a JoinResponse whose Invite is
// the signed invite op (its details are sealed under the link's secret).
// A responder that holds no such invite, or does not say, answers Error
// UnknownInvite and nothing else. The joiner checks the op's signature and
// key and then joins as with a long link, on a new stream. Lookup was
// added after the first release: a responder from before it rejects the
// request as malformed, and the joiner tries the link's next address.
//
// Joins are resumable. A responder that already counts the joiner a member
// (or holds its request to join) answers as it would an admission (with
// Pending for a request), whatever the state of the invite — used up,
// expired, revoked — and records nothing: a node that was admitted but lost
// the community before it stored it (a join cut short, a lost store) joins
// again with any link of the community and pulls. The joiner adds its own
// join op only if the pull did not make it a member, so a resumed join
// never records a second one. A joiner whose link expired by its own clock
// still asks, for this case: its join op carries that clock, so no member
// can accept it as a new join.
//
// A requester asks again, with the same join op, while its request waits:
// it holds nothing of the community, so its pulls are refused, and this is
// how it learns the outcome. A responder whose state shows that an admin
// declined the joiner's latest request, and that holds that join op,
// refuses with reason 5; one approved since is answered as admitted. A
// join op it has not seen is a new request, judged as any join.
//
// A refusal sets Error, for people, and when it is about the invite Reason
// (3), for programs: 1 the invite expired (by the responder's clock), 2 it
// was revoked or no longer stands (it fell with an op of its maker's that
// a removal undid), 3 it admitted as many people as it allows, 4 it lapsed:
// its maker is no longer an admin (was removed, demoted or left; see
// crdt.Invite.Lapsed), 5 an admin declined the request (above). Any
// other refusal (a malformed request, an invite the responder does not
// know) has no Reason; a joiner treats a Reason it
// does not know as none, so reasons 4 and 5, added later, reach older joiners
// as a refusal with its text but no reason. Reason was added after the
// first release: a joiner from before it rejects a response that carries
// one, which only a refusal does, so it still fails to join, though
// without saying why.
//
// # Joins through a relay
//
// A relay (package sync/relay) answers Lookup from the clear invite ops it
// stores, and takes a join with no member online: it checks what it can
// see — the invite is one it holds by an author it knows, the join's
// proof verifies under the invite key, the invite has not expired by the
// relay's clock nor admitted as many as it allows among the joins the
// relay holds — stores the join, and answers Relayed with Keys, the
// invite's invite-keys ops, or Pending when those say the community
// admits by approval (the request waits in the relay's store until an
// admin pulls it). A relay that holds no invite-keys op for the invite
// (one made before them) refuses: the joiner needs a member. It cannot see
// a revocation (sealed): members refuse such a join when they pull it,
// and the invite got no epoch after its revocation. Relayed and Keys were
// added with relays' joins; only a relay sets them. A relay that cannot
// take a join refuses without a Reason, and the joiner keeps the join in
// flight for a member; a relay's refusal with a Reason ends it as a
// member's would.
package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// ErrFrameTooLarge: a peer announced a frame over MaxFrame.
var ErrFrameTooLarge = errors.New("frame too large")

// Request kinds.
const (
	KindFetch  = 2
	KindNudge  = 3
	KindSecret = 4
	KindPeers  = 5
	KindKeys   = 6
	KindPush   = 7
)

// EpochKey is one epoch secret in a Keys response.
type EpochKey struct {
	Log     []byte `cbor:"1,keyasint,omitempty"` // absent for the control log
	Epoch   []byte `cbor:"2,keyasint"`
	Wrapped []byte `cbor:"3,keyasint"`
}

// PeerAddrs is a peer id and its multiaddrs, in their binary forms.
type PeerAddrs struct {
	ID    []byte   `cbor:"1,keyasint"`
	Addrs [][]byte `cbor:"2,keyasint"`
}

// SecretSize is the size of a community's topic secret.
const SecretSize = 32

// Request is a pull request.
type Request struct {
	Kind      uint8    `cbor:"1,keyasint"`
	Community []byte   `cbor:"2,keyasint"`
	IDs       [][]byte `cbor:"3,keyasint,omitempty"`
	Suite     uint16   `cbor:"4,keyasint,omitempty"` // Keys: the prekey's KEM
	Prekey    []byte   `cbor:"5,keyasint,omitempty"` // Keys: the prekey to wrap to
	Ops       [][]byte `cbor:"6,keyasint,omitempty"` // Push: the ops the sender just wrote
}

// Response answers a Request.
type Response struct {
	Error  string      `cbor:"1,keyasint,omitempty"`
	Ops    [][]byte    `cbor:"3,keyasint,omitempty"`
	Secret []byte      `cbor:"4,keyasint,omitempty"`
	Peers  []PeerAddrs `cbor:"5,keyasint,omitempty"`
	Keys   []EpochKey  `cbor:"6,keyasint,omitempty"`
}

// Reconcile is one turn of a reconciliation.
type Reconcile struct {
	Community []byte `cbor:"1,keyasint,omitempty"` // the first frame only
	Msg       []byte `cbor:"2,keyasint,omitempty"`
	Error     string `cbor:"3,keyasint,omitempty"`
}

// JoinRequest asks a member to admit the sender, or, with Lookup set
// (and Invite and Join empty), for the invite op whose key is Lookup.
type JoinRequest struct {
	Invite []byte `cbor:"1,keyasint"`
	Join   []byte `cbor:"2,keyasint"`
	// Lookup is an invite's 32-byte public key, from a short link.
	Lookup []byte `cbor:"3,keyasint,omitempty"`
}

// JoinResponse answers a JoinRequest; an empty Error means admitted.
type JoinResponse struct {
	Error string `cbor:"1,keyasint,omitempty"`
	// Pending: the community admits by approval; the join was recorded as
	// a request, and the joiner syncs once an admin approves it.
	Pending bool `cbor:"2,keyasint,omitempty"`
	// Reason says why a refusal refused, when it was the invite: one of
	// the JoinReason constants, 0 for none.
	Reason uint8 `cbor:"3,keyasint,omitempty"`
	// Invite answers a Lookup: the signed invite op with that key.
	Invite []byte `cbor:"4,keyasint,omitempty"`
	// Relayed: a relay took the join with no member online (see "Joins
	// through a relay" above); Keys then holds the invite's invite-keys
	// ops (crdt.KindInviteKeys), from which the joiner opens, with its
	// link's secret, the epoch secrets a newcomer may read.
	Relayed bool     `cbor:"5,keyasint,omitempty"`
	Keys    [][]byte `cbor:"6,keyasint,omitempty"`
}

// UnknownInvite is the Error of every Lookup a responder cannot answer,
// whatever the reason, so that asking tells nothing of the communities
// it holds.
const UnknownInvite = "unknown invite"

// Reasons for refusing a join (JoinResponse.Reason).
const (
	JoinReasonExpired = 1 // the invite expired
	JoinReasonRevoked = 2 // the invite was revoked or no longer stands
	JoinReasonUsedUp  = 3 // the invite admitted as many as it allows
	JoinReasonLapsed  = 4 // the admin who made the invite is no longer an admin
	JoinReasonDenied  = 5 // an admin declined the joiner's request to join
)

// Write encodes v and writes it as one frame.
func Write(w io.Writer, v any) error {
	data, err := crdt.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	if len(data) > MaxFrame {
		return fmt.Errorf("write frame: %w: %d bytes", ErrFrameTooLarge, len(data))
	}
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(data)))
	if _, err := w.Write(hdr[:n]); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// Reader reads the frames of one stream. It is the stream's only reader:
// it buffers what arrives and keeps the bytes read ahead of one frame for
// the next, so frames a peer sends back to back (pipelined) all arrive.
// Use one Reader for every frame a stream carries after the first.
type Reader struct {
	br *bufio.Reader
}

// readBuffer is how much a Reader reads ahead.
const readBuffer = 4 << 10

// NewReader returns a Reader of the frames of r. Nothing else may read r
// afterwards: the Reader may hold bytes of r that it has not returned.
func NewReader(r io.Reader) *Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return &Reader{br: br}
	}
	return &Reader{br: bufio.NewReaderSize(r, readBuffer)}
}

// Read reads the next frame, of at most max bytes (0 means MaxFrame), and
// decodes it strictly into v.
func (r *Reader) Read(v any, max int) error { return readFrame(r.br, r.br, v, max) }

// Read reads one frame of at most max bytes (0 means MaxFrame) from r and
// decodes it strictly into v. It reads nothing of r beyond the frame, so
// other reads of r may follow; but unless r is an io.ByteReader it reads
// the frame's length one byte per call. A stream that carries several
// frames reads them with a Reader.
func Read(r io.Reader, v any, max int) error {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = byteByByte{r}
	}
	return readFrame(br, r, v, max)
}

// byteByByte reads single bytes from a reader that cannot, reading
// nothing ahead.
type byteByByte struct{ r io.Reader }

func (b byteByByte) ReadByte() (byte, error) {
	var c [1]byte
	_, err := io.ReadFull(b.r, c[:])
	return c[0], err
}

// ReadRaw reads the next frame, of at most max bytes (0 means MaxFrame),
// into buf, grown when it is too small, and returns the frame's bytes
// undecoded, for a protocol that decodes its bulkiest frame itself (its
// others it hands to Decode). A stream that reads every frame into the
// same buffer allocates nothing a frame.
func (r *Reader) ReadRaw(buf []byte, max int) ([]byte, error) {
	return readRaw(r.br, r.br, buf, max)
}

// Decode decodes a frame's bytes, as ReadRaw returns them, strictly into
// v, as Read does.
func Decode(data []byte, v any) error {
	if err := decoder.Unmarshal(data, v); err != nil {
		if errors.Is(err, io.EOF) { // an empty frame: malformed, not the stream's end
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("decode frame: %w", err)
	}
	return nil
}

// readFrame reads a frame's length from br and its bytes from r, which
// must be the same stream.
func readFrame(br io.ByteReader, r io.Reader, v any, max int) error {
	data, err := readRaw(br, r, nil, max)
	if err != nil {
		return err
	}
	return Decode(data, v)
}

// readRaw reads a frame's length from br and its bytes from r into buf.
func readRaw(br io.ByteReader, r io.Reader, buf []byte, max int) ([]byte, error) {
	if max <= 0 || max > MaxFrame {
		max = MaxFrame
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("read frame length: %w", err)
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("read frame: %w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	// Memory grows with the bytes that arrive, not with the length a peer
	// announces: a peer that names a large frame and sends nothing holds
	// at most firstChunk bytes of the reader's memory beyond buf.
	first := n
	if uint64(cap(buf)) < n {
		first = min(n, firstChunk)
		if uint64(cap(buf)) < first {
			buf = make([]byte, first)
		}
	}
	data := buf[:first]
	if _, err := io.ReadFull(r, data); err != nil {
		if errors.Is(err, io.EOF) { // the length came, the frame did not
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read frame: %w", err)
	}
	if n > first {
		whole := make([]byte, n)
		copy(whole, data)
		if _, err := io.ReadFull(r, whole[first:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("read frame: %w", err)
		}
		data = whole
	}
	return data, nil
}

// IDs converts wire ids to crdt ids, rejecting malformed ones.
func IDs(in [][]byte) ([]crdt.ID, error) {
	out := make([]crdt.ID, len(in))
	for i, b := range in {
		if len(b) != len(crdt.ID{}) {
			return nil, fmt.Errorf("id %d is %d bytes, want 32", i, len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// FromIDs converts crdt ids to wire ids.
func FromIDs(in []crdt.ID) [][]byte {
	out := make([][]byte, len(in))
	for i := range in {
		out[i] = in[i][:]
	}
	return out
}
