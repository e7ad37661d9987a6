package crdt

import (
	"errors"
	"fmt"
	"slices"
)

// Strong removal (DESIGN rule 3).
//
// A control log is resolved by replaying its ops in the deterministic order
// of rule 4 and applying each one whose author's role in the replayed state
// permits it. Order alone would let a removed admin's ops count whenever
// they happen to sort before the removal, so a "loss" op (a removal, a
// demotion, an invite revocation) also strikes the target's ops that are
// concurrent with it — neither in its causal past nor descending from it —
// and need more than the target has left:
//
//   - when the loss is replayed, the target's already-applied concurrent ops
//     that needed the lost rank are struck and the replay starts again;
//   - when a concurrent op of the target comes after the loss in the order,
//     it is struck on the spot.
//
// Struck ops stay struck for the rest of the resolution, even if the loss
// that struck them falls later: an invalidated op never becomes valid again.
// Each restart strikes at least one more op, so a resolution ends after at
// most as many passes as there are ops. The result is a function of the set
// of ops alone, so every replica holding the same ops computes the same
// state.
//
// Mutual removal: a removal or demotion by B of A, concurrent with A's
// removal or demotion of B, is judged with the role B held before A's op,
// so both apply. Owners can never be removed or demoted, so a community is
// never frozen.
//
// What a struck op granted falls with it, transitively, because the next
// pass replays without it: a demoted admin's concurrent promotion of C is
// struck, so C's admin actions that descend from it no longer pass.
//
// Invites lose their force with their maker's rank (DESIGN rule 7). When
// the maker of an invite is removed, demoted below the rank the invite
// needs (Invite.Need), or leaves, the invite lapses for good
// (Invite.Lapsed): a join whose causal past holds that op is refused, and
// a join that is concurrent with it is struck like a join concurrent with
// a revocation — when the op is replayed, the joins through the maker's
// invites already applied and not in its past are struck and the replay
// starts again, and a join replayed after it finds the invite lapsed. What
// the fallen joiner did falls with the join: in the next pass it is not a
// member. Joins in the past of the maker's loss stand. A leave is not a
// loss otherwise: it strikes only joins through the leaver's invites.

// An admin's group.join to a group that admits by approval makes them a
// member at once; that needs the admin rank (State.check says so), so a
// demotion concurrent with it strikes it. A struck join is not lost,
// though: it is replayed as what it would have been from the rank the
// author was left with, a request to join, which an admin may then
// decide. A removal concurrent with it strikes it for good, as every op
// of a removed member. Whether the join sorts before or after the
// demotion, it ends as the same request, so replicas converge. What the
// author wrote in the group without the demotion in its past is hidden,
// marked as undone by the demotion (resolution.fellJoins).

// loss is a valid op that takes a privilege away.
type loss struct {
	op       *Op
	idx      int // bit index among the set's loss-kind ops
	target   PublicKey
	invite   ID   // for a revocation
	prevRole Role // the target's role before the op
	lostTo   Role // the role the op leaves the target with
	seen     map[ID][]ID
}

// undoneError is why an op was struck, naming the op that struck it.
type undoneError struct {
	by     *Op
	err    error
	lostTo Role // for a demotion, the role it left the author with
}

func (u *undoneError) Error() string { return u.err.Error() }
func (u *undoneError) Unwrap() error { return u.err }

func (l *loss) reason() error {
	switch {
	case !l.invite.IsZero():
		return &undoneError{l.op, fmt.Errorf("%w: invite %s was revoked concurrently (op %s)", ErrUnauthorized, l.invite.Short(), l.op.ID().Short()), RoleNone}
	case l.lostTo == RoleNone:
		return &undoneError{l.op, fmt.Errorf("%w: author was removed concurrently (op %s)", ErrUnauthorized, l.op.ID().Short()), RoleNone}
	}
	return &undoneError{l.op, fmt.Errorf("%w: author was made %s concurrently (op %s)", ErrUnauthorized, l.lostTo, l.op.ID().Short()), l.lostTo}
}

// bitset is a set of small integers; the zero value is empty. bitsets are
// shared between ops and never modified after construction.
type bitset []uint64

func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func isLossKind(k Kind) bool {
	return k == KindRemove || k == KindRole || k == KindInviteRevoke || k == KindGroupRemove
}

type applied struct {
	op   *Op
	body any
	need Role
}

// resolution is the outcome of replaying a set of control ops.
type resolution struct {
	state    *State
	lossIdx  map[ID]int
	lossPast map[ID]bitset         // loss-kind ops strictly in each op's past; no entry when none
	losses   map[PublicKey][]*loss // valid removals and demotions, by target
	revokes  map[ID][]*loss        // valid revocations, by invite
	admitted map[PublicKey]Role    // the highest role each key validly held at any point
	applied  map[PublicKey][]applied
	joins    map[ID][]*Op // applied joins, by invite
	// fellJoins: direct group joins a concurrent demotion turned into
	// requests, by author; what the author wrote in the group without
	// the demotion in its past is hidden (Community.verdict).
	fellJoins map[PublicKey][]fellJoin
	roleGen   uint64 // bumped when a rank that orders content may have changed
	// everApproval is set once any settings op asked for join approval.
	everApproval bool
	// contestedKeys holds, for each key a removal, role change or leave
	// in the replayed set names, valid or not, the lowest role one leaves
	// it with; contestedInvites the invites a revocation names. In some
	// pass these may have struck joins, so a join through such an invite
	// is never applied without a full resolution.
	contestedKeys    map[PublicKey]Role
	contestedInvites map[ID]bool
	// groupLosses: applied group removals, by target; fellAdds: group
	// adds struck by their author's loss, by the member added
	// (groupmembers.go). Both nil until one is noted.
	groupLosses map[PublicKey][]groupLoss
	fellAdds    map[PublicKey][]fellAdd
	// The replay itself, kept so that resolveAdded can extend it
	// (incremental.go): seq is the order of the last pass, rank the rank
	// each op was ordered with, pos each op's place in seq; checkpoints
	// copies of the resolution before some places; passes how many passes
	// the replay took, struck the ops they struck. exact is unset once an
	// op was applied out of its place (applyCommutingJoin). every is the
	// checkpoints' spacing, zero when nothing is kept, and keep whether
	// checkpoints are taken; from the place the last replay started from,
	// zero for a full one.
	every       int
	keep        bool
	from        int
	seq         []*Op
	rank        []Role
	pos         map[ID]int32
	checkpoints []checkpoint
	passes      int
	struck      map[ID]error
	exact       bool
}

// contested reports whether some op, valid or not, revokes inv or could
// make it lapse.
func (r *resolution) contested(inv *Invite) bool {
	role, ok := r.contestedKeys[inv.By]
	return r.contestedInvites[inv.ID] || ok && role < inv.Need()
}

// noteContested records what o, valid or not, could make lapse or revoke.
func (r *resolution) noteContested(o *Op, body any) {
	if k, role, _, ok := lapsing(o, body); ok {
		if prev, seen := r.contestedKeys[k]; !seen || role < prev {
			r.contestedKeys[k] = role
		}
	}
	if b, ok := body.(*InviteRevokeBody); ok {
		r.contestedInvites[idOf(b.Invite)] = true
	}
}

func newResolution() *resolution {
	return &resolution{
		state:     newState(),
		lossIdx:   map[ID]int{},
		lossPast:  map[ID]bitset{},
		losses:    map[PublicKey][]*loss{},
		revokes:   map[ID][]*loss{},
		admitted:  map[PublicKey]Role{},
		applied:   map[PublicKey][]applied{},
		joins:     map[ID][]*Op{},
		fellJoins: map[PublicKey][]fellJoin{},

		contestedKeys:    map[PublicKey]Role{},
		contestedInvites: map[ID]bool{},
		pos:              map[ID]int32{},
		exact:            true,
	}
}

// pastOf computes o's lossPast from its parents': the union of theirs and
// of the parents that are loss-kind ops. A single parent's set is shared.
func (r *resolution) pastOf(o *Op) bitset {
	var out bitset
	owned := false
	for _, p := range o.Parents {
		pp := r.lossPast[p]
		idx, isLoss := r.lossIdx[p]
		if !isLoss && len(pp) == 0 {
			continue
		}
		if !isLoss && out == nil {
			out = pp
			continue
		}
		if !owned {
			out = slices.Clone(out)
			owned = true
		}
		for i, w := range pp {
			if i >= len(out) {
				out = append(out, 0)
			}
			out[i] |= w
		}
		if isLoss {
			for idx/64 >= len(out) {
				out = append(out, 0)
			}
			out[idx/64] |= 1 << (idx % 64)
		}
	}
	return out
}

// notePast records o's lossPast, keeping no entry when it is empty (most
// ops of a big community have no loss in their past: checkpoints copy
// less).
func (r *resolution) notePast(o *Op) {
	if past := r.pastOf(o); past != nil {
		r.lossPast[o.ID()] = past
	} else {
		delete(r.lossPast, o.ID())
	}
}

// inPast reports whether loss l is in the causal past of control op id
// (or is that op).
func (r *resolution) inPast(l *loss, id ID) bool {
	return id == l.op.ID() || r.lossPast[id].has(l.idx)
}

// resolve replays a set of control ops closed under parents (genesis
// included). anc returns the ancestor set of a loss op. With every above
// zero, the resolution keeps its order, and with keep a checkpoint every
// that many places, so that resolveAdded can extend it.
func resolve(ops map[ID]*Op, bodies func(*Op) any, anc func(*Op) map[ID]bool, proofs map[ID]bool, every int, keep bool) *resolution {
	struck := map[ID]error{}
	for passes := 1; ; passes++ {
		r, again := resolvePass(ops, bodies, anc, struck, proofs, every, keep)
		if !again {
			r.passes, r.struck = passes, struck
			return r
		}
	}
}

func resolvePass(ops map[ID]*Op, bodies func(*Op) any, anc func(*Op) map[ID]bool, struck map[ID]error, proofs map[ID]bool, every int, keep bool) (*resolution, bool) {
	r := newResolution()
	r.state.proofs = proofs
	r.every, r.keep = every, keep
	p := &pass{r: r, ops: ops, bodies: bodies, anc: anc, struck: struck}
	list := make([]*Op, 0, len(ops))
	for _, o := range ops {
		list = append(list, o)
	}
	topoList(list, func(o *Op, _ bool) Role { return r.state.Role(o.Author) }, p.step)
	return r, p.restart
}

// pass is one replay of a control log (resolvePass, resolveAdded).
type pass struct {
	r       *resolution
	ops     map[ID]*Op
	bodies  func(*Op) any
	anc     func(*Op) map[ID]bool
	struck  map[ID]error
	restart bool // set when the replay must start again
}

func (p *pass) concurrent(l *loss, o *Op) bool {
	return !p.r.inPast(l, o.ID()) && !p.anc(l.op)[o.ID()]
}

// step replays o, ordered with rank, and reports whether to go on.
func (p *pass) step(o *Op, rank Role) bool {
	r, st, struck, ops, anc, concurrent := p.r, p.r.state, p.struck, p.ops, p.anc, p.concurrent
	r.record(o, rank, len(ops))
	body := p.bodies(o)
	id := o.ID()
	r.notePast(o)
	if isLossKind(o.Kind) {
		r.lossIdx[id] = len(r.lossIdx)
	}
	r.noteContested(o, body)
	if err, ok := struck[id]; ok {
		if r.joinAsRequest(o, body, err) {
			return true
		}
		st.Rejected[id] = err
		r.noteStruckAdd(o, body, err)
		var u *undoneError
		if o.Kind == KindJoin && errors.As(err, &u) && st.Role(o.Author) == RoleNone {
			st.undo(o, u.by)
		}
		return true
	}
	if o.Kind == KindGenesis {
		if err := st.genesis(o, body.(*GenesisBody)); err != nil {
			st.Rejected[id] = err
			return true
		}
		r.admitted[o.Author] = RoleOwner
		return true
	}
	role := st.Role(o.Author)
	for _, l := range r.losses[o.Author] {
		if isCounter(o, body, l) && concurrent(l, o) {
			role = max(role, l.prevRole)
		}
	}
	need, err := st.check(o, body, role)
	if err != nil {
		st.Rejected[id] = err
		st.noteUndone(o, body, func(id ID) *Op { return ops[id] })
		r.noteRefusedAdd(o, body, concurrent)
		return true
	}
	for _, l := range r.losses[o.Author] {
		if need > l.lostTo && !isCounter(o, body, l) && concurrent(l, o) {
			struck[id] = l.reason()
			st.Rejected[id] = struck[id]
			r.noteStruckAdd(o, body, struck[id])
			return true
		}
	}
	if jb, ok := body.(*JoinBody); ok {
		for _, l := range r.revokes[idOf(jb.Invite)] {
			if concurrent(l, o) {
				struck[id] = l.reason()
				st.Rejected[id] = struck[id]
				return true
			}
		}
	}
	l := lossOf(st, o, body)
	st.mutate(o, body)
	r.noteApplied(o, body, need)
	if b, ok := body.(*GroupJoinBody); ok && st.Groups[idOf(b.Group)].Requests[o.Author] != nil {
		// A join that sorts after a concurrent demotion is a request
		// here, though it let its author in where it was written.
		for _, d := range r.losses[o.Author] {
			if d.prevRole >= RoleAdmin && d.lostTo < RoleAdmin && concurrent(d, o) {
				r.fellJoins[o.Author] = append(r.fellJoins[o.Author], fellJoin{group: idOf(b.Group), loss: d.op.ID()})
				break
			}
		}
	}
	lapsedHit := false
	for _, j := range r.lapsedJoins(o, body, anc) {
		struck[j.op.ID()] = j.why
		lapsedHit = true
	}
	if l == nil {
		if lapsedHit {
			p.restart = true
			return false
		}
		return true
	}
	l.idx = r.lossIdx[id]
	var hit []*Op
	if !l.invite.IsZero() {
		r.revokes[l.invite] = append(r.revokes[l.invite], l)
		for _, j := range r.joins[l.invite] {
			if concurrent(l, j) {
				hit = append(hit, j)
			}
		}
	} else {
		r.losses[l.target] = append(r.losses[l.target], l)
		for _, a := range r.applied[l.target] {
			if a.need > l.lostTo && !isCounter(a.op, a.body, l) && concurrent(l, a.op) {
				hit = append(hit, a.op)
			}
		}
	}
	for _, h := range hit {
		struck[h.ID()] = l.reason()
	}
	if len(hit) > 0 || lapsedHit {
		p.restart = true
		return false
	}
	return true
}

// joinAsRequest replays a direct group.join that a concurrent demotion
// struck (err) as the request the author's remaining rank makes it, and
// reports whether it did; a join that would not pass even so stays
// struck.
func (r *resolution) joinAsRequest(o *Op, body any, err error) bool {
	b, ok := body.(*GroupJoinBody)
	var u *undoneError
	if !ok || !errors.As(err, &u) || u.lostTo < RoleMember {
		return false
	}
	st := r.state
	need, cerr := st.check(o, body, min(st.Role(o.Author), u.lostTo))
	if cerr != nil {
		return false
	}
	st.groupJoin(o, b, false)
	r.noteApplied(o, body, need)
	r.fellJoins[o.Author] = append(r.fellJoins[o.Author], fellJoin{group: idOf(b.Group), loss: u.by.ID()})
	return true
}

// fellJoin is a direct group join turned into a request by the demotion
// loss.
type fellJoin struct {
	group ID
	loss  ID
}

// lapsing says whose invites applied op o makes lapse, and the role it
// leaves them with: a removal's or demotion's target, or who leaves.
func lapsing(o *Op, body any) (k PublicKey, role Role, verb string, ok bool) {
	switch b := body.(type) {
	case *RemoveBody:
		return keyOf(b.Member), RoleNone, "was removed", true
	case *LeaveBody:
		return o.Author, RoleNone, "left", true
	case *RoleBody:
		return keyOf(b.Member), b.Role, "was made " + b.Role.String(), true
	}
	return PublicKey{}, 0, "", false
}

// struckJoin is a join to strike, and why.
type struckJoin struct {
	op  *Op
	why error
}

// lapsedJoins returns the applied joins that applied op o undoes: those
// through invites o makes lapse (their maker is removed, demoted below
// the invite's need, or leaves) that are not in o's causal past. A join
// replayed before o cannot have o in its past, so these are exactly the
// joins concurrent with o; joins replayed after o find the invite lapsed.
func (r *resolution) lapsedJoins(o *Op, body any, anc func(*Op) map[ID]bool) []struckJoin {
	k, role, verb, ok := lapsing(o, body)
	if !ok {
		return nil
	}
	var out []struckJoin
	for _, inv := range r.state.Invites {
		if inv.By != k || role >= inv.Need() {
			continue
		}
		for _, j := range r.joins[inv.ID] {
			if !anc(o)[j.ID()] {
				out = append(out, struckJoin{j, &undoneError{o, fmt.Errorf("%w: the admin who made invite %s %s concurrently (op %s)", ErrUnauthorized, inv.ID.Short(), verb, o.ID().Short()), RoleNone}})
			}
		}
	}
	return out
}

// isCounter reports whether o, by the target of loss l, removes or demotes
// l's author: the mutual case, where both apply.
func isCounter(o *Op, body any, l *loss) bool {
	if !l.invite.IsZero() || o.Author != l.target {
		return false
	}
	switch b := body.(type) {
	case *RemoveBody:
		return keyOf(b.Member) == l.op.Author
	case *RoleBody:
		return keyOf(b.Member) == l.op.Author
	}
	return false
}

// lossOf describes the privilege o takes away, before it is applied to st.
func lossOf(st *State, o *Op, body any) *loss {
	switch b := body.(type) {
	case *RemoveBody:
		k := keyOf(b.Member)
		return &loss{op: o, target: k, prevRole: st.Role(k), lostTo: RoleNone, seen: seenMap(b.Seen)}
	case *RoleBody:
		k := keyOf(b.Member)
		if prev := st.Role(k); b.Role < prev {
			return &loss{op: o, target: k, prevRole: prev, lostTo: b.Role, seen: seenMap(b.Seen)}
		}
	case *InviteRevokeBody:
		return &loss{op: o, invite: idOf(b.Invite)}
	}
	return nil
}

func seenMap(seen []SeenLog) map[ID][]ID {
	m := make(map[ID][]ID, len(seen))
	for _, s := range seen {
		heads := make([]ID, len(s.Heads))
		for i, h := range s.Heads {
			heads[i] = idOf(h)
		}
		m[idOf(s.Group)] = heads
	}
	return m
}

// noteApplied records an applied op for later strikes and for the content
// rules.
func (r *resolution) noteApplied(o *Op, body any, need Role) {
	r.applied[o.Author] = append(r.applied[o.Author], applied{op: o, body: body, need: need})
	r.noteGroupApplied(o, body)
	admit := func(k PublicKey, role Role) {
		if prev, ok := r.admitted[k]; ok {
			r.roleGen++ // a returning member: the rank of their old content changes
			role = max(prev, role)
		}
		r.admitted[k] = role
	}
	switch b := body.(type) {
	case *SettingsBody:
		r.everApproval = r.everApproval || b.JoinPolicy == JoinByApproval
	case *JoinBody:
		r.joins[idOf(b.Invite)] = append(r.joins[idOf(b.Invite)], o)
		if m := r.state.Members[o.Author]; m != nil && m.Since == o.ID() {
			admit(o.Author, m.Role)
		}
	case *DecideBody:
		if b.Approve {
			admit(keyOf(b.Member), RoleMember)
		}
	case *AddBody:
		admit(keyOf(b.Member), b.Role)
	case *RoleBody:
		k := keyOf(b.Member)
		r.admitted[k] = max(r.admitted[k], b.Role)
		r.roleGen++
	case *RemoveBody, *LeaveBody:
		r.roleGen++
	}
}

// SeenLogs returns what a remover has seen of each group's content log, for
// RemoveBody.Seen and RoleBody.Seen: the heads of every group timeline,
// sorted by group, within MaxSeenHeads.
func (c *Community) SeenLogs() []SeenLog {
	groups := make([]ID, 0, len(c.groups))
	for g := range c.groups {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, ID.Compare)
	var out []SeenLog
	n := 0
	for _, g := range groups {
		heads := c.groups[g].heads.ids
		if len(heads) > MaxParents {
			heads = heads[:MaxParents]
		}
		if n+len(heads) > MaxSeenHeads {
			break
		}
		s := SeenLog{Group: slices.Clone(g[:])}
		for _, h := range heads {
			s.Heads = append(s.Heads, slices.Clone(h[:]))
		}
		out = append(out, s)
		n += len(heads)
	}
	return out
}
