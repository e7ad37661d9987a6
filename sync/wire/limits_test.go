package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/internal/cborshape"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
)

// messages lists every message type of the protocols.
var messages = []any{Request{}, Response{}, Reconcile{}, JoinRequest{}, JoinResponse{}}

// arrayCaps names the protocol's bound on every array field of a message.
var arrayCaps = map[string]int{
	"Request.IDs":       MaxFetch,
	"Response.Ops":      MaxFetch,
	"Response.Peers":    MaxPeers,
	"PeerAddrs.Addrs":   MaxPeerAddrs,
	"Response.Keys":     MaxKeys,
	"JoinResponse.Keys": MaxJoinKeys,
	"Request.Ops":       MaxPushOps,
}

// TestDecodeLimitsFollowTheProtocol: the frame decoder allows exactly the
// deepest nesting, the largest map and the longest array a message may
// have (raised to the library's floor), and every array field of every
// message has a declared bound.
func TestDecodeLimitsFollowTheProtocol(t *testing.T) {
	s := cborshape.Of(messages...)
	longest := 0
	for _, a := range s.Arrays {
		n, ok := arrayCaps[a]
		if !ok {
			t.Errorf("array field %s has no bound in arrayCaps", a)
		}
		longest = max(longest, n)
	}
	want := crdt.DecodeLimits{
		MaxNested: max(crdt.MinDecodeNested, s.Depth),
		MaxArray:  max(crdt.MinDecodeArray, longest),
		MaxMap:    max(crdt.MinDecodeMap, s.MaxMap),
	}
	if got := decoder.Limits(); got != want {
		t.Fatalf("decoder limits %+v, want %+v", got, want)
	}
}

func ids(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte(i)}, 32)
		out[i][0], out[i][1] = byte(i>>8), byte(i)
	}
	return out
}

// largestWrap is the size of an epoch secret wrapped to a hybrid prekey,
// the largest a Keys response carries.
func largestWrap(t *testing.T) int {
	t.Helper()
	p, err := e2ee.NewPrekey(e2ee.Hybrid, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := e2ee.Wrap(e2ee.Hybrid, p.Public, []byte("info"), make([]byte, e2ee.SecretSize))
	if err != nil {
		t.Fatal(err)
	}
	return len(w)
}

// roundTrip frames v, reads it back within max (through Read and through
// a Reader) and compares.
func roundTrip(t *testing.T, name string, v any, max int) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, v); err != nil {
		t.Fatalf("%s: write: %v", name, err)
	}
	frame := buf.Bytes()
	t.Logf("%s: %d bytes, limit %d", name, len(frame), max)
	for _, read := range []func(any) error{
		func(out any) error { return Read(onlyReader{bytes.NewReader(frame)}, out, max) },
		func(out any) error { return NewReader(onlyReader{bytes.NewReader(frame)}).Read(out, max) },
	} {
		out := reflect.New(reflect.TypeOf(v).Elem())
		if err := read(out.Interface()); err != nil {
			t.Fatalf("%s: read back a %d-byte frame within %d: %v", name, len(frame), max, err)
		}
		if !reflect.DeepEqual(out.Interface(), v) {
			t.Fatalf("%s: changed in a round trip", name)
		}
	}
}

// TestLargestMessagesRoundTrip builds the largest message of every kind
// that the protocols allow, frames it, reads it back within the limit its
// reader uses, and compares: requests within MaxRequestFrame, join
// requests within MaxJoinRequestFrame, a first reconciliation frame within
// MaxFirstReconcileFrame, everything else within MaxFrame.
func TestLargestMessagesRoundTrip(t *testing.T) {
	community := bytes.Repeat([]byte{1}, 32)
	hybridPrekey := make([]byte, 1184+32)

	roundTrip(t, "fetch request", &Request{Kind: KindFetch, Community: community, IDs: ids(MaxFetch)}, MaxRequestFrame)
	roundTrip(t, "keys request", &Request{Kind: KindKeys, Community: community, Suite: uint16(e2ee.Hybrid), Prekey: hybridPrekey}, MaxRequestFrame)
	roundTrip(t, "push request", &Request{Kind: KindPush, Community: community, Ops: [][]byte{make([]byte, MaxPushBytes)}}, MaxRequestFrame)
	for _, k := range []uint8{KindNudge, KindSecret, KindPeers} {
		roundTrip(t, fmt.Sprintf("request %d", k), &Request{Kind: k, Community: community}, MaxRequestFrame)
	}

	// Fetch: a responder adds ops while their total stays within
	// MaxResponseBytes, at most MaxFetch of them.
	var many, big [][]byte
	for range MaxFetch {
		many = append(many, bytes.Repeat([]byte{2}, MaxResponseBytes/MaxFetch))
	}
	for range MaxResponseBytes / crdt.MaxOpSize {
		big = append(big, bytes.Repeat([]byte{3}, crdt.MaxOpSize))
	}
	roundTrip(t, "fetch response, many ops", &Response{Ops: many}, MaxFrame)
	roundTrip(t, "fetch response, largest ops", &Response{Ops: big}, MaxFrame)

	var peers []PeerAddrs
	for i := range MaxPeers {
		pa := PeerAddrs{ID: bytes.Repeat([]byte{byte(i)}, 64)}
		for range MaxPeerAddrs {
			pa.Addrs = append(pa.Addrs, bytes.Repeat([]byte{4}, crdt.MaxAddrLen))
		}
		peers = append(peers, pa)
	}
	roundTrip(t, "peers response", &Response{Peers: peers}, MaxFrame)
	roundTrip(t, "secret response", &Response{Secret: make([]byte, SecretSize)}, MaxFrame)
	roundTrip(t, "refusal", &Response{Error: "not a member"}, MaxFrame)

	first := reconcile.MaxFirstMessageSize
	roundTrip(t, "first reconcile frame", &Reconcile{Community: community, Msg: bytes.Repeat([]byte{5}, first)}, MaxFirstReconcileFrame)
	roundTrip(t, "largest reconcile frame", &Reconcile{Msg: bytes.Repeat([]byte{5}, reconcile.MaxMessageSize)}, MaxFrame)
	roundTrip(t, "reconcile refusal", &Reconcile{Error: "busy: too many reconciliations at once; try again later"}, MaxFrame)

	op := bytes.Repeat([]byte{6}, crdt.MaxOpSize)
	roundTrip(t, "join request", &JoinRequest{Invite: op, Join: op}, MaxJoinRequestFrame)
	roundTrip(t, "join response", &JoinResponse{Error: "the invite was used 5 of 5 times", Pending: true, Reason: JoinReasonLapsed}, MaxFrame)
	roundTrip(t, "lookup request", &JoinRequest{Lookup: community}, MaxJoinRequestFrame)
	roundTrip(t, "lookup response", &JoinResponse{Invite: op}, MaxFrame)
	keys := make([][]byte, MaxResponseBytes/crdt.MaxOpSize)
	for i := range keys {
		keys[i] = op
	}
	roundTrip(t, "relayed join response", &JoinResponse{Relayed: true, Pending: true, Keys: keys}, MaxFrame)
}

// TestKeysResponseWithMaxKeysRoundTrips: a Keys response with MaxKeys
// epoch keys, each wrapped to a hybrid prekey, fits a frame and decodes.
// (The decoder once capped arrays at 1,024, so a member who held more
// epochs than that could give a newcomer none.)
func TestKeysResponseWithMaxKeysRoundTrips(t *testing.T) {
	keys := make([]EpochKey, MaxKeys)
	wrap := largestWrap(t)
	for i := range keys {
		keys[i] = EpochKey{Log: bytes.Repeat([]byte{1}, 32), Epoch: bytes.Repeat([]byte{byte(i)}, crdt.EpochIDSize), Wrapped: bytes.Repeat([]byte{7}, wrap)}
	}
	roundTrip(t, "keys response", &Response{Keys: keys}, MaxFrame)

	var buf bytes.Buffer
	if err := Write(&buf, &Response{Keys: append(keys, keys[0])}); err != nil {
		t.Fatal(err)
	}
	var r Response
	if err := Read(&buf, &r, 0); err == nil {
		t.Fatalf("a Keys response with %d keys decoded", MaxKeys+1)
	}
}

// TestFirstFramesAreSmall: what a handler reads before it knows the peer
// is a member stays a small fraction of a frame.
func TestFirstFramesAreSmall(t *testing.T) {
	for name, n := range map[string]int{
		"MaxRequestFrame": MaxRequestFrame, "MaxJoinRequestFrame": MaxJoinRequestFrame, "MaxFirstReconcileFrame": MaxFirstReconcileFrame,
	} {
		if n > MaxFrame/32 {
			t.Errorf("%s is %d bytes, over 1/32 of MaxFrame", name, n)
		}
	}
}

// TestOverLimitFrameIsRefusedUnread: a frame one byte over the reader's
// limit is refused on its length alone.
func TestOverLimitFrameIsRefusedUnread(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, &Reconcile{Msg: make([]byte, 100)}); err != nil {
		t.Fatal(err)
	}
	n := buf.Len() - 1 // the frame's bytes, after its 1-byte length
	if err := Read(&buf, &Reconcile{}, n-1); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("read of a %d-byte frame within %d: %v, want ErrFrameTooLarge", n, n-1, err)
	}
	if buf.Len() != n {
		t.Fatalf("refusing the frame read %d of its bytes", n-buf.Len())
	}
}
