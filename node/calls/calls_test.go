package calls

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// fakeReplica holds one accepted op with its body.
type fakeReplica struct {
	op   *crdt.Op
	body any
}

func (f fakeReplica) Snapshot(crdt.ID) (*crdt.State, error) { return nil, errors.New("no state") }
func (f fakeReplica) Accepted(_, id crdt.ID) (*crdt.Op, any) {
	if f.op == nil || f.op.ID() != id {
		return nil, nil
	}
	return f.op, f.body
}

// fakeRecords says whether the call's end is recorded.
type fakeRecords struct{ ended, lapsed bool }

func (fakeRecords) Calls(crdt.ID) ([]api.Call, error) { return nil, nil }
func (f fakeRecords) CallRecord(crdt.ID, crdt.ID) (api.Call, bool) {
	return api.Call{Active: !f.ended, Lapsed: f.lapsed}, true
}

// TestLookup: a call's record is its start op (group, caller, video,
// time) with whether its end is recorded; an op that is no call start,
// or none, is no call.
func TestLookup(t *testing.T) {
	start := &crdt.Op{Log: crdt.ID{7}, Author: crdt.PublicKey{9}, Kind: crdt.KindMessage}
	started := time.UnixMilli(1_700_000_000_000)
	cb := &crdt.CallBody{Action: crdt.CallStart, Video: true, Time: started.UnixMilli()}
	h := hooks{Config{Replica: fakeReplica{start, cb}, Records: fakeRecords{ended: true, lapsed: true}}}
	r, ok := h.Lookup(crdt.ID{1}, start.ID())
	want := call.Record{Group: crdt.ID{7}, Caller: crdt.PublicKey{9}, Video: true, Started: started, Ended: true, Lapsed: true}
	if !ok || r != want {
		t.Fatalf("Lookup = %+v, %v; want %+v", r, ok, want)
	}
	if _, ok := h.Lookup(crdt.ID{1}, crdt.ID{2}); ok {
		t.Fatal("an op not held is a call")
	}
	h.cfg.Replica = fakeReplica{start, &crdt.CallBody{Action: crdt.CallEnd}}
	if _, ok := h.Lookup(crdt.ID{1}, start.ID()); ok {
		t.Fatal("a call's end is a call's start")
	}
	h.cfg.Replica = fakeReplica{start, &crdt.MessageBody{Text: "hi"}}
	if _, ok := h.Lookup(crdt.ID{1}, start.ID()); ok {
		t.Fatal("a message is a call")
	}
}

// TestHandlerBadPeer: a malformed signalling message makes the handler
// fail with p2p.ErrBadPeer, so the sender is penalised.
func TestHandlerBadPeer(t *testing.T) {
	m, _, err := New(Config{Replica: fakeReplica{}, Records: fakeRecords{}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, b := net.Pipe()
	go func() {
		wire.Write(a, &call.Message{Type: 42})
		a.Close()
	}()
	if err := Handler(m)(t.Context(), b, crdt.PublicKey{3}); !errors.Is(err, p2p.ErrBadPeer) || !errors.Is(err, call.ErrMalformed) {
		t.Fatalf("a malformed message: %v; want ErrBadPeer and ErrMalformed", err)
	}
}
