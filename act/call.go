package act

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// The call record: a call's start and end in its group's log (crdt's
// call kind). Package call writes them through these when a call starts
// and ends; who may is crdt's to say.

// RecordCallStart records the start of a voice (or video) call in group
// gid of community cid and returns its id, the call's id.
func (a *Actions) RecordCallStart(ctx context.Context, cid, gid crdt.ID, video bool) (crdt.ID, error) {
	if err := a.checkGroup(cid, gid); err != nil {
		return crdt.ID{}, err
	}
	return a.write(ctx, cid, gid, crdt.KindCall, &crdt.CallBody{Action: crdt.CallStart, Video: video, Time: a.millis()})
}

// RecordCallEnd records the end of call id in group gid of community cid
// (the caller or an admin): how long it ran and who joined it (at most
// crdt.MaxCallParticipants are named).
func (a *Actions) RecordCallEnd(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	return a.recordCallEnd(ctx, cid, gid, id, d, joined, false)
}

// RecordCallLapsed records that call id in group gid of community cid
// lapsed: it was found with nobody in it (any member who may take part
// in the group's calls; see crdt's call kind).
func (a *Actions) RecordCallLapsed(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	return a.recordCallEnd(ctx, cid, gid, id, d, joined, true)
}

func (a *Actions) recordCallEnd(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey, lapsed bool) error {
	b := &crdt.CallBody{Action: crdt.CallEnd, Target: idBytes(id), Duration: min(max(d.Milliseconds(), 0), crdt.MaxCallDuration), Lapsed: lapsed, Time: a.millis()}
	joined = slices.Clone(joined)
	slices.SortFunc(joined, func(x, y crdt.PublicKey) int { return slices.Compare(x[:], y[:]) })
	joined = slices.Compact(joined)
	for _, k := range joined[:min(len(joined), crdt.MaxCallParticipants)] {
		b.Joined = append(b.Joined, slices.Clone(k[:]))
	}
	if _, err := a.write(ctx, cid, gid, crdt.KindCall, b); err != nil {
		return fmt.Errorf("record the call's end: %w", err)
	}
	return nil
}
