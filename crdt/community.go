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
// the op's causal past: for a control op, the replay of its ancestors; for a
// content op, the replay of the control ops its deps name and their
// ancestors. Because that past is fixed by the op itself, every replica
// reaches the same verdict. The current state is the replay of all accepted
// control ops in the deterministic order of rule 4.
//
// A Community is not safe for concurrent use; the replica serialises access.
type Community struct {
	id      ID
	control map[ID]*Op // accepted control ops
	heads   []ID       // control heads, sorted
	current *State
	cache   map[string]*State // StateAt results by sorted heads; values are never mutated
	groups  map[ID]*Timeline
}

const stateCacheSize = 256

// NewCommunity starts a community from its genesis op.
func NewCommunity(genesis *Op) (*Community, error) {
	if genesis.Kind != KindGenesis {
		return nil, fmt.Errorf("%w: community must start with genesis, got %s", ErrInvalid, genesis.Kind)
	}
	st := newState()
	if err := st.Apply(genesis); err != nil {
		return nil, err
	}
	return &Community{
		id:      genesis.ID(),
		control: map[ID]*Op{genesis.ID(): genesis},
		heads:   []ID{genesis.ID()},
		current: st,
		cache:   map[string]*State{},
		groups:  map[ID]*Timeline{},
	}, nil
}

// ID returns the community id.
func (c *Community) ID() ID { return c.id }

// State returns the current control state. Callers must not modify it.
func (c *Community) State() *State { return c.current }

// ControlHeads returns the current control heads.
func (c *Community) ControlHeads() []ID { return slices.Clone(c.heads) }

// Has reports whether op id was accepted in any of the community's logs.
func (c *Community) Has(id ID) bool {
	if _, ok := c.control[id]; ok {
		return true
	}
	for _, t := range c.groups {
		if _, ok := t.ops[id]; ok {
			return true
		}
	}
	return false
}

// Missing returns the parents and deps of o that the community has not
// accepted yet. An op with missing ids waits in the pending buffer.
func (c *Community) Missing(o *Op) []ID {
	var out []ID
	if o.Kind.IsContent() {
		t := c.groups[o.Log]
		for _, p := range o.Parents {
			if t == nil || t.ops[p] == nil {
				out = append(out, p)
			}
		}
		for _, d := range o.Deps {
			if c.control[d] == nil {
				out = append(out, d)
			}
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
// accepting it. It fails with ErrMissingDeps when parents or deps are
// unknown, and with ErrUnauthorized, ErrInvalid or ErrMalformed otherwise.
func (c *Community) Check(o *Op) error {
	if o.CommunityID() != c.id {
		return fmt.Errorf("%w: op belongs to community %s, not %s", ErrInvalid, o.CommunityID().Short(), c.id.Short())
	}
	if o.Kind == KindGenesis {
		return fmt.Errorf("%w: second genesis", ErrInvalid)
	}
	if m := c.Missing(o); len(m) > 0 {
		return fmt.Errorf("%w: %d of its parents/deps", ErrMissingDeps, len(m))
	}
	if err := c.checkHeight(o); err != nil {
		return err
	}
	if o.Kind.IsContent() {
		st, err := c.StateAt(o.Deps)
		if err != nil {
			return err
		}
		return st.CheckContent(o)
	}
	st, err := c.StateAt(o.Parents)
	if err != nil {
		return err
	}
	return st.Clone().Apply(o)
}

func (c *Community) checkHeight(o *Op) error {
	var max uint64
	for _, p := range o.Parents {
		var h uint64
		if o.Kind.IsContent() {
			h = c.groups[o.Log].ops[p].op.Height
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

// Add checks o and accepts it. Adding an op that is already accepted is a
// no-op.
func (c *Community) Add(o *Op) error {
	if c.Has(o.ID()) {
		return nil
	}
	if err := c.Check(o); err != nil {
		return err
	}
	if o.Kind.IsContent() {
		st, _ := c.StateAt(o.Deps) // cannot fail: Check just computed it
		t := c.groups[o.Log]
		if t == nil {
			t = newTimeline(o.Log)
			c.groups[o.Log] = t
		}
		body, _ := DecodeBody(o)
		t.add(o, body, st.Role(o.Author))
		return nil
	}
	c.control[o.ID()] = o
	if slices.Equal(c.heads, o.Parents) {
		// o descends from every accepted op, so it comes last in the order.
		if err := c.current.Apply(o); err != nil {
			c.current.Rejected[o.ID()] = err
		}
	} else {
		c.current = c.replay(c.control)
	}
	c.heads = slices.DeleteFunc(c.heads, func(h ID) bool { return slices.Contains(o.Parents, h) })
	c.heads = SortIDs(append(c.heads, o.ID()))
	return nil
}

// replay computes the state of a set of control ops closed under parents.
func (c *Community) replay(ops map[ID]*Op) *State {
	st := newState()
	topoOrder(ops, func(o *Op) Role { return st.Role(o.Author) }, func(o *Op) {
		if err := st.Apply(o); err != nil {
			st.Rejected[o.ID()] = err
		}
	})
	return st
}

// StateAt returns the control state at the given control heads: the replay
// of those ops and all their ancestors. The result must not be modified.
func (c *Community) StateAt(heads []ID) (*State, error) {
	heads = SortIDs(heads)
	if slices.Equal(heads, c.heads) {
		return c.current, nil
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
	st := c.replay(past)
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

// Timeline returns a group's content log view, or nil if it holds no ops.
func (c *Community) Timeline(group ID) *Timeline { return c.groups[group] }

// IsInvalid reports whether err is a verdict about the op itself (so the op
// must be dropped and its sender may be penalised) rather than a missing
// dependency.
func IsInvalid(err error) bool {
	return err != nil && !errors.Is(err, ErrMissingDeps)
}

// Draft returns an unsigned op for the given log (ZeroID for the control log)
// written on top of everything this community has accepted: parents are the
// log's heads, height follows them, and a content op's deps are the current
// control heads. Sign it with Sign.
func (c *Community) Draft(log ID, kind Kind, body []byte) Op {
	o := Op{Community: c.id, Log: log, Kind: kind, Body: body}
	if kind.IsContent() {
		o.Deps = c.ControlHeads()
		if t := c.groups[log]; t != nil {
			o.Parents = t.Heads()
			for _, p := range o.Parents {
				o.Height = max(o.Height, t.ops[p].op.Height)
			}
		}
	} else {
		o.Parents = c.ControlHeads()
		for _, p := range o.Parents {
			o.Height = max(o.Height, c.control[p].Height)
		}
	}
	o.Height++
	return o
}
