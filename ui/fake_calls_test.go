package ui

import (
	"context"
	"errors"
	"slices"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeCall is one call in the fake: its record and how each participant
// is (the local member among them while it takes part).
type fakeCall struct {
	cid    crdt.ID
	call   api.Call
	people []api.CallParticipant
}

// errNotAllowed: crdt does not let the local member do it.
var errNotAllowed = errors.New("not allowed")

// callFake is the fake with calls. The plain fake has none, so the
// other screens' golden images show no call buttons.
type callFake struct{ *fakeBackend }

var (
	_ callBackend = callFake{}
	_ callMuter   = callFake{}
	_ callCamera  = callFake{}
	_ callRemover = callFake{}
)

// ringCall has caller (a name; peer "peer-<name>") start a call in group
// gid with others already in it, and rings the local member.
func (f *fakeBackend) ringCall(cid, gid crdt.ID, caller string, video bool, others ...string) crdt.ID {
	f.mu.Lock()
	c := &fakeCall{cid: cid, call: api.Call{ID: f.id(), Group: gid, StartedBy: "peer-" + caller, StartedByName: caller,
		Started: f.clock, Video: video, Active: true}}
	for _, n := range append([]string{caller}, others...) {
		c.people = append(c.people, api.CallParticipant{PeerID: "peer-" + n, Name: n, Audio: true, Video: video})
	}
	f.callRecs = append(f.callRecs, c)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCalls, Community: cid})
	return c.call.ID
}

// setSpeaking marks who speaks in call id, and muted who is muted.
func (f *fakeBackend) setSpeaking(id crdt.ID, speaking string, muted ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.findCall(id)
	for i := range c.people {
		c.people[i].Speaking = c.people[i].Name == speaking
		c.people[i].Muted = slices.Contains(muted, c.people[i].Name)
	}
}

func (f *fakeBackend) findCall(id crdt.ID) *fakeCall {
	for _, c := range f.callRecs {
		if c.call.ID == id {
			return c
		}
	}
	return nil
}

// view is call c as the local member sees it. Callers hold f.mu.
func (f *fakeBackend) callView(c *fakeCall) api.Call {
	out := c.call
	out.Participants = []string{}
	for _, p := range c.people {
		out.Participants = append(out.Participants, p.PeerID)
		out.Joined = out.Joined || p.Self
	}
	out.Joined = out.Joined && out.Active
	if comm := f.comm(c.cid); comm != nil {
		out.CanEnd = out.Active && f.state(comm).MayEndCall(f.selfKey(), fakeKey(c.call.StartedBy), c.call.Group)
	}
	return out
}

func (f callFake) Calls(cid crdt.ID) ([]api.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Calls"); err != nil {
		return nil, err
	}
	out := []api.Call{}
	for _, c := range f.callRecs {
		if c.cid == cid {
			out = append(out, f.callView(c))
		}
	}
	return out, nil
}

func (f callFake) CallStatus(cid, id crdt.ID) (api.CallStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("CallStatus"); err != nil {
		return api.CallStatus{}, err
	}
	c := f.findCall(id)
	if c == nil || c.cid != cid {
		return api.CallStatus{}, api.ErrUnknownCall
	}
	if !f.callView(c).Joined {
		return api.CallStatus{}, api.ErrNotInCall
	}
	return api.CallStatus{Call: id, Topology: api.TopologyMesh, Participants: slices.Clone(c.people)}, nil
}

func (f callFake) StartCall(_ context.Context, cid, gid crdt.ID, video, _ bool) (crdt.ID, error) {
	f.mu.Lock()
	if err := f.enter("StartCall"); err != nil {
		f.mu.Unlock()
		return crdt.ID{}, err
	}
	comm := f.comm(cid)
	if comm == nil || !f.state(comm).MayCall(f.selfKey(), gid) {
		f.mu.Unlock()
		return crdt.ID{}, errNotAllowed
	}
	c := &fakeCall{cid: cid, call: api.Call{ID: f.id(), Group: gid, StartedBy: f.self.PeerID, StartedByName: f.self.Name,
		Started: f.clock, Video: video, Active: true},
		people: []api.CallParticipant{{PeerID: f.self.PeerID, Name: f.self.Name, Self: true, Audio: true, Video: video}}}
	f.callRecs = append(f.callRecs, c)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCalls, Community: cid})
	return c.call.ID, nil
}

// changeCall runs fn on call id of community cid under f.mu and emits
// EventCalls.
func (f *fakeBackend) changeCall(method string, cid, id crdt.ID, fn func(c *fakeCall) error) error {
	f.mu.Lock()
	if err := f.enter(method); err != nil {
		f.mu.Unlock()
		return err
	}
	c := f.findCall(id)
	var err error
	switch {
	case c == nil || c.cid != cid:
		err = api.ErrUnknownCall
	case !c.call.Active:
		err = api.ErrCallEnded
	default:
		err = fn(c)
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventCalls, Community: cid})
	}
	return err
}

func (f callFake) JoinCall(_ context.Context, cid, id crdt.ID, video, _ bool) error {
	return f.changeCall("JoinCall", cid, id, func(c *fakeCall) error {
		if !f.callView(c).Joined {
			c.people = append(c.people, api.CallParticipant{PeerID: f.self.PeerID, Name: f.self.Name, Self: true, Audio: true, Video: video})
		}
		return nil
	})
}

func (f callFake) LeaveCall(_ context.Context, cid, id crdt.ID) error {
	return f.changeCall("LeaveCall", cid, id, func(c *fakeCall) error {
		n := len(c.people)
		c.people = slices.DeleteFunc(c.people, func(p api.CallParticipant) bool { return p.Self })
		if n == len(c.people) {
			return api.ErrNotInCall
		}
		return nil
	})
}

func (f callFake) EndCall(_ context.Context, cid, id crdt.ID) error {
	return f.changeCall("EndCall", cid, id, func(c *fakeCall) error {
		if !f.callView(c).CanEnd {
			return errNotAllowed
		}
		c.call.Active = false
		return nil
	})
}

func (f callFake) RemoveCallPeer(_ context.Context, cid, id crdt.ID, peerID string) error {
	return f.changeCall("RemoveCallPeer", cid, id, func(c *fakeCall) error {
		if !f.callView(c).CanEnd {
			return errNotAllowed
		}
		c.people = slices.DeleteFunc(c.people, func(p api.CallParticipant) bool { return p.PeerID == peerID })
		return nil
	})
}

func (f callFake) SetCallMuted(_ context.Context, cid, id crdt.ID, muted bool) error {
	return f.changeCall("SetCallMuted", cid, id, func(c *fakeCall) error {
		for i := range c.people {
			if c.people[i].Self {
				c.people[i].Muted = muted
				return nil
			}
		}
		return api.ErrNotInCall
	})
}

func (f callFake) SetCallVideo(_ context.Context, cid, id crdt.ID, on bool) error {
	return f.changeCall("SetCallVideo", cid, id, func(c *fakeCall) error {
		for i := range c.people {
			if c.people[i].Self {
				c.people[i].Video = on
				return nil
			}
		}
		return api.ErrNotInCall
	})
}
