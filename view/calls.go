package view

import (
	"cmp"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Calls returns the calls recorded in the groups of community cid the
// local member reads, newest first: active (no end recorded) or ended,
// with who joined as the end records. Who takes part right now is the
// signalling's to fill in (call.Manager.Fill).
func (v *Views) Calls(cid crdt.ID) ([]api.Call, error) {
	out := []api.Call{}
	err := v.eachGroup(cid, func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		st := c.State()
		if !st.MayRead(v.self, g.ID) {
			return // a removed member sees no calls of groups it may not read
		}
		for _, cv := range s.fold.Calls() {
			out = append(out, callOf(st, nm, v.self, g.ID, cv))
		}
	})
	slices.SortStableFunc(out, func(a, b api.Call) int { return cmp.Or(b.Started.Compare(a.Started), a.ID.Compare(b.ID)) })
	return out, err
}

// CallRecord returns the record of call id of community cid.
func (v *Views) CallRecord(cid, id crdt.ID) (api.Call, bool) {
	var out api.Call
	found := false
	v.eachGroup(cid, func(c *crdt.Community, g *crdt.Group, s *shownList, nm *namer) {
		for _, cv := range s.fold.Calls() {
			if cv.ID == id {
				out, found = callOf(c.State(), nm, v.self, g.ID, cv), true
			}
		}
	})
	return out, found
}

func callOf(st *crdt.State, nm *namer, self crdt.PublicKey, gid crdt.ID, cv *crdt.CallView) api.Call {
	a := api.Call{ID: cv.ID, Group: gid, StartedBy: nm.peer(cv.Caller), StartedByName: nm.name(cv.Caller), Started: time.UnixMilli(cv.Time),
		Video: cv.Video, Active: !cv.Ended, Lapsed: cv.Lapsed, Participants: []string{}, CanEnd: !cv.Ended && st.MayEndCall(self, cv.Caller, gid)}
	if cv.Ended {
		a.Duration = api.Duration(time.Duration(cv.Duration) * time.Millisecond)
		for _, k := range cv.Joined {
			a.Participants = append(a.Participants, nm.peer(k))
		}
	}
	return a
}
