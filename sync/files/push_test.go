package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// fakePush answers pushes as answer says for the n-th call (from 1) and
// records when each came.
type fakePush struct {
	mu     sync.Mutex
	calls  []time.Duration
	start  time.Time
	answer func(n int) error
	// during, when set, runs in the n-th push before its answer, with
	// the push's progress callback.
	during func(n int, progress func(sent, total int))
}

func (f *fakePush) push(_ context.Context, relay string, _ crdt.ID, _ blob.Root, _ int64, progress func(sent, total int)) error {
	f.mu.Lock()
	f.calls = append(f.calls, time.Since(f.start))
	n := len(f.calls)
	f.mu.Unlock()
	if f.during != nil {
		f.during(n, progress)
	}
	return f.answer(n)
}

// pushWorld runs a Pusher with one relay, "r1", and fake pushes.
func pushWorld(t *testing.T, answer func(n int) error) (*Pusher, *fakePush, func() api.RelayFiles) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	fp := &fakePush{start: time.Now(), answer: answer}
	p := NewPusher(ctx, &wg, fp.push, func(crdt.ID) []string { return []string{"r1"} },
		Retry{Base: 10 * time.Second, Max: 30 * time.Second, Attempts: 5})
	state := func() api.RelayFiles {
		rs := []api.RelayState{{PeerID: "r1"}, {PeerID: "r2"}}
		p.Fill(crdt.ID{1}, rs)
		if rs[1].Files != nil {
			t.Fatalf("a relay pushed nothing has file state %+v", rs[1].Files)
		}
		if rs[0].Files == nil {
			return api.RelayFiles{}
		}
		return *rs[0].Files
	}
	return p, fp, state
}

// TestPushRetriesUntilRelayBack: a relay that cannot be reached is tried
// again after 10 s, 20 s, then every 30 s (the bound), and once it is back
// the file is pushed; meanwhile status shows the push pending and why.
func TestPushRetriesUntilRelayBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, fp, state := pushWorld(t, func(n int) error {
			if n < 4 {
				return errors.New("dial: connection refused")
			}
			return nil
		})
		p.Forward(crdt.ID{1}, blob.Root{7}, 100)
		synctest.Wait()
		if st := state(); st.Pending != 1 || st.Pushed != 0 || !strings.Contains(st.LastError, "connection refused") {
			t.Fatalf("after a failed try: %+v", st)
		}
		time.Sleep(time.Minute) // virtual: the retries at 10, 30 and 60 s
		synctest.Wait()
		want := []time.Duration{0, 10 * time.Second, 30 * time.Second, 60 * time.Second}
		if fmt.Sprint(fp.calls) != fmt.Sprint(want) {
			t.Fatalf("pushes at %v, want %v", fp.calls, want)
		}
		if st := state(); st.Pending != 0 || st.Pushed != 1 || st.LastError != "" || st.GaveUp != 0 {
			t.Fatalf("after the relay came back: %+v", st)
		}
	})
}

// TestPushGivesUp: a relay that never comes back is tried a bounded
// number of times, then given up, and status says so.
func TestPushGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, fp, state := pushWorld(t, func(int) error { return errors.New("dial: no route") })
		p.Forward(crdt.ID{1}, blob.Root{7}, 100)
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(fp.calls) != 5 {
			t.Fatalf("%d tries, want 5", len(fp.calls))
		}
		if st := state(); st.Pending != 0 || st.GaveUp != 1 || !strings.Contains(st.LastError, "gave up after 5 tries") {
			t.Fatalf("after giving up: %+v", st)
		}
	})
}

// TestPushRefused: a relay's refusal (its quota) is not retried and shows
// in status with the file and the relay's reason.
func TestPushRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, fp, state := pushWorld(t, func(int) error {
			return fmt.Errorf("%w: quota: the community's share is full", ErrRelayRefused)
		})
		p.Forward(crdt.ID{1}, blob.Root{7}, 100)
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(fp.calls) != 1 {
			t.Fatalf("a refusal tried %d times", len(fp.calls))
		}
		st := state()
		if st.Pending != 0 || st.Pushed != 0 || len(st.Refused) != 1 || st.Refused[0].Root != (blob.Root{7}).String() ||
			!strings.Contains(st.Refused[0].Reason, "share is full") {
			t.Fatalf("after a refusal: %+v", st)
		}
	})
}

// TestPushFileState: the push of one file shows on its own, for the
// file's row: how far it is, then held; a refusal with the relay's
// reason; a failed try while the retry waits.
func TestPushFileState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		p, fp, _ := pushWorld(t, func(n int) error {
			switch n {
			case 1:
				return nil
			case 2:
				return fmt.Errorf("%w: quota: the community's share is full", ErrRelayRefused)
			case 3:
				return errors.New("dial: connection refused")
			}
			return nil
		})
		cid := crdt.ID{1}
		if st := p.FileState(cid, blob.Root{7}); st != nil {
			t.Fatalf("a file never pushed has state %+v", st)
		}
		fp.during = func(n int, progress func(int, int)) {
			if n == 1 {
				progress(2, 5)
				<-release
			}
		}
		p.Forward(cid, blob.Root{7}, 5*blob.PlainChunk)
		synctest.Wait()
		if st := p.FileState(cid, blob.Root{7}); st == nil || *st != (api.RelayPush{Relays: 1, Pending: 1, Percent: 40}) {
			t.Fatalf("halfway: %+v", st)
		}
		close(release)
		synctest.Wait()
		if st := p.FileState(cid, blob.Root{7}); *st != (api.RelayPush{Relays: 1, Held: 1}) {
			t.Fatalf("pushed: %+v", st)
		}
		p.Forward(cid, blob.Root{8}, 100)
		synctest.Wait()
		if st := p.FileState(cid, blob.Root{8}); *st != (api.RelayPush{Relays: 1, Refused: "quota: the community's share is full"}) {
			t.Fatalf("refused: %+v", st)
		}
		p.Forward(cid, blob.Root{9}, 100)
		synctest.Wait()
		if st := p.FileState(cid, blob.Root{9}); st.Pending != 1 || !strings.Contains(st.Retrying, "connection refused") {
			t.Fatalf("retrying: %+v", st)
		}
		time.Sleep(10 * time.Second) // virtual: the retry
		synctest.Wait()
		if st := p.FileState(cid, blob.Root{9}); *st != (api.RelayPush{Relays: 1, Held: 1}) {
			t.Fatalf("pushed on the retry: %+v", st)
		}
		if st := p.FileState(crdt.ID{2}, blob.Root{7}); st != nil {
			t.Fatalf("the same file in another community: %+v", st)
		}
	})
}
