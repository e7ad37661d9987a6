package gossip

import (
	"errors"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestJudgeUnbacked: after a pull, what a sender's gossip cited and this
// node still lacks is fetched from it; a sender that supplies it is not
// penalised, one that cannot is, and a failed pull or fetch counts against
// it only when it cited as many missing ops as are sampled.
func TestJudgeUnbacked(t *testing.T) {
	ctx := t.Context()
	cid := crdt.ID{0xc0}
	ids := func(n int) []crdt.ID {
		out := make([]crdt.ID, n)
		for i := range out {
			out[i] = crdt.ID{0xee, byte(i)}
		}
		return out
	}
	errDropped := errors.New("connection dropped")
	for _, tc := range []struct {
		name      string
		cited     int
		pulled    error
		fetch     func(*fakeReplica) func([]crdt.ID) error
		penalised bool
	}{
		{"held after the pull", 0, nil, nil, false},
		{"supplied by the fetch", 3, nil, func(r *fakeReplica) func([]crdt.ID) error {
			return func(ids []crdt.ID) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				for _, id := range ids {
					r.parked[id] = true // parked counts: the sender supplied it
				}
				return nil
			}
		}, false},
		{"fetch answers without the ops", 3, nil, func(*fakeReplica) func([]crdt.ID) error {
			return func([]crdt.ID) error { return nil }
		}, true},
		{"fetch fails, few cited", 3, nil, nil, false},
		{"pull failed, few cited", 3, errDropped, nil, false},
		{"pull failed, a flood cited", maxUnbackedIDs, errDropped, nil, true},
		{"fetch fails, a flood cited", maxUnbackedIDs, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			olivia, mallory := newMember(t, 1, "Olivia"), newMember(t, 2, "Mallory")
			rep := newFakeReplica()
			rep.community(cid, olivia.key, mallory.key)
			pl := &fakePuller{}
			if tc.fetch != nil {
				pl.fetch = tc.fetch(rep)
			}
			s := bare(t, rep, pl, time.Now, olivia.pid)
			s.unbacked.note(mallory.pid, cid, ids(tc.cited))
			s.JudgeUnbacked(ctx, mallory.pid, cid, tc.pulled)
			if got := s.AppScore(mallory.pid) < 0; got != tc.penalised {
				t.Errorf("penalised = %v, want %v", got, tc.penalised)
			}
			if fetched := len(pl.fetched) > 0; fetched != (tc.cited > 0 && tc.pulled == nil) {
				t.Errorf("fetched %v", pl.fetched)
			}
		})
	}
}

// TestPenaltiesDecay: each offence lowers a peer's app score for an hour;
// the peers remembered are bounded.
func TestPenaltiesDecay(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	olivia, mallory := newMember(t, 1, "Olivia"), newMember(t, 2, "Mallory")
	s := bare(t, newFakeReplica(), &fakePuller{}, clock, olivia.pid)
	s.Penalise(mallory.pid)
	now = now.Add(30 * time.Minute)
	s.Penalise(mallory.pid)
	if got := s.AppScore(mallory.pid); got != 2*misbehaviourPenalty {
		t.Fatalf("score after two offences %v", got)
	}
	now = now.Add(31 * time.Minute)
	if got := s.AppScore(mallory.pid); got != misbehaviourPenalty {
		t.Fatalf("score once the first offence is an hour old %v", got)
	}
	now = now.Add(time.Hour)
	if got := s.AppScore(mallory.pid); got != 0 {
		t.Fatalf("score once both are old %v", got)
	}
	if len(s.penalties) != 0 {
		t.Fatal("a forgiven peer is still remembered")
	}
}
