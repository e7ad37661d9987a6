package call

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// crash stops name's node without a word to the others: it becomes
// unreachable, as a crashed node is.
func (w *testNet) crash(name string) {
	w.t.Helper()
	k := w.keys[name]
	w.mgrs[k].Close()
	delete(w.mgrs, k)
}

// listed is what the view would list of call id from its record.
func (w *testNet) listed(id crdt.ID) []api.Call {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.records[id]
	return []api.Call{{ID: id, Group: r.Group, StartedBy: peerID(r.Caller), Started: r.Started, Active: !r.Ended, Lapsed: r.Lapsed}}
}

// TestCallLastToLeaveRecordsLapse: when the caller has left and the last
// participant, neither caller nor admin, leaves, it records that the call
// lapsed, with who took part; before, the call stayed active.
func TestCallLastToLeaveRecordsLapse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, ann, id := w.oliviaCallsAnn()
		synctest.Wait()
		if err := olivia.Leave(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if w.records[id].Ended {
			t.Fatal("the call ended while ann is still in it")
		}
		if err := ann.Leave(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		want := []crdt.PublicKey{w.keys["olivia"], w.keys["ann"]}
		slices.SortFunc(want, func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) })
		if r := w.records[id]; !r.Ended || !r.Lapsed || w.lapses[id] != 1 || !slices.Equal(w.ends[id], want) {
			t.Fatalf("after the last leave: record %+v, %d lapses, joined %v", r, w.lapses[id], w.ends[id])
		}
	})
}

// TestCallCallerCrashed: the caller's node crashes mid-call. A member who
// joins at once finds nobody but records nothing (the caller may be only
// briefly away); once the call is StaleAfter old, a join that finds
// nobody records the lapse once and fails with ErrCallEnded. The caller's
// restarted node records the lapse of a call it started in its earlier
// run the first time it lists the calls, and lists it ended.
func TestCallCallerCrashed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia := w.node("olivia", true, false, false)
		ann := w.node("ann", true, false, false)
		ben := w.node("ben", true, false, false)
		id := w.start(olivia)
		w.crash("olivia")
		if err := ann.Join(t.Context(), w.cid, id, false, true); !errors.Is(err, api.ErrNoPeer) {
			t.Fatalf("joining a young call nobody answers: %v", err)
		}
		if w.records[id].Ended {
			t.Fatal("a young call was recorded as lapsed")
		}
		time.Sleep(StaleAfter)
		if err := ben.Join(t.Context(), w.cid, id, false, true); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("joining a stale call nobody is in: %v", err)
		}
		if err := ann.Join(t.Context(), w.cid, id, false, true); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("joining it again, from another member: %v", err)
		}
		if err := ben.Join(t.Context(), w.cid, id, false, true); !errors.Is(err, api.ErrCallEnded) {
			t.Fatalf("joining it again: %v", err)
		}
		if r := w.records[id]; !r.Ended || !r.Lapsed || w.lapses[id] != 1 {
			t.Fatalf("after the stale joins: record %+v, %d lapses", r, w.lapses[id])
		}

		// The caller crashes alone in a second call and restarts.
		olivia = w.node("olivia", true, false, false)
		id2, err := olivia.Start(t.Context(), w.cid, w.gid, true, true)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(time.Second)
		w.crash("olivia")
		olivia = w.node("olivia", true, false, false)
		if calls := olivia.Fill(w.cid, w.listed(id2)); len(calls) != 1 || calls[0].Active || !calls[0].Lapsed {
			t.Fatalf("the restarted caller lists its stale call as %+v", calls)
		}
		synctest.Wait()
		if r := w.records[id2]; !r.Ended || !r.Lapsed || w.lapses[id2] != 1 || !slices.Equal(w.ends[id2], []crdt.PublicKey{w.keys["olivia"]}) {
			t.Fatalf("the restarted caller's record: %+v, %d lapses, joined %v", r, w.lapses[id2], w.ends[id2])
		}
		olivia.Fill(w.cid, w.listed(id2))
		synctest.Wait()
		if w.lapses[id2] != 1 {
			t.Fatalf("the lapse was recorded %d times", w.lapses[id2])
		}
		// A call it starts now is its own and stays active.
		id3, err := olivia.Start(t.Context(), w.cid, w.gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		if calls := olivia.Fill(w.cid, w.listed(id3)); len(calls) != 1 || !calls[0].Active || !calls[0].Joined {
			t.Fatalf("the restarted caller's new call: %+v", calls)
		}
		synctest.Wait()
		if w.records[id3].Ended {
			t.Fatal("a new call was recorded as lapsed")
		}
	})
}

// TestCallLapsedButLive: a call wrongly recorded as lapsed while people
// are in it can still be joined, and its participants keep listing it
// active.
func TestCallLapsedButLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia := w.node("olivia", true, false, false)
		id := w.start(olivia)
		ann := w.node("ann", true, false, false) // not rung: she knows the call by its record
		w.mu.Lock()
		r := w.records[id]
		r.Ended, r.Lapsed = true, true
		w.records[id] = r
		w.mu.Unlock()
		if calls := olivia.Fill(w.cid, w.listed(id)); len(calls) != 1 || !calls[0].Active {
			t.Fatalf("a participant lists its lapsed call as %+v", calls)
		}
		if err := ann.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatalf("joining a live call recorded as lapsed: %v", err)
		}
		synctest.Wait()
		w.checkHasKey("ann", "olivia")
	})
}
