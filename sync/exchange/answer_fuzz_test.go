package exchange

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// fuzzWorld is the test world with Ben admitted, and who picks the asking
// peer: the owner, Ben (a member outside Leaders) or a stranger.
func fuzzWorld(t *testing.T, who uint8) (w *world, from crdt.PublicKey, stranger bool) {
	w = newWorld(t)
	w.admit(newKey(2))
	switch who % 3 {
	case 0:
		return w, w.owner.pub(), false
	case 1:
		return w, newKey(2).pub(), false
	}
	return w, newKey(7).pub(), true
}

// fuzzedOp is the bytes of an op a fuzz input describes: raw (mode 0),
// real (1), or real with its tail replaced by raw (2).
func fuzzedOp(mode uint8, real, raw []byte) []byte {
	switch mode % 3 {
	case 1:
		return real
	case 2:
		cut := len(raw) % (len(real) + 1)
		return append(bytes.Clone(real[:cut]), raw...)
	}
	return raw
}

// encodes fails the test unless resp goes out as one frame and comes back
// the same.
func encodes(t *testing.T, resp, back any) {
	t.Helper()
	var buf bytes.Buffer
	if err := wire.Write(&buf, resp); err != nil {
		t.Fatalf("the answer %+v does not go out: %v", resp, err)
	}
	if err := wire.Read(&buf, back, wire.MaxFrame); err != nil {
		t.Fatalf("the answer does not read back: %v", err)
	}
}

// FuzzAnswerSync: whatever a peer asks, the answer goes out as a frame; a
// stranger gets only a refusal (or, for a nudge, nothing); and Ben, who is
// not in Leaders, never gets its post. picks names the ids asked: a byte
// under 128 picks one of the community's ops, any other a malformed id.
func FuzzAnswerSync(f *testing.F) {
	for _, kind := range []uint8{wire.KindFetch, wire.KindNudge, wire.KindSecret, wire.KindPeers, wire.KindKeys, wire.KindPush, 99} {
		for who := range uint8(3) {
			f.Add(kind, who, true, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte(nil))
		}
	}
	f.Add(uint8(wire.KindFetch), uint8(1), true, []byte{0, 200}, []byte(nil))
	f.Add(uint8(wire.KindFetch), uint8(1), false, []byte{1}, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, kind, who uint8, ours bool, picks, community []byte) {
		w, from, stranger := fuzzWorld(t, who)
		var ops []crdt.ID
		_ = w.rep.View(w.cid, func(c *crdt.Community) error {
			c.EachOp(crdt.ZeroID, func(o *crdt.Op) { ops = append(ops, o.ID()) })
			for _, l := range c.ContentLogs() {
				c.EachOp(l, func(o *crdt.Op) { ops = append(ops, o.ID()) })
			}
			return nil
		})
		req := &wire.Request{Kind: kind, Community: community}
		if ours {
			req.Community = w.cid[:]
		}
		for _, p := range picks {
			if p < 128 {
				req.IDs = append(req.IDs, ops[int(p)%len(ops)].Bytes())
			} else {
				req.IDs = append(req.IDs, bytes.Repeat([]byte{p}, int(p)%40))
			}
		}
		resp := w.srv.AnswerSync(from, req)
		if stranger && kind != wire.KindNudge && (resp.Error == "" || len(resp.Ops) > 0 || resp.Secret != nil || resp.Peers != nil || resp.Keys != nil) {
			t.Fatalf("a stranger's kind %d request got %+v", kind, resp)
		}
		if from == newKey(2).pub() {
			for _, raw := range resp.Ops {
				if op, err := crdt.DecodeOp(raw); err == nil && op.ID() == w.secret {
					t.Fatal("Ben, outside Leaders, got its post")
				}
			}
		}
		encodes(t, resp, &wire.Response{})
	})
}

// FuzzAnswerJoin: whatever a peer presents as an invite and a join, or as
// a lookup, the answer goes out as a frame; a join admitted without
// approval was the presenter's own and made it a member; and a lookup finds the invite by
// its key and nothing else.
func FuzzAnswerJoin(f *testing.F) {
	for who := range uint8(3) {
		f.Add(uint8(1), uint8(1), who, []byte(nil), []byte(nil), false)
		f.Add(uint8(2), uint8(2), who, []byte{0x83}, []byte{0x01, 0x02}, false)
	}
	f.Add(uint8(0), uint8(0), uint8(2), []byte(nil), []byte(nil), true)
	f.Add(uint8(0), uint8(0), uint8(2), []byte{1, 2, 3}, []byte(nil), false)
	f.Fuzz(func(t *testing.T, invMode, joinMode, who uint8, inv, join []byte, lookup bool) {
		w, from, _ := fuzzWorld(t, who)
		req := &wire.JoinRequest{Invite: fuzzedOp(invMode, w.invite.Bytes(), inv), Join: fuzzedOp(joinMode, w.joinOp(newKey(7)).Bytes(), join)}
		if lookup {
			req = &wire.JoinRequest{Lookup: fuzzedOp(invMode, w.invitePr.Public().(ed25519.PublicKey), inv)}
		}
		resp := w.srv.AnswerJoin(context.Background(), from, req)
		switch {
		case len(req.Lookup) > 0:
			if resp.Error == "" && !bytes.Equal(resp.Invite, w.invite.Bytes()) {
				t.Fatalf("a lookup of %x found %x", req.Lookup, resp.Invite)
			}
			if resp.Error != "" && resp.Error != wire.UnknownInvite {
				t.Fatalf("a lookup refused with %q, which tells more than %q", resp.Error, wire.UnknownInvite)
			}
		case resp.Error == "" && !resp.Pending:
			j, err := crdt.DecodeOp(req.Join)
			if err != nil || j.Author != from || w.rep.Role(w.cid, from) == crdt.RoleNone {
				t.Fatalf("a join answered admitted: presented by %s, decodes %v, its author a member: %v", from, err, err == nil && w.rep.Role(w.cid, j.Author) != crdt.RoleNone)
			}
		}
		encodes(t, resp, &wire.JoinResponse{})
	})
}

// mangledRemote is a member whose Fetch answers a fuzz input changes.
type mangledRemote struct {
	direct
	mangle func([][]byte) [][]byte
}

func (m mangledRemote) Fetch(ctx context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error) {
	ops, err := m.direct.Fetch(ctx, cid, ids)
	if err != nil {
		return nil, err
	}
	return m.mangle(ops), nil
}

// FuzzPull: whatever a member answers to Ben's fetches (the true ops with
// one replaced, cut, or another appended, or bytes of its own), the pull
// ends, with ErrBadPeer when an op does not decode, and Ben holds only
// ops the member holds, never the post of Leaders, which he is not in.
func FuzzPull(f *testing.F) {
	for mode := range uint8(4) {
		f.Add(mode, uint8(0), []byte{0x01})
	}
	f.Add(uint8(3), uint8(1), []byte(nil))
	f.Fuzz(func(t *testing.T, mode, which uint8, raw []byte) {
		w := newWorld(t)
		ben := newKey(2)
		w.admit(ben)
		rep, srv := w.member(ben)
		bad := false
		r := mangledRemote{direct: direct{srv: w.srv, self: ben.pub()}, mangle: func(ops [][]byte) [][]byte {
			if len(ops) == 0 {
				return ops
			}
			i := int(which) % len(ops)
			switch mode % 4 {
			case 0:
				ops = [][]byte{raw}
			case 1:
				ops[i] = raw
			case 2:
				ops = append(ops, raw)
			case 3:
				ops[i] = ops[i][:len(raw)%(len(ops[i])+1)]
			}
			for _, o := range ops {
				if _, err := crdt.DecodeOp(o); err != nil {
					bad = true
				}
			}
			return ops
		}}
		_, err := srv.Pull(t.Context(), r, w.cid, nil)
		if bad && !errors.Is(err, ErrBadPeer) {
			t.Fatalf("a peer sent an op that does not decode, and the pull ended with %v", err)
		}
		_ = rep.View(w.cid, func(c *crdt.Community) error {
			c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
				if !holds(t, w.rep, w.cid, o.ID()) {
					t.Errorf("Ben holds %s, which the member does not", o.ID().Short())
				}
			})
			return nil
		})
		if holds(t, rep, w.cid, w.secret) {
			t.Fatal("Ben holds the post of Leaders")
		}
	})
}
