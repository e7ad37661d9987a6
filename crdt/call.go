package crdt

import (
	"fmt"
	"slices"
)

// Calls. A call is recorded in its group's content log by two call ops,
// sealed like a message: a start (CallStart), written by the caller, who
// must be allowed to post in the group (in the announcement group, an
// admin), saying whether it is a video or a voice call; and later an end
// (CallEnd), naming the start, written by the caller or an admin, with
// the call's duration and who joined it. The record never carries keys:
// everything about a running call (its roster, its media keys) travels
// over the signalling protocol (package call) and is never stored. The
// id of the start op is the call's id there.
//
// A call whose caller's node crashed (or lost its network for good)
// would stay active forever, since only the caller or an admin may end
// it. So an end may instead say the call lapsed (CallBody.Lapsed): it
// was found with nobody left in it. Any member who may take part in the
// group's calls may write a lapsed end; no clock is consulted here, the
// writers decide when a call is stale (package call: the last
// participant to leave, a member whose join finds nobody in a call
// started long ago, the caller's own node after a restart). A lapsed
// end is a claim, not an order: participants still in the call keep it
// running for themselves, and a later end by the caller or an admin
// replaces the lapsed one's details (who ended it, the duration, who
// joined).
//
// A call op by a member removed concurrently is hidden as any post is; a
// call op written after its author's removal is refused. A second end of
// the same call stands but changes nothing: the first end in display
// order is the one shown (but for a lapsed end, which a full one
// replaces).

// Call actions (CallBody.Action).
const (
	CallStart uint8 = 1 // the call starts
	CallEnd   uint8 = 2 // the call ended
)

// CallBody is a call op's body.
type CallBody struct {
	Action uint8 `cbor:"1,keyasint"`
	// Video: a video call rather than a voice call (start only).
	Video bool `cbor:"2,keyasint,omitempty"`
	// Target is the start op (end only).
	Target []byte `cbor:"3,keyasint,omitempty"`
	// Duration is how long the call ran, in milliseconds (end only), at
	// most MaxCallDuration.
	Duration int64 `cbor:"4,keyasint,omitempty"`
	// Joined lists who took part (end only), at most MaxCallParticipants
	// distinct keys.
	Joined [][]byte `cbor:"5,keyasint,omitempty"`
	Time   int64    `cbor:"6,keyasint"` // author's clock, unix milliseconds; shown only
	// Lapsed: the call was found with nobody in it (end only); any member
	// who may take part in the group's calls may write such an end.
	Lapsed bool `cbor:"7,keyasint,omitempty"`
}

func (b *CallBody) check() error {
	switch b.Action {
	case CallStart:
		if len(b.Target) > 0 || b.Duration != 0 || len(b.Joined) > 0 || b.Lapsed {
			return fmt.Errorf("a call's start names no target, duration or participants and has not lapsed")
		}
		return nil
	case CallEnd:
	default:
		return fmt.Errorf("unknown call action %d", b.Action)
	}
	if b.Video {
		return fmt.Errorf("a call's end says nothing of video")
	}
	if err := checkID("target", b.Target); err != nil {
		return err
	}
	if b.Duration < 0 || b.Duration > MaxCallDuration {
		return fmt.Errorf("a call lasts 0 to %d hours", MaxCallDuration/(3600*1000))
	}
	if len(b.Joined) > MaxCallParticipants {
		return fmt.Errorf("%d participants, at most %d", len(b.Joined), MaxCallParticipants)
	}
	seen := make(map[PublicKey]bool, len(b.Joined))
	for i, k := range b.Joined {
		if err := checkID(fmt.Sprintf("participant %d", i), k); err != nil {
			return err
		}
		if seen[keyOf(k)] {
			return fmt.Errorf("participant %x is named twice", k[:4])
		}
		seen[keyOf(k)] = true
	}
	return nil
}

// CallView is a call as its group's view shows it.
type CallView struct {
	ID     ID // the start op: the call's id
	Caller PublicKey
	Video  bool
	Time   int64 // the start's clock, unix milliseconds
	// Ended is set by the first standing end; EndedBy, Duration and
	// Joined come from it (Joined sorted).
	Ended    bool
	EndedBy  PublicKey
	Duration int64 // milliseconds
	Joined   []PublicKey
	// Lapsed: the end standing says the call was found with nobody in it.
	Lapsed bool `cbor:",omitempty"`
}

// callNeed is the rank call op o needs where it differs from a post's:
// ending another's call needs an admin, unless the end says the call
// lapsed.
func callNeed(o *Op, body any, targetOp *Op) (Role, bool) {
	if b, ok := body.(*CallBody); ok && b.Action == CallEnd && !b.Lapsed && targetOp != nil && targetOp.Author != o.Author {
		return RoleAdmin, true
	}
	return 0, false
}

// checkCallTarget checks that a call's end names a call's start.
func checkCallTarget(targetOp *Op, target any) error {
	if t, ok := target.(*CallBody); !ok || targetOp.Kind != KindCall || t.Action != CallStart {
		return invalid("a call's end must name a call's start, not a %s", targetOp.Kind)
	}
	return nil
}

// MayCall reports whether member k may start a call in group gid, and so
// take part in one there: what it needs to post in the group. It is also
// what k needs to record that a call of the group lapsed.
func (s *State) MayCall(k PublicKey, gid ID) bool {
	return s.Permits(k, Action{Kind: KindCall, Group: gid})
}

// MayEndCall reports whether member k may end, or remove participants
// from, a call that caller started in group gid: the caller while it may
// post there, or an admin of the group.
func (s *State) MayEndCall(k, caller PublicKey, gid ID) bool {
	return s.Permits(k, Action{Kind: KindCall, Group: gid, Others: k != caller})
}

// addCall folds the call op of entry e: a start adds the call, and its
// row to the posts.
func (f *Fold) addCall(e *Entry, b *CallBody) {
	o := e.Op
	if f.calls == nil {
		f.calls = map[ID]int{}
	}
	if b.Action == CallStart {
		c := &CallView{ID: o.ID(), Caller: o.Author, Video: b.Video, Time: b.Time}
		f.calls[o.ID()] = len(f.view.Calls)
		f.view.Calls = append(f.view.Calls, c)
		f.addPost(e, &Post{ID: c.ID, Author: o.Author, Kind: KindCall, Time: b.Time, Call: c})
		return
	}
	i, ok := f.calls[idOf(b.Target)]
	if !ok || f.view.Calls[i].Ended && (!f.view.Calls[i].Lapsed || b.Lapsed) {
		return
	}
	c := f.view.Calls[i]
	c.Ended, c.EndedBy, c.Duration, c.Lapsed = true, o.Author, b.Duration, b.Lapsed
	c.Joined = make([]PublicKey, 0, len(b.Joined))
	for _, k := range b.Joined {
		c.Joined = append(c.Joined, keyOf(k))
	}
	slices.SortFunc(c.Joined, comparePK)
}

// callsHash is what a group's calls add to the state's hash.
func callsHash(calls []*CallView) []byte {
	if len(calls) == 0 {
		return nil
	}
	b, err := Marshal(calls)
	if err != nil {
		panic(err) // plain structs always encode
	}
	return b
}
