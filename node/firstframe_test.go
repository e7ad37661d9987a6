package node

import (
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// frameOfSize returns the message mk(pad) whose encoding is exactly size
// bytes, choosing pad.
func frameOfSize(t *testing.T, size int, mk func(pad []byte) any) any {
	t.Helper()
	for pad := max(0, size-64); pad <= size; pad++ {
		v := mk(make([]byte, pad))
		raw, err := crdt.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) == size {
			return v
		}
	}
	t.Fatalf("no message of exactly %d bytes", size)
	return nil
}

// TestStrangersFirstFrameIsBounded: every stream handler reads its first
// frame, from a peer it does not yet know to be a member, only up to its
// limit in sync/wire (MaxRequestFrame, MaxJoinRequestFrame,
// MaxFirstReconcileFrame). A stranger's frame of exactly that size is read
// and answered with a refusal; one byte more is refused on its length,
// unread and unanswered.
func TestStrangersFirstFrameIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		sn := newSimNet(t)
		a := sn.start(t.TempDir(), "Olivia", store.NewMemory())
		x := sn.start(t.TempDir(), "Stranger", store.NewMemory())
		defer a.Close()
		defer x.Close()
		comm, err := a.CreateCommunity(ctx, "Glow Team")
		if err != nil {
			t.Fatal(err)
		}
		if err := x.host.Connect(ctx, a.host.Peerstore().PeerInfo(a.host.ID())); err != nil {
			t.Fatal(err)
		}
		cid := comm.ID[:]
		for _, tc := range []struct {
			name   string
			proto  protocol.ID
			limit  int
			msg    func(pad []byte) any
			answer func() any
			// refused reports whether an answer read is the refusal the
			// handler gives a stranger's well-formed first frame.
			refused func(answer any) bool
		}{
			{
				"sync request", syncProtocol, wire.MaxRequestFrame,
				func(pad []byte) any { return &wire.Request{Kind: wire.KindSecret, Community: cid, Prekey: pad} },
				func() any { return &wire.Response{} },
				func(v any) bool { return v.(*wire.Response).Error == errNotMember.Error() },
			},
			{
				"join request", joinProtocol, wire.MaxJoinRequestFrame,
				func(pad []byte) any { return &wire.JoinRequest{Invite: pad, Join: pad[:1]} },
				func() any { return &wire.JoinResponse{} },
				func(v any) bool { return v.(*wire.JoinResponse).Error != "" },
			},
			{
				"first reconcile frame", reconcileProtocol, wire.MaxFirstReconcileFrame,
				func(pad []byte) any { return &wire.Reconcile{Community: cid, Msg: pad} },
				func() any { return &wire.Reconcile{} },
				func(v any) bool { return v.(*wire.Reconcile).Error == errNotMember.Error() },
			},
		} {
			for _, size := range []int{tc.limit, tc.limit + 1} {
				s, err := x.host.NewStream(ctx, a.host.ID(), tc.proto)
				if err != nil {
					t.Fatal(err)
				}
				msg := frameOfSize(t, size, tc.msg)
				go func() {
					wire.Write(s, msg) // fails once the node resets the stream
					s.CloseWrite()
				}()
				answer := tc.answer()
				err = wire.Read(s, answer, 0)
				s.Reset()
				switch {
				case size <= tc.limit && (err != nil || !tc.refused(answer)):
					t.Errorf("%s of %d bytes, at the limit: answered %+v, %v; want a refusal", tc.name, size, answer, err)
				case size > tc.limit && err == nil:
					t.Errorf("%s of %d bytes, over the limit %d: read and answered %+v", tc.name, size, tc.limit, answer)
				}
			}
		}
	})
}
