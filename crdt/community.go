package crdt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Community is the materialised state of one community: its control log and
// the content log of each group, holding only ops that were valid at receipt.
//
// Validity at receipt (DESIGN rule 1) is judged against the control state in
// the op's causal past: for a control op, the resolution of its ancestors;
// for a content op, the resolution of the control ops its deps name and
// their ancestors. Because that past is fixed by the op itself, every
// replica reaches the same verdict. The current state is the resolution of
// all accepted control ops (see resolve.go): replay in the order of rule 4,
// with strong removal. Content ops that a later-known removal invalidates
// stay in their timeline, marked hidden (Entry.Hidden).
//
// A Community is not safe for concurrent use; the replica serialises access.
type Community struct {
	id      ID
	control map[ID]*Op // accepted control ops
	bodies  map[ID]any // their decoded bodies
	heads   headSet    // control heads
	// mine holds the control heads of each author, sorted by id.
	mine    map[PublicKey][]ID
	res     *resolution
	gen     uint64            // bumped on every change of res
	rankGen uint64            // bumped when members' ranks, which order timelines, may have changed
	cache   map[string]*State // StateAt results by sorted heads; values are never mutated
	anc     map[ID]map[ID]bool
	proofs  map[ID]bool // join proof verdicts, by join op id
	groups  map[ID]*Timeline
	every   int // checkpoint spacing of the resolution (incremental.go)
	// frozen: res.state was handed out by Snapshot, so it is copied
	// (thaw) before it changes.
	frozen bool
}

const stateCacheSize = 256

// ErrHidden marks a content op that was valid when written but that a
// concurrent removal or demotion of its author, or the fall of the op that
// admitted its author, has since invalidated. It is shown as hidden.
var ErrHidden = errors.New("hidden by a removal")

// HiddenCause says why a content op is hidden.
type HiddenCause uint8

// Why content ops are hidden.
const (
	// HiddenAdmissionFell: the op that admitted the author fell.
	HiddenAdmissionFell HiddenCause = iota + 1
	// HiddenRankFell: the op that gave the author the rank the op needs
	// (Hidden.Role) fell.
	HiddenRankFell
	// HiddenRemoved: the author was removed concurrently (by op Hidden.By).
	HiddenRemoved
	// HiddenDemoted: the author was made Hidden.Role concurrently (by op
	// Hidden.By).
	HiddenDemoted
)

// Hidden is why a content op is hidden (Entry.Hidden, Post.Hidden): it
// wraps ErrHidden, and its fields say what its text says.
type Hidden struct {
	Cause HiddenCause
	// Role is the rank that fell (HiddenRankFell) or the one the author
	// was left with (HiddenDemoted).
	Role Role
	// By is the removal or demotion (HiddenRemoved, HiddenDemoted).
	By ID
}

// Reason says why in words: "the author was removed concurrently (op
// 1a2b3c4d)".
func (h *Hidden) Reason() string {
	switch h.Cause {
	case HiddenAdmissionFell:
		return "the op that admitted the author fell"
	case HiddenRankFell:
		return fmt.Sprintf("the op that made the author %s fell", h.Role)
	case HiddenRemoved:
		return fmt.Sprintf("the author was removed concurrently (op %s)", h.By.Short())
	}
	return fmt.Sprintf("the author was made %s concurrently (op %s)", h.Role, h.By.Short())
}

// Error implements error.
func (h *Hidden) Error() string { return ErrHidden.Error() + ": " + h.Reason() }

// Unwrap makes a Hidden an ErrHidden.
func (h *Hidden) Unwrap() error { return ErrHidden }

// NewCommunity starts a community from its genesis op; plain is its clear
// body when it is sealed (see Opened), nil otherwise.
func NewCommunity(genesis *Op, plain []byte) (*Community, error) {
	if genesis.Kind != KindGenesis {
		return nil, fmt.Errorf("%w: community must start with genesis, got %s", ErrInvalid, genesis.Kind)
	}
	body, err := DecodeOpened(genesis, plain)
	if err != nil {
		return nil, err
	}
	c := &Community{
		id:      genesis.ID(),
		control: map[ID]*Op{genesis.ID(): genesis},
		bodies:  map[ID]any{genesis.ID(): body},
		heads:   headSet{ids: []ID{genesis.ID()}},
		mine:    map[PublicKey][]ID{genesis.Author: {genesis.ID()}},
		cache:   map[string]*State{},
		anc:     map[ID]map[ID]bool{},
		proofs:  map[ID]bool{},
		groups:  map[ID]*Timeline{},
		gen:     1,
		every:   ResolveCheckpointEvery,
	}
	c.res = resolve(c.control, c.body, c.ancestors, c.proofs, c.every, false)
	return c, nil
}

// Load rebuilds a community from ops that were accepted before, as a node
// does when it starts: ops are not checked again (their signatures were
// verified and their validity at receipt judged when they were stored), and
// the control log is resolved once. ops must hold every accepted op of the
// community except genesis; their order does not matter. Sealed ops come
// with the clear bodies this node read from them. Ops that name the same
// deps are made to share one slice of them.
func Load(genesis Opened, ops []Opened) (*Community, error) {
	c, err := NewCommunity(genesis.Op, genesis.Plain)
	if err != nil {
		return nil, err
	}
	var content []*Op
	// Content ops of a log mostly name the same control heads: they share
	// one copy of them (same ids, so the ops say what they said), which
	// is 32 bytes or more per op a rebuilt node does not keep.
	deps := map[ID][]ID{}
	for _, x := range ops {
		o := x.Op
		if o.CommunityID() != c.id || o.Kind == KindGenesis {
			return nil, fmt.Errorf("%w: op %s does not belong to community %s", ErrInvalid, o.ID().Short(), c.id.Short())
		}
		body, err := DecodeOpened(o, x.Plain)
		if err != nil {
			return nil, fmt.Errorf("op %s: %w", o.ID().Short(), err)
		}
		if o.Kind.IsContent() {
			if len(o.Deps) > 0 {
				if d, ok := deps[o.Deps[0]]; ok && slices.Equal(d, o.Deps) {
					o.Deps = d
				} else {
					deps[o.Deps[0]] = o.Deps
				}
			}
			content = append(content, o)
			c.timeline(o.Log).put(o, body)
			continue
		}
		c.control[o.ID()] = o
		c.bodies[o.ID()] = body
	}
	for _, o := range content {
		t := c.groups[o.Log]
		ok := true
		for _, p := range o.Parents {
			ok = ok && t.ops.get(p) != nil
		}
		for _, d := range o.Deps {
			ok = ok && c.control[d] != nil
		}
		if target, has := contentTarget(t.ops.get(o.ID()).Body); has {
			ok = ok && t.ops.get(target) != nil
		}
		if !ok {
			return nil, fmt.Errorf("%w: op %s lacks some of its parents, deps or target", ErrMissingDeps, o.ID().Short())
		}
	}
	// A stored join passed every check when it arrived, its proof included;
	// the proof depends on nothing else, so it need not be verified again.
	for id, o := range c.control {
		if o.Kind == KindJoin {
			c.proofs[id] = true
		}
	}
	c.heads = headSet{ids: headsOf(c.control)}
	clear(c.mine)
	for _, h := range c.heads.ids {
		a := c.control[h].Author
		c.mine[a] = append(c.mine[a], h) // in id order
	}
	for _, t := range c.groups {
		t.heads = headSet{ids: headsOfTimeline(t)}
	}
	c.res = resolve(c.control, c.body, c.ancestors, c.proofs, c.every, false)
	c.gen++
	c.rankGen++
	return c, nil
}

// DropEncodings drops the encoding, body bytes and signature of every
// content op c holds (Op.Encoded turns false): c keeps their decoded
// bodies, which is what it reads, and a node serves their encodings from
// its store. Of a node's memory that is the largest part that nothing
// reads (about 350 bytes per message). Call it only on a community whose
// ops nothing else holds or reads, right after Load of ops just read from
// a store; ops added later keep theirs.
func (c *Community) DropEncodings() {
	for _, t := range c.groups {
		for e := range t.ops.all() {
			o := e.Op
			o.raw, o.Body, o.Sig = "", nil, nil
		}
	}
}

func headsOf(ops map[ID]*Op) []ID {
	parent := make(map[ID]bool, len(ops))
	for _, o := range ops {
		for _, p := range o.Parents {
			parent[p] = true
		}
	}
	var heads []ID
	for id := range ops {
		if !parent[id] {
			heads = append(heads, id)
		}
	}
	return SortIDs(heads)
}

func headsOfTimeline(t *Timeline) []ID {
	ops := make(map[ID]*Op, t.ops.len())
	for e := range t.ops.all() {
		ops[e.Op.ID()] = e.Op
	}
	return headsOf(ops)
}

func (c *Community) body(o *Op) any { return c.bodies[o.ID()] }

// ancestors returns the ancestor set of control op o (o excluded), cached:
// an op's past never changes.
func (c *Community) ancestors(o *Op) map[ID]bool {
	if a, ok := c.anc[o.ID()]; ok {
		return a
	}
	a := map[ID]bool{}
	stack := slices.Clone(o.Parents)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if a[id] {
			continue
		}
		a[id] = true
		if p := c.control[id]; p != nil {
			stack = append(stack, p.Parents...)
		}
	}
	c.anc[o.ID()] = a
	return a
}

// ID returns the community id.
func (c *Community) ID() ID { return c.id }

// InPastOf reports whether control op id is control op of or one of its
// ancestors, both accepted: what the author of of had seen when writing it.
func (c *Community) InPastOf(of, id ID) bool {
	o := c.control[of]
	if o == nil || c.control[id] == nil {
		return false
	}
	return id == of || c.ancestors(o)[id]
}

// LeftOut reports whether the rotation that made epoch e left member k
// out on purpose: when its last part was written, k's admission and a
// prekey of k's were in its author's view, so the secret could have been
// wrapped to k and was not — k was being removed. A member must not hand
// such an epoch to k: a peer that has the rotation but not yet the removal
// it made way for still counts k a member. A member admitted after the
// rotation, or without a prekey then, was not left out: it gets the epoch
// from any member.
func (c *Community) LeftOut(e *Epoch, k PublicKey) bool {
	if _, wrapped := e.Wraps[k]; wrapped {
		return false
	}
	m := c.res.state.Members[k]
	if m == nil {
		return false
	}
	if g := c.res.state.Groups[e.Log]; !e.Log.IsZero() && g != nil && !g.Everyone() {
		return c.leftOutOfGroup(e, k, g)
	}
	last, since := c.control[e.Last], c.control[m.Since]
	if last == nil || since == nil || since.Height >= last.Height {
		return false // admitted later, or at once (genesis)
	}
	// Walk the rotation's past down to the admission's height: k's
	// admission and k's prekeys are there, if anywhere.
	admitted, prekey := false, false
	seen := map[ID]bool{}
	stack := slices.Clone(last.Parents)
	for len(stack) > 0 && !(admitted && prekey) {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		o := c.control[id]
		if seen[id] || o == nil {
			continue
		}
		seen[id] = true
		if id == m.Since {
			admitted = true
			continue
		}
		if o.Height <= since.Height {
			continue
		}
		if o.Kind == KindPrekey && o.Author == k {
			prekey = true
		}
		stack = append(stack, o.Parents...)
	}
	return admitted && prekey
}

// State returns the current control state. Callers must not modify it,
// and it changes as ops are added: read it under the lock that serialises
// the community, or take a Snapshot.
func (c *Community) State() *State { return c.res.state }

// Snapshot returns the current control state as it stands now, read-only:
// it never changes, whatever is added later, so it may be read without
// the lock that serialises the community (by many readers at once). It
// costs nothing now; the next change of the community's state copies the
// state's maps, sharing its records (cow.go), once.
func (c *Community) Snapshot() *State {
	c.frozen = true
	s := *c.res.state
	// Nothing reads a snapshot's owner, and join proofs are judged by
	// the community only: the cache is written as proofs are judged.
	s.own, s.proofs = nil, nil
	return &s
}

// thaw makes res.state the community's own to change, copying it if a
// Snapshot shares it.
func (c *Community) thaw() {
	if c.frozen {
		c.res.state = c.res.state.Clone()
		c.frozen = false
	}
}

// ControlHeads returns the current control heads.
func (c *Community) ControlHeads() []ID { return slices.Clone(c.heads.ids) }

// ControlLen returns the number of accepted control ops, genesis included.
func (c *Community) ControlLen() int { return len(c.control) }

// Has reports whether op id was accepted in any of the community's logs.
func (c *Community) Has(id ID) bool { return c.Op(id) != nil }

// Holds reports whether o was accepted. An op's id fixes its log, so
// only that log is looked in: Has looks in every group's.
func (c *Community) Holds(o *Op) bool {
	if o.Kind.IsContent() {
		t := c.groups[o.Log]
		return t != nil && t.ops.get(o.ID()) != nil
	}
	_, ok := c.control[o.ID()]
	return ok
}

// Op returns the accepted op id from any of the community's logs, or nil.
func (c *Community) Op(id ID) *Op {
	if o, ok := c.control[id]; ok {
		return o
	}
	for _, t := range c.groups {
		if e := t.ops.get(id); e != nil {
			return e.Op
		}
	}
	return nil
}

// Missing returns the parents, deps and target of o that the community has
// not accepted yet. An op with missing ids waits in the pending buffer. The
// target of a sealed op is known only once it is opened: Check names it.
func (c *Community) Missing(o *Op) []ID {
	body, _ := DecodeBody(o)
	return c.missing(o, body)
}

// missing is Missing for o with its decoded body (nil if unreadable).
func (c *Community) missing(o *Op, body any) []ID {
	var out []ID
	if o.Kind.IsContent() {
		t := c.groups[o.Log]
		has := func(id ID) bool { return t != nil && t.ops.get(id) != nil }
		for _, p := range o.Parents {
			if !has(p) {
				out = append(out, p)
			}
		}
		for _, d := range o.Deps {
			if c.control[d] == nil {
				out = append(out, d)
			}
		}
		if target, ok := contentTarget(body); ok && !has(target) && !slices.Contains(out, target) {
			out = append(out, target)
		}
		return out
	}
	for _, p := range o.Parents {
		if c.control[p] == nil {
			out = append(out, p)
		}
	}
	return out
}

// Check judges o against the control state in its causal past without
// accepting it; plain is o's clear body when o is sealed (see Opened), nil
// otherwise. It fails with ErrMissingDeps when parents, deps or the target
// are unknown, with ErrSealed when o is sealed and plain is nil, and with
// ErrUnauthorized, ErrInvalid or ErrMalformed otherwise.
func (c *Community) Check(o *Op, plain []byte) error {
	_, err := c.check(o, plain)
	return err
}

// check is Check, returning o's decoded body when o passes.
func (c *Community) check(o *Op, plain []byte) (any, error) {
	if o.CommunityID() != c.id {
		return nil, fmt.Errorf("%w: op belongs to community %s, not %s", ErrInvalid, o.CommunityID().Short(), c.id.Short())
	}
	if o.Kind == KindGenesis {
		return nil, fmt.Errorf("%w: second genesis", ErrInvalid)
	}
	body, err := DecodeOpened(o, plain)
	if err != nil {
		return nil, err
	}
	return body, c.judge(o, body)
}

// judge checks o, whose body is decoded, against the control state in its
// causal past.
func (c *Community) judge(o *Op, body any) error {
	if m := c.missing(o, body); len(m) > 0 {
		return fmt.Errorf("%w: %d of its parents, deps or target", ErrMissingDeps, len(m))
	}
	if err := c.checkHeight(o); err != nil {
		return err
	}
	if o.Kind.IsContent() {
		st, err := c.StateAt(o.Deps)
		if err != nil {
			return err
		}
		var targetOp *Op
		var target any
		if tid, ok := contentTarget(body); ok {
			e := c.groups[o.Log].ops.get(tid)
			targetOp, target = e.Op, e.Body
		}
		_, err = st.CheckContent(o, body, targetOp, target)
		return err
	}
	st, err := c.StateAt(o.Parents)
	if err != nil {
		return err
	}
	_, err = st.check(o, body, st.Role(o.Author))
	return err
}

func (c *Community) checkHeight(o *Op) error {
	var max uint64
	for _, p := range o.Parents {
		var h uint64
		if o.Kind.IsContent() {
			h = c.groups[o.Log].ops.get(p).Op.Height
		} else {
			h = c.control[p].Height
		}
		max = maxU(max, h)
	}
	if o.Height != max+1 {
		return fmt.Errorf("%w: height %d, want %d (1 + highest parent)", ErrMalformed, o.Height, max+1)
	}
	return nil
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// Add checks o and accepts it; plain is as for Check. Adding an op that is
// already accepted is a no-op.
func (c *Community) Add(o *Op, plain []byte) error {
	if c.Holds(o) {
		return nil
	}
	body, err := c.check(o, plain)
	if err != nil {
		return err
	}
	if o.Kind.IsContent() {
		c.timeline(o.Log).add(c, o, body)
		return nil
	}
	id := o.ID()
	c.control[id] = o
	c.bodies[id] = body
	if slices.Equal(c.heads.ids, o.Parents) {
		before := c.res.roleGen
		c.applyLast(o, body)
		if c.res.roleGen != before {
			c.rankGen++
		}
	} else if !c.applyCommutingJoin(o, body) {
		c.res = resolveAdded(c.res, o, c.control, c.body, c.ancestors, c.proofs)
		c.frozen = false // a new state
		c.rankGen++
	}
	c.gen++
	for _, p := range o.Parents {
		if c.heads.has(p) {
			a := c.control[p].Author
			if c.mine[a] = deleteSorted(c.mine[a], p); len(c.mine[a]) == 0 {
				delete(c.mine, a)
			}
		}
	}
	c.mine[o.Author] = insertSorted(c.mine[o.Author], id)
	c.heads.advance(id, o.Height, o.Parents, func(p ID) uint64 { return c.control[p].Height })
	return nil
}

// applyLast applies a control op that descends from every accepted one: it
// comes last in the order and nothing is concurrent with it, so the
// resolution extends without a replay.
func (c *Community) applyLast(o *Op, body any) {
	c.thaw()
	r, st, id := c.res, c.res.state, o.ID()
	r.record(o, st.Role(o.Author), len(c.control))
	r.notePast(o)
	if isLossKind(o.Kind) {
		r.lossIdx[id] = len(r.lossIdx)
	}
	r.noteContested(o, body)
	need, err := st.check(o, body, st.Role(o.Author))
	if err != nil {
		st.Rejected[id] = err
		return
	}
	l := lossOf(st, o, body)
	st.mutate(o, body)
	r.noteApplied(o, body, need)
	if l == nil {
		return
	}
	l.idx = r.lossIdx[id]
	if !l.invite.IsZero() {
		r.revokes[l.invite] = append(r.revokes[l.invite], l)
	} else {
		r.losses[l.target] = append(r.losses[l.target], l)
	}
}

// applyCommutingJoin applies a join that is concurrent with other ops
// without a replay when its place in the order cannot matter: a newcomer
// (never a member, no request) redeeming an unlimited invite that nobody
// revoked, valid or not, made by someone whom no op, valid or not, removes,
// demotes or sees leave, in a community that admits by link and never
// required approval.
// Such a join commutes with every other op — nothing else names the
// newcomer or counts the invite's uses — so applying it last gives the state
// a full resolution would. A wave of joins, each written on the invite
// alone, then costs no replays.
func (c *Community) applyCommutingJoin(o *Op, body any) bool {
	b, ok := body.(*JoinBody)
	if !ok {
		return false
	}
	r, st := c.res, c.res.state
	inv := st.Invites[idOf(b.Invite)]
	_, known := r.admitted[o.Author]
	switch {
	case inv == nil || inv.Revoked || inv.Body.MaxUses != 0 || len(r.revokes[inv.ID]) > 0,
		r.contested(inv),
		known, st.Requests[o.Author] != nil, st.Deactivated,
		st.JoinPolicy != JoinByLink || r.everApproval:
		return false
	}
	need, err := st.check(o, body, RoleNone)
	if err != nil {
		return false // let the full resolution record why
	}
	c.thaw()
	st = c.res.state
	r.notePast(o)
	st.mutate(o, body)
	r.noteApplied(o, body, need)
	r.exact = false // not at its place in the order: resolveAdded cannot resume this one
	return true
}

func (c *Community) timeline(group ID) *Timeline {
	t := c.groups[group]
	if t == nil {
		t = newTimeline(group)
		c.groups[group] = t
	}
	return t
}

// StateAt returns the control state at the given control heads: the
// resolution of those ops and all their ancestors. The result must not be
// modified.
func (c *Community) StateAt(heads []ID) (*State, error) {
	heads = SortIDs(heads)
	if slices.Equal(heads, c.heads.ids) {
		return c.res.state, nil
	}
	key := idsKey(heads)
	if st, ok := c.cache[key]; ok {
		return st, nil
	}
	past := make(map[ID]*Op)
	stack := slices.Clone(heads)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, seen := past[id]; seen {
			continue
		}
		o, ok := c.control[id]
		if !ok {
			return nil, fmt.Errorf("%w: control op %s", ErrMissingDeps, id.Short())
		}
		past[id] = o
		stack = append(stack, o.Parents...)
	}
	st := resolve(past, c.body, c.ancestors, c.proofs, 0, false).state
	if len(c.cache) >= stateCacheSize {
		clear(c.cache)
	}
	c.cache[key] = st
	return st, nil
}

func idsKey(ids []ID) string {
	var b strings.Builder
	for _, id := range ids {
		b.Write(id[:])
	}
	return b.String()
}

// Timeline returns a group's content log, or nil if it holds no ops.
func (c *Community) Timeline(group ID) *Timeline { return c.groups[group] }

// EachOp calls fn for every op this community holds in log (ZeroID: the
// control log), in no particular order.
func (c *Community) EachOp(log ID, fn func(*Op)) {
	if log.IsZero() {
		for _, o := range c.control {
			fn(o)
		}
		return
	}
	if t := c.groups[log]; t != nil {
		for e := range t.ops.all() {
			fn(e.Op)
		}
	}
}

// Body returns the decoded body of accepted op id from any of the
// community's logs (a *MessageBody, *RoleBody, …), or nil. Sealed ops
// were opened when they were accepted: this is how to read them.
func (c *Community) Body(id ID) any {
	if b, ok := c.bodies[id]; ok {
		return b
	}
	for _, t := range c.groups {
		if e := t.ops.get(id); e != nil {
			return e.Body
		}
	}
	return nil
}

// ContentLogs lists the ids of the groups that hold content ops.
func (c *Community) ContentLogs() []ID {
	out := make([]ID, 0, len(c.groups))
	for g := range c.groups {
		out = append(out, g)
	}
	return SortIDs(out)
}

// IsInvalid reports whether err is a verdict about the op itself (so the op
// must be dropped and its sender may be penalised) rather than a missing
// dependency.
func IsInvalid(err error) bool {
	return err != nil && !errors.Is(err, ErrMissingDeps) && !errors.Is(err, ErrSealed)
}

// Draft returns an unsigned op by author for the given log (ZeroID for the
// control log) written on top of everything this community has accepted:
// parents are the log's heads, height follows them, and a content op's deps
// are the current control heads. Sign it with Sign.
//
// An op cites at most MaxParents parents and MaxDeps deps. When there are
// more heads (after many concurrent writers, such as a wave of joins each
// written on the invite alone), Draft first keeps heads that carry the ops
// the author's authority rests on (its admission, its role, its place in
// the group), then the highest; later ops merge the rest.
func (c *Community) Draft(author PublicKey, log ID, kind Kind, body []byte) Op {
	o := Op{Community: c.id, Log: log, Kind: kind, Body: body}
	anchors := c.anchors(author, log)
	ctrlHeight := func(id ID) uint64 { return c.control[id].Height }
	if kind.IsContent() {
		o.Deps = c.capHeads(&c.heads, MaxDeps, ctrlHeight, anchors)
		if t := c.groups[log]; t != nil {
			o.Parents = c.capHeads(&t.heads, MaxParents, func(id ID) uint64 { return t.ops.get(id).Op.Height }, nil)
			for _, p := range o.Parents {
				o.Height = max(o.Height, t.ops.get(p).Op.Height)
			}
		}
	} else {
		o.Parents = c.capHeads(&c.heads, MaxParents, ctrlHeight, anchors)
		for _, p := range o.Parents {
			o.Height = max(o.Height, c.control[p].Height)
		}
	}
	o.Height++
	return o
}

// anchors returns the control ops author's standing rests on: the op that
// admitted it, the one that gave its role, and the one that let it into
// group log.
func (c *Community) anchors(author PublicKey, log ID) []ID {
	st := c.State()
	m := st.Members[author]
	if m == nil {
		return nil
	}
	out := []ID{m.Since, m.RoleBy}
	if g := st.Groups[log]; g != nil {
		if id, ok := g.Members[author]; ok {
			out = append(out, id)
		} else if g.Progress() && st.reads(g, author) {
			out = append(out, g.ID) // its opening
		}
	}
	// The epochs the op is sealed under, and the author's own latest
	// control ops (a removal cites the rotation written just before it).
	for _, l := range []ID{ZeroID, log} {
		if e := st.Current[l]; e != nil {
			out = append(out, e.Last)
		}
	}
	out = append(out, c.mine[author]...) // its control heads, by id
	return slices.DeleteFunc(out, func(id ID) bool { return id.IsZero() || c.control[id] == nil })
}

// capHeads returns the heads of h, or when there are more than limit,
// limit of them: first, for each anchor, the highest head that has it in
// its past, then the highest of the rest (height desc, then id asc), by
// the heights height gives. Control heads only have anchors.
//
// It costs O(limit) plus, per anchor that is not itself a head, a walk of
// the heads above it: the heads are kept ranked as ops arrive (heads.go),
// sorted only the first time.
func (c *Community) capHeads(h *headSet, limit int, height func(ID) uint64, anchors []ID) []ID {
	if len(h.ids) <= limit {
		return slices.Clone(h.ids)
	}
	ranked := h.rank(height)
	var out []ID
	for _, a := range anchors {
		if slices.ContainsFunc(out, func(x ID) bool { return c.reaches(x, a) }) {
			continue
		}
		if h.has(a) {
			// Heads are concurrent: none but a itself has a in its past.
			out = append(out, a)
			continue
		}
		ha := c.control[a].Height
		for _, r := range ranked {
			if r.height <= ha {
				break // not a, and no higher than a: a is not in its past
			}
			if c.reaches(r.id, a) {
				out = append(out, r.id)
				break
			}
		}
	}
	for _, r := range ranked {
		if len(out) >= limit {
			break
		}
		if !slices.Contains(out, r.id) {
			out = append(out, r.id)
		}
	}
	return SortIDs(out[:min(len(out), limit)])
}

// reaches reports whether control op target is from or in the past of
// control op from, walking back no lower than target's height.
func (c *Community) reaches(from, target ID) bool {
	t := c.control[target]
	if t == nil {
		return false
	}
	seen := map[ID]bool{}
	stack := []ID{from}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == target {
			return true
		}
		o := c.control[id]
		if seen[id] || o == nil || o.Height <= t.Height {
			continue
		}
		seen[id] = true
		stack = append(stack, o.Parents...)
	}
	return false
}

// depsPast reports whether loss l is in the causal past of control heads deps.
func (c *Community) depsPast(l *loss, deps []ID) bool {
	for _, d := range deps {
		if c.res.inPast(l, d) {
			return true
		}
	}
	return false
}

// verdict decides whether content op e of timeline t still stands (nil) or
// is hidden, and why.
func (c *Community) verdict(t *Timeline, e *Entry) *Hidden {
	r := c.res
	a := e.Op.Author
	adm, ok := r.admitted[a]
	if !ok {
		return &Hidden{Cause: HiddenAdmissionFell}
	}
	var targetOp *Op
	if tid, ok := contentTarget(e.Body); ok {
		if te := t.ops.get(tid); te != nil {
			targetOp = te.Op
		}
	}
	need := contentNeed(e.Op, e.Body, t.group == c.id, targetOp)
	if need > adm {
		return &Hidden{Cause: HiddenRankFell, Role: need}
	}
	for _, f := range r.fellJoins[a] {
		if f.group != t.group {
			continue
		}
		for _, l := range r.losses[a] {
			if l.op.ID() == f.loss && !c.depsPast(l, e.Op.Deps) && !t.seenBy(l, e.Op.ID()) {
				// In the group only by a join the demotion undid.
				return &Hidden{Cause: HiddenDemoted, Role: l.lostTo, By: l.op.ID()}
			}
		}
	}
	if h := c.groupVerdict(t, e); h != nil {
		return h
	}
	for _, l := range r.losses[a] {
		if need <= l.lostTo || c.depsPast(l, e.Op.Deps) || t.seenBy(l, e.Op.ID()) {
			continue
		}
		if l.lostTo == RoleNone {
			return &Hidden{Cause: HiddenRemoved, By: l.op.ID()}
		}
		return &Hidden{Cause: HiddenDemoted, Role: l.lostTo, By: l.op.ID()}
	}
	return nil
}

// Entries returns group's timeline in display order, each entry marked
// hidden or not under the current control state. Callers must not modify
// it. It is nil for a group without content.
func (c *Community) Entries(group ID) []*Entry {
	t := c.groups[group]
	if t == nil {
		return nil
	}
	if t.order == nil || t.stale || t.orderGen != c.rankGen {
		st := c.res.state
		t.sort(func(o *Op) Role { return st.Role(o.Author) })
		t.orderGen = c.rankGen
	}
	if t.verdictGen != c.gen {
		changed := false
		for _, e := range t.order {
			// A verdict that did not change keeps its mark: most control
			// ops change none.
			if h := c.verdict(t, e); (h == nil) != (e.Hidden == nil) || h != nil && *h != *e.Hidden {
				e.Hidden, changed = h, true
			}
		}
		if changed {
			t.rewrite++
		}
		t.verdictGen = c.gen
	}
	return t.order
}

// EntriesGen returns a number that stays the same from one call of
// Entries(group) to the next only if the later result extends the earlier
// one: the same entries first, in the same order, each with the same
// Hidden mark. Call it after Entries: a view extended by the entries
// appended since (crdt.Fold, an unread count) then needs no pass over the
// ones it holds. Numbers compare only for the same group of the same
// Community.
func (c *Community) EntriesGen(group ID) uint64 {
	if t := c.groups[group]; t != nil {
		return t.rewrite
	}
	return 0
}
