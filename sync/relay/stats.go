package relay

import (
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// counters are the relay's running totals since it started (Stats).
type counters struct {
	stored, dropped uint64
	nudges, pulls   uint64
	refused         map[string]uint64 // by Reason
}

func newCounters() counters { return counters{refused: map[string]uint64{}} }

// CommunityStats describes what the relay holds of one community.
type CommunityStats struct {
	ID crdt.ID
	// Registered: a registration of this relay is in force.
	Registered bool
	// Ops and Bytes are the ops held and the bytes of their encodings;
	// Dropped the ops retention dropped (never control ops).
	Ops     int
	Bytes   int64
	Dropped int
	// MembersServed counts the members that pulled from the relay since
	// it started.
	MembersServed int
	// LastPush is when the relay last stored ops of the community (what a
	// member pushed); zero if not since it started.
	LastPush time.Time
	// Pushes counts members' nudges, Pulls members' reconciliations.
	Pushes, Pulls uint64
}

// Stats is a snapshot of the relay's store and counters: what `umbrellad
// relay stats` prints and the relay's metrics export (the cmd layer turns
// it into Prometheus series; this package imports no metrics library).
type Stats struct {
	// Communities are sorted by id.
	Communities []CommunityStats
	// Bytes is the bytes of every op held; Quota and Share the limits.
	Bytes, Quota, Share int64
	// Retention is Config.Retention (0: keep everything).
	Retention time.Duration
	// Counters since the relay started: ops stored and dropped, members'
	// nudges (pushes) and reconciliations (pulls), and ops (or, for
	// "not_member", requests) refused, by Reason.
	Stored, Dropped uint64
	Pushes, Pulls   uint64
	Refused         map[string]uint64
}

// Stats returns a snapshot of the relay's store and counters.
func (r *Relay) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Stats{Bytes: r.total, Quota: r.cfg.Quota, Share: r.cfg.CommunityShare, Retention: r.cfg.Retention,
		Stored: r.stats.stored, Dropped: r.stats.dropped, Pushes: r.stats.nudges, Pulls: r.stats.pulls, Refused: map[string]uint64{}}
	for k, v := range r.stats.refused {
		st.Refused[k] = v
	}
	for id, c := range r.comms {
		st.Communities = append(st.Communities, CommunityStats{ID: id, Registered: c.registered(), Ops: c.ops - c.dropped,
			Bytes: c.bytes, Dropped: c.dropped, MembersServed: len(c.served), LastPush: c.lastPush, Pushes: c.pushes, Pulls: c.pulls})
	}
	slices.SortFunc(st.Communities, func(a, b CommunityStats) int { return slices.Compare(a.ID[:], b.ID[:]) })
	return st
}

// notePush counts a nudge for community cid (a push).
func (r *Relay) notePush(cid crdt.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.nudges++
	if c := r.comms[cid]; c != nil {
		c.pushes++
	}
}

// noteRefusal counts a request refused with err.
func (r *Relay) noteRefusal(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.refused[Reason(err)]++
}
