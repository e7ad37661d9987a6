package p2p

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

var (
	alice = crdt.PublicKey{1}
	cid   = crdt.ID{7}
)

// fake is every responder: it records who asked and answers from its
// fields.
type fake struct {
	from   crdt.PublicKey
	set    *reconcile.Set
	refuse error
	asked  bool
}

func (f *fake) AnswerSync(from crdt.PublicKey, req *wire.Request) *wire.Response {
	f.from = from
	return &wire.Response{Ops: [][]byte{{req.Kind}}}
}

func (f *fake) ReconcileSet(_ crdt.ID, from crdt.PublicKey) (*reconcile.Set, error) {
	f.from, f.asked = from, true
	return f.set, f.refuse
}

func (f *fake) AnswerJoin(_ context.Context, from crdt.PublicKey, req *wire.JoinRequest) *wire.JoinResponse {
	f.from = from
	return &wire.JoinResponse{Pending: bytes.Equal(req.Invite, []byte("approval"))}
}

// pipe runs handler on one end of a net.Pipe and returns the other end
// and the handler's error, once it returns.
func pipe(t *testing.T, handler func(io.ReadWriteCloser) error) (net.Conn, <-chan error) {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() {
		err := handler(b)
		b.Close()
		done <- err
	}()
	t.Cleanup(func() { a.Close() })
	return a, done
}

func items(ids ...byte) []reconcile.Item {
	var out []reconcile.Item
	for _, b := range ids {
		out = append(out, reconcile.Item{Key: uint64(b), ID: crdt.ID{b}})
	}
	return out
}

// TestSyncOverPipe: a pull request reaches the responder with the
// remote's key, and its response comes back.
func TestSyncOverPipe(t *testing.T) {
	f := &fake{}
	c, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleSync(rw, alice, f) })
	var resp wire.Response
	if err := Call(c, &wire.Request{Kind: wire.KindFetch, Community: cid[:]}, &resp); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if f.from != alice || len(resp.Ops) != 1 || resp.Ops[0][0] != wire.KindFetch {
		t.Fatalf("from %v, response %+v", f.from, resp)
	}
}

// stoppedConn is a stream whose remote stopped reading once it had the
// request: its half-close fails as QUIC's does, but the answer the remote
// wrote before can still be read.
type stoppedConn struct{ net.Conn }

func (stoppedConn) CloseWrite() error { return errors.New("close called for canceled stream 8") }

// TestCallReadsTheAnswerAfterAFailedHalfClose: a responder that answers
// and closes before the requester's half-close goes out still gets its
// answer through (the race behind a join that failed with "close write:
// close called for canceled stream").
func TestCallReadsTheAnswerAfterAFailedHalfClose(t *testing.T) {
	f := &fake{}
	c, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleJoin(t.Context(), rw, alice, f) })
	var resp wire.JoinResponse
	if err := Call(stoppedConn{c}, &wire.JoinRequest{Invite: []byte("approval"), Join: []byte("j")}, &resp); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || !resp.Pending {
		t.Fatalf("err %v, response %+v", err, resp)
	}
	// With no answer to read, the half-close's error is the one reported.
	c2, _ := pipe(t, func(rw io.ReadWriteCloser) error {
		var req wire.JoinRequest
		return wire.Read(rw, &req, 0) // and no answer
	})
	err := Call(stoppedConn{c2}, &wire.JoinRequest{Invite: []byte("x"), Join: []byte("j")}, &resp)
	if err == nil || !strings.Contains(err.Error(), "close write") {
		t.Fatalf("no answer: %v", err)
	}
}

// TestJoinOverPipe: a join request reaches the responder with the
// remote's key, and its answer comes back.
func TestJoinOverPipe(t *testing.T) {
	f := &fake{}
	c, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleJoin(t.Context(), rw, alice, f) })
	var resp wire.JoinResponse
	if err := Call(c, &wire.JoinRequest{Invite: []byte("approval"), Join: []byte("j")}, &resp); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || f.from != alice || !resp.Pending {
		t.Fatalf("err %v, from %v, response %+v", err, f.from, resp)
	}
}

// TestRequestsAreBounded: a pull or join request longer than its limit is
// refused from its length, unread; a request that never comes is given up
// after Idle.
func TestRequestsAreBounded(t *testing.T) {
	for name, c := range map[string]struct {
		max     int
		handler func(io.ReadWriteCloser) error
	}{
		"sync": {MaxSyncRequest, func(rw io.ReadWriteCloser) error { return HandleSync(rw, alice, &fake{}) }},
		"join": {MaxJoinRequest, func(rw io.ReadWriteCloser) error { return HandleJoin(context.Background(), rw, alice, &fake{}) }},
	} {
		t.Run(name, func(t *testing.T) {
			conn, done := pipe(t, c.handler)
			go wire.Write(conn, &wire.Request{Kind: wire.KindFetch, Community: make([]byte, c.max)})
			if err := <-done; !errors.Is(err, wire.ErrFrameTooLarge) {
				t.Fatalf("got %v, want ErrFrameTooLarge", err)
			}
		})
		t.Run(name+"/idle", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, done := pipe(t, c.handler)
				start := time.Now()
				if err := <-done; err == nil || time.Since(start) != Idle {
					t.Fatalf("a silent requester: %v after %v, want an error after %v", err, time.Since(start), Idle)
				}
			})
		})
	}
}

// TestReconcileOverPipe: the initiator learns exactly the items the
// responder holds that it lacks, whatever the sizes.
func TestReconcileOverPipe(t *testing.T) {
	var many []byte
	for i := range 200 {
		many = append(many, byte(i))
	}
	for name, c := range map[string]struct{ mine, theirs, want []reconcile.Item }{
		"empty initiator": {nil, items(1, 2, 3), items(1, 2, 3)},
		"overlap":         {items(1, 2), items(2, 3, 4), items(3, 4)},
		"equal":           {items(5, 6), items(5, 6), nil},
		"many":            {items(many[:150]...), items(many[50:]...), items(many[150:]...)},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fake{set: reconcile.NewSet(c.theirs)}
			slots := NewSessionSlots(1, 1)
			conn, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleReconcile(rw, alice, f, slots) })
			need, sent, err := Reconcile(conn, cid, reconcile.NewSet(c.mine))
			if err != nil {
				t.Fatal(err)
			}
			conn.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			reconcile.Sort(need)
			if !slices.Equal(need, c.want) || sent == 0 || f.from != alice {
				t.Fatalf("need %v (in %d frames), want %v", need, sent, c.want)
			}
			if total, _ := slots.InUse(alice); total != 0 {
				t.Fatalf("%d slots still taken", total)
			}
		})
	}
}

// TestReconcileRefusals: a peer the responder refuses is told why and
// takes no slot; one over its share of slots is told "busy"; a message
// that does not decode ends the session with ErrBadPeer.
func TestReconcileRefusals(t *testing.T) {
	t.Run("not allowed", func(t *testing.T) {
		f := &fake{refuse: errors.New("not a member")}
		slots := NewSessionSlots(1, 1)
		conn, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleReconcile(rw, alice, f, slots) })
		_, _, err := Reconcile(conn, cid, reconcile.NewSet(nil))
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Text != "not a member" {
			t.Fatalf("got %v", err)
		}
		<-done
	})
	t.Run("busy", func(t *testing.T) {
		f := &fake{set: reconcile.NewSet(items(1))}
		slots := NewSessionSlots(2, 1)
		release, _ := slots.Take(alice)
		defer release()
		conn, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleReconcile(rw, alice, f, slots) })
		if _, _, err := Reconcile(conn, cid, reconcile.NewSet(nil)); err == nil || err.Error() != ErrBusy.Error() {
			t.Fatalf("got %v, want busy", err)
		}
		<-done
	})
	t.Run("garbage", func(t *testing.T) {
		f := &fake{set: reconcile.NewSet(items(1))}
		conn, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleReconcile(rw, alice, f, NewSessionSlots(1, 1)) })
		go wire.Write(conn, &wire.Reconcile{Community: cid[:], Msg: []byte{1, 0xff, 0xff}})
		if err := <-done; !errors.Is(err, ErrBadPeer) {
			t.Fatalf("got %v, want ErrBadPeer", err)
		}
	})
	t.Run("large first frame", func(t *testing.T) {
		f := &fake{set: reconcile.NewSet(items(1))}
		conn, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleReconcile(rw, alice, f, NewSessionSlots(1, 1)) })
		go wire.Write(conn, &wire.Reconcile{Community: cid[:], Msg: make([]byte, MaxFirstReconcileFrame)})
		if err := <-done; !errors.Is(err, wire.ErrFrameTooLarge) || f.asked {
			t.Fatalf("got %v (responder asked: %v), want ErrFrameTooLarge before asking", err, f.asked)
		}
	})
}

// TestIdleInitiatorLosesItsSlot: an initiator that takes its first turn
// and then goes quiet holds its slot for Idle, no longer.
func TestIdleInitiatorLosesItsSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{set: reconcile.NewSet(items(1, 2, 3))}
		slots := NewSessionSlots(1, 1)
		conn, done := pipe(t, func(rw io.ReadWriteCloser) error { return HandleReconcile(rw, alice, f, slots) })
		start := time.Now()
		go func() {
			wire.Write(conn, &wire.Reconcile{Community: cid[:], Msg: reconcile.NewSet(nil).Initiate().Encode()})
			var in wire.Reconcile
			wire.Read(conn, &in, 0) // the reply, which asks for another turn
		}()
		synctest.Wait()
		if total, _ := slots.InUse(alice); total != 1 {
			t.Fatalf("%d slots taken during the session, want 1", total)
		}
		<-done
		if took := time.Since(start); took > Idle {
			t.Fatalf("a quiet initiator held its slot %v", took)
		}
		if total, _ := slots.InUse(alice); total != 0 {
			t.Fatalf("%d slots taken after the session", total)
		}
	})
}

// budget is a stream end whose frame reads reserve memory from a budget,
// as a libp2p stream's resource scope does.
type budget struct {
	net.Conn
	limit, held, peak int
}

func (b *budget) reserve(n int) error {
	if b.held+n > b.limit {
		return errors.New("over budget")
	}
	b.held += n
	b.peak = max(b.peak, b.held)
	return nil
}

func (b *budget) release(n int) { b.held -= n }

// TestFrameReadsReserveMemory: a frame read reserves memory as its bytes
// arrive and releases it all after; a frame larger than the budget fails
// once the budget is spent, not after the frame is read whole.
func TestFrameReadsReserveMemory(t *testing.T) {
	for name, c := range map[string]struct {
		size, limit int
		ok          bool
	}{
		"small":           {100, 1 << 20, true},
		"large":           {300 << 10, 1 << 20, true},
		"over the budget": {300 << 10, 128 << 10, false},
	} {
		t.Run(name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			go wire.Write(a, &wire.Response{Ops: [][]byte{make([]byte, c.size)}})
			rw := &budget{Conn: b, limit: c.limit}
			var resp wire.Response
			err := readFrame(rw, &resp, 0)
			if c.ok != (err == nil) {
				t.Fatalf("read: %v", err)
			}
			if c.ok && (rw.peak < c.size || rw.peak > c.size+2*reserveStep) {
				t.Fatalf("reserved at most %d bytes for a %d-byte frame", rw.peak, c.size)
			}
			if !c.ok && !strings.Contains(err.Error(), "over budget") {
				t.Fatalf("read: %v, want the budget's refusal", err)
			}
			if rw.held != 0 {
				t.Fatalf("%d bytes still reserved", rw.held)
			}
			b.Close()
		})
	}
}
