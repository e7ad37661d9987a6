package node

// TestChaos: a seeded chaos scenario on the simulated network. A plan of
// random steps, drawn from the seed before anything runs, has members post,
// react, open polls and vote, newcomers join by invite link (sometimes while
// one side of the join is killed), admins promote, demote and remove, while
// the harness splits and heals the network, kills nodes (kill -9: the disk
// takes no more writes, nothing is said to anyone) and restarts them on the
// same disk, and a malicious member floods gossip with validly signed ops
// that cite parents nobody has, sends garbage frames on the stream
// protocols, and a stranger holds idle reconcile streams. Then everything
// heals and restarts, every member posts once more, and the harness checks:
//
//   - every live member holds the community with the same state hash;
//   - every acknowledged op (written by an API call that returned no error)
//     is held by every live member that may read its log;
//   - no node outside the community can open an op written after its
//     removal, nor any of the last posts;
//   - a removed node that is up knows it was removed;
//   - every node that joined and was not removed can (re)join with a fresh
//     link, and every node can still join a new community, even through a
//     member a stranger keeps busy and after the malicious member flooded.
//
// The seed fixes the plan; the nodes' goroutines interleave as Go schedules
// them, so a seed replays the same scenario and almost always the same
// outcome. A failure prints the seed, the command that replays it and the
// steps with what each did. Flags (after the package on the go test line):
//
//	-chaos.seed=N    run seed N only
//	-chaos.seeds=K   run seeds 1..K
//	-chaos.nodes=N   nodes, the founder and the newcomers included
//	-chaos.steps=S   steps of the plan; a shorter plan is a prefix of a longer one
//	-chaos.off=a,b   leave these step kinds out of the plan (e.g. flood,kill)
//
// make test runs a few seeds with -short; make chaos runs many, larger.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"

	datastore "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/sync/gossip"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

var (
	chaosSeed  = flag.Uint64("chaos.seed", 0, "TestChaos: run this seed only")
	chaosSeeds = flag.Int("chaos.seeds", 0, "TestChaos: run seeds 1..n (default 3 with -short, 5 without)")
	chaosNodes = flag.Int("chaos.nodes", 0, "TestChaos: nodes, founder and newcomers included (default 8 with -short, 12 without)")
	chaosSteps = flag.Int("chaos.steps", 0, "TestChaos: steps of the plan (default 60 with -short, 150 without)")
	chaosOff   = flag.String("chaos.off", "", "TestChaos: comma-separated step kinds left out of the plan, e.g. flood,kill")
)

// Step kinds, in the order the summary lists them.
var chaosKinds = []string{"post", "react", "poll", "vote", "join", "promote", "demote", "remove",
	"split", "heal", "kill", "restart", "flood", "garbage", "stall", "wait"}

// chaosConfig is one run's size.
type chaosConfig struct {
	nodes   int             // all nodes: the founder, the first members and the newcomers
	initial int             // nodes that are members before the first step
	steps   int             // steps of the plan
	off     map[string]bool // step kinds left out
	settle  time.Duration   // virtual time the last phase may take to converge
}

func chaosDefaults() chaosConfig {
	c := chaosConfig{nodes: 12, steps: 150, settle: 10 * time.Minute}
	if testing.Short() {
		c = chaosConfig{nodes: 8, steps: 60, settle: 5 * time.Minute}
	}
	if *chaosNodes > 0 {
		c.nodes = max(*chaosNodes, 5)
	}
	if *chaosSteps > 0 {
		c.steps = *chaosSteps
	}
	c.initial = c.nodes - max(2, c.nodes/4)
	c.off = map[string]bool{}
	for k := range strings.SplitSeq(*chaosOff, ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.off[k] = true
		}
	}
	return c
}

func TestChaos(t *testing.T) {
	cfg := chaosDefaults()
	for k := range cfg.off {
		if !slices.Contains(chaosKinds, k) {
			t.Fatalf("-chaos.off: unknown step kind %q (kinds: %s)", k, strings.Join(chaosKinds, ", "))
		}
	}
	var seeds []uint64
	switch {
	case *chaosSeed != 0:
		seeds = []uint64{*chaosSeed}
	default:
		n := 5
		if testing.Short() {
			n = 3
		}
		if *chaosSeeds > 0 {
			n = *chaosSeeds
		}
		for s := range n {
			seeds = append(seeds, uint64(s+1))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { runChaos(t, seed, cfg) })
		})
	}
}

// Roles in the plan's model of the community.
const (
	planAbsent = iota
	planMember
	planAdmin
	planOwner
	planRemoved = -1
)

// The cast: the founder, a malicious member, an admin from the start.
const (
	founder  = 0
	mallory  = 1
	firstAdm = 2
)

var chaosNames = []string{"Olivia", "Mallory", "Dana", "Ben", "Chloe", "Wendy", "Zoe", "Maria",
	"Sam", "Lea", "Tom", "Ivy", "Noah", "Ava", "Eli", "Mia", "Leo", "Uma", "Kai", "Nia"}

func chaosName(i int) string {
	if i < len(chaosNames) {
		return chaosNames[i]
	}
	return fmt.Sprintf("Member %d", i)
}

// chaosStep is one step of the plan. Which fields matter depends on kind.
type chaosStep struct {
	num      int // the step's number in the full plan
	kind     string
	actor    int           // the node acting
	target   int           // the node acted on; for react and vote, the step that wrote the post or poll
	joiner   int           // join: the newcomer
	kill     int           // join: the node killed while the join runs, or -1
	n        int           // flood: ops; split: parts; vote: option; react: emoji
	sides    []int         // split: the part of each node
	announce bool          // post: to the announcement group
	d        time.Duration // wait, stall: how long; join: when the kill comes
	pause    time.Duration // virtual time after the step
	seed     uint64        // randomness the step itself draws (junk ops, garbage)
}

var emojis = []string{"👍", "❤️", "🎉", "🔥"}

func (s chaosStep) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s ", s.kind)
	switch s.kind {
	case "post":
		fmt.Fprintf(&b, "%s", chaosName(s.actor))
		if s.announce {
			b.WriteString(" (announcement)")
		}
	case "react":
		fmt.Fprintf(&b, "%s %s on step %d", chaosName(s.actor), emojis[s.n%len(emojis)], s.target)
	case "poll":
		fmt.Fprintf(&b, "%s", chaosName(s.actor))
	case "vote":
		fmt.Fprintf(&b, "%s option %d of step %d", chaosName(s.actor), s.n+1, s.target)
	case "join":
		fmt.Fprintf(&b, "%s by %s's link", chaosName(s.joiner), chaosName(s.actor))
		if s.kill >= 0 {
			fmt.Fprintf(&b, ", %s killed after %v", chaosName(s.kill), s.d)
		}
	case "promote", "demote", "remove":
		fmt.Fprintf(&b, "%s → %s", chaosName(s.actor), chaosName(s.target))
	case "split":
		parts := make([][]string, s.n)
		for i, p := range s.sides {
			parts[p] = append(parts[p], chaosName(i))
		}
		for i, p := range parts {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(strings.Join(p, " "))
		}
	case "kill", "restart":
		b.WriteString(chaosName(s.actor))
	case "flood":
		fmt.Fprintf(&b, "%s, %d junk ops", chaosName(s.actor), s.n)
	case "garbage":
		fmt.Fprintf(&b, "%s → %s", chaosName(s.actor), chaosName(s.target))
	case "stall":
		fmt.Fprintf(&b, "stranger → %s for %v", chaosName(s.target), s.d)
	case "wait":
		fmt.Fprintf(&b, "%v", s.d)
	}
	return b.String()
}

// planModel is what the plan assumes of the community: every step it
// plans succeeds. Whether a node is up is exact (kills and restarts always
// happen); roles may differ from what the nodes end up agreeing.
type planModel struct {
	role       []int
	up         []bool
	posts      []int // steps that post to General
	polls      []int // steps that open a poll in General
	split      bool
	nextJoiner int
	removed    int
}

func (m *planModel) pick(rng *mrand.Rand, ok func(i int) bool) int {
	var c []int
	for i := range m.role {
		if ok(i) {
			c = append(c, i)
		}
	}
	if len(c) == 0 {
		return -1
	}
	return c[rng.IntN(len(c))]
}

func (m *planModel) member(i int) bool { return m.up[i] && m.role[i] >= planMember }
func (m *planModel) admin(i int) bool  { return m.up[i] && m.role[i] >= planAdmin }

func (m *planModel) upCount() int {
	k := 0
	for _, u := range m.up {
		if u {
			k++
		}
	}
	return k
}

// planChaos draws the steps of a run from seed. Each step depends only on
// the seed and the steps before it, so a shorter plan is a prefix of a
// longer one. Steps are numbered in the full plan, switched-off kinds
// included, so their numbers stay when kinds are switched off.
func planChaos(seed uint64, cfg chaosConfig) []chaosStep {
	rng := mrand.New(mrand.NewPCG(seed, 0x756d6272656c6c61))
	m := &planModel{role: make([]int, cfg.nodes), up: make([]bool, cfg.nodes), nextJoiner: cfg.initial}
	for i := range cfg.nodes {
		m.up[i] = true
		if i < cfg.initial {
			m.role[i] = planMember
		}
	}
	m.role[founder], m.role[firstAdm] = planOwner, planAdmin
	weights := map[string]int{"post": 20, "react": 8, "poll": 3, "vote": 8, "join": 5, "promote": 3, "demote": 2, "remove": 3,
		"split": 4, "heal": 5, "kill": 4, "restart": 6, "flood": 3, "garbage": 2, "stall": 2, "wait": 4}
	var steps []chaosStep
	for len(steps) < cfg.steps {
		i := len(steps)
		total := 0
		for _, k := range chaosKinds {
			total += weights[k]
		}
		r := rng.IntN(total)
		kind := "wait"
		for _, k := range chaosKinds {
			if r -= weights[k]; r < 0 {
				kind = k
				break
			}
		}
		s := chaosStep{num: i, kind: kind, kill: -1, seed: rng.Uint64(), pause: time.Duration(rng.IntN(3000)) * time.Millisecond}
		ok := true
		switch kind {
		case "post":
			s.actor = m.pick(rng, m.member)
			s.announce = s.actor >= 0 && m.role[s.actor] >= planAdmin && rng.IntN(4) == 0
			if s.actor >= 0 && !s.announce {
				m.posts = append(m.posts, i)
			}
			ok = s.actor >= 0
		case "poll":
			s.actor = m.pick(rng, m.member)
			if ok = s.actor >= 0; ok {
				m.posts = append(m.posts, i)
				m.polls = append(m.polls, i)
			}
		case "react":
			s.actor, s.n = m.pick(rng, m.member), rng.IntN(len(emojis))
			if ok = s.actor >= 0 && len(m.posts) > 0; ok {
				s.target = m.posts[rng.IntN(len(m.posts))]
			}
		case "vote":
			s.actor, s.n = m.pick(rng, m.member), rng.IntN(3)
			if ok = s.actor >= 0 && len(m.polls) > 0; ok {
				s.target = m.polls[rng.IntN(len(m.polls))]
			}
		case "join":
			s.joiner, s.actor = m.nextJoiner, m.pick(rng, m.admin)
			if ok = s.joiner < cfg.nodes && m.up[s.joiner] && s.actor >= 0; ok {
				m.nextJoiner++
				m.role[s.joiner] = planMember
				if rng.IntN(4) == 0 { // kill -9 of one side while the join runs
					s.kill = []int{s.actor, s.joiner}[rng.IntN(2)]
					s.d = time.Duration(rng.IntN(400)) * time.Millisecond
					m.up[s.kill] = false
				}
			}
		case "promote":
			s.actor = m.pick(rng, m.admin)
			s.target = m.pick(rng, func(j int) bool { return m.role[j] == planMember && j != mallory })
			if ok = s.actor >= 0 && s.target >= 0; ok {
				m.role[s.target] = planAdmin
			}
		case "demote":
			s.actor = founder
			s.target = m.pick(rng, func(j int) bool { return m.role[j] == planAdmin })
			if ok = m.up[founder] && s.target >= 0; ok {
				m.role[s.target] = planMember
			}
		case "remove":
			s.actor = m.pick(rng, m.admin)
			if ok = s.actor >= 0 && m.removed < cfg.nodes/3; ok {
				s.target = m.pick(rng, func(j int) bool { return m.role[j] >= planMember && m.role[j] < m.role[s.actor] })
				if ok = s.target >= 0; ok {
					m.role[s.target] = planRemoved
					m.removed++
				}
			}
		case "split":
			if ok = !m.split; ok {
				s.n = 2 + rng.IntN(2)
				s.sides = make([]int, cfg.nodes)
				for j := range s.sides {
					s.sides[j] = rng.IntN(s.n)
				}
				m.split = true
			}
		case "heal":
			ok = m.split
			m.split = false
		case "kill":
			s.actor = m.pick(rng, func(j int) bool { return m.up[j] })
			if ok = s.actor >= 0 && m.upCount() > cfg.nodes/2; ok {
				m.up[s.actor] = false
			}
		case "restart":
			s.actor = m.pick(rng, func(j int) bool { return !m.up[j] })
			if ok = s.actor >= 0; ok {
				m.up[s.actor] = true
			}
		case "flood":
			s.actor, s.n = mallory, 50+rng.IntN(150)
			ok = m.member(mallory)
		case "garbage":
			s.actor = mallory
			s.target = m.pick(rng, func(j int) bool { return j != mallory && m.member(j) })
			ok = m.member(mallory) && s.target >= 0
		case "stall":
			s.target = m.pick(rng, m.member)
			s.d = time.Duration(10+rng.IntN(60)) * time.Second
			ok = s.target >= 0
		case "wait":
			s.d = time.Duration(1+rng.IntN(20)) * time.Second
		}
		if !ok {
			continue // drawn again; the rng moved on, so this stays a function of the seed
		}
		steps = append(steps, s)
	}
	// Kinds switched off are taken out of the whole plan, so the steps
	// left are those of the full plan: a failure can be narrowed down by
	// switching kinds off one at a time.
	out := steps[:0]
	for _, s := range steps {
		if s.kind == "join" && cfg.off["kill"] {
			s.kill = -1
		}
		if !cfg.off[s.kind] {
			out = append(out, s)
		}
	}
	return out
}

// crashStore is a node's disk: after crash, it takes no more writes, as a
// process killed with -9 writes nothing more. Closing it keeps the data,
// for the restart.
type crashStore struct {
	store.OpStore
	down atomic.Bool
}

var errCrashed = errors.New("chaos: the node was killed; its disk takes no more writes")

func (c *crashStore) Put(ctx context.Context, op crdt.Opened) error {
	if c.down.Load() {
		return errCrashed
	}
	return c.OpStore.Put(ctx, op)
}

func (c *crashStore) PutBatch(ctx context.Context, ops []crdt.Opened) error {
	if c.down.Load() {
		return errCrashed
	}
	return c.OpStore.PutBatch(ctx, ops)
}

func (c *crashStore) AddPending(ctx context.Context, op *crdt.Op, missing []crdt.ID, at time.Time) error {
	if c.down.Load() {
		return errCrashed
	}
	return c.OpStore.AddPending(ctx, op, missing, at)
}

func (c *crashStore) ExpirePending(ctx context.Context, now time.Time) (int, error) {
	if c.down.Load() {
		return 0, errCrashed
	}
	return c.OpStore.ExpirePending(ctx, now)
}

func (c *crashStore) TakeReady(ctx context.Context, id crdt.ID) ([]*crdt.Op, error) {
	if c.down.Load() {
		return nil, errCrashed
	}
	return c.OpStore.TakeReady(ctx, id)
}

func (c *crashStore) PutMeta(ctx context.Context, key string, value []byte) error {
	if c.down.Load() {
		return errCrashed
	}
	return c.OpStore.PutMeta(ctx, key, value)
}

func (c *crashStore) Sync(ctx context.Context) error {
	if c.down.Load() {
		return errCrashed
	}
	return c.OpStore.Sync(ctx)
}

func (c *crashStore) Close() error { return nil }

// chaosPending bounds each node's pending buffer: small, so that a flood
// of a few hundred junk ops passes its author's share and its community's,
// as thousands pass the defaults.
var chaosPending = store.Limits{
	PendingOps: 400, PendingBytes: 4 << 20,
	CommunityOps: 200, CommunityBytes: 2 << 20,
	AuthorOps: 40, AuthorBytes: 1 << 20,
	PendingAge: 6 * time.Hour,
}

// chaosNode is one member's machine: its home and disk outlive the node
// process, which kills end and restarts begin.
type chaosNode struct {
	idx  int
	name string
	home string
	disk datastore.Batching
	cs   *crashStore
	tn   *testNode // nil while down
	key  crdt.PublicKey
	pid  peer.ID
}

// ackedOp is an op an API call wrote and acknowledged.
type ackedOp struct {
	id     crdt.ID
	log    crdt.ID
	kind   crdt.Kind
	author int
	step   int
}

type chaosRun struct {
	t        *testing.T
	seed     uint64
	cfg      chaosConfig
	sn       *simNet
	nodes    []*chaosNode
	stranger host.Host
	cid, gid crdt.ID

	sideMu sync.Mutex
	side   map[peer.ID]int // guarded by sideMu

	written map[int]crdt.ID // step → the post or poll it wrote
	acked   []ackedOp
	tried   map[int]bool // newcomers whose join was tried
	log     []string
	count   map[string]int
	bg      sync.WaitGroup // stalls
	bgCtx   context.Context
	bgStop  context.CancelFunc
}

func (h *chaosRun) note(format string, args ...any) {
	h.log = append(h.log, fmt.Sprintf(format, args...))
}

// start starts node i's process on its disk.
func (h *chaosRun) start(i int) {
	c := h.nodes[i]
	ds, err := store.New(c.disk, chaosPending)
	if err != nil {
		h.t.Fatalf("%s: open disk: %v", c.name, err)
	}
	c.cs = &crashStore{OpStore: ds}
	c.tn = h.sn.start(c.home, c.name, c.cs)
	c.pid = c.tn.host.ID()
	c.key = c.tn.selfKey()
}

// kill ends node i's process as kill -9 does: its disk takes no more
// writes from that instant, then its goroutines and connections end.
func (h *chaosRun) kill(i int) {
	c := h.nodes[i]
	if c.tn == nil {
		return
	}
	c.cs.down.Store(true)
	c.tn.Close() // errors expected: the disk refuses the last writes
	c.tn = nil
}

func (h *chaosRun) up() []*chaosNode {
	var out []*chaosNode
	for _, c := range h.nodes {
		if c.tn != nil {
			out = append(out, c)
		}
	}
	return out
}

// ownOps lists the ops node n wrote that it holds, with their logs.
func ownOps(n *Node, cid crdt.ID) map[crdt.ID]*crdt.Op {
	out := map[crdt.ID]*crdt.Op{}
	self := n.selfKey()
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		logs := []crdt.ID{crdt.ZeroID}
		for gid := range c.State().Groups {
			logs = append(logs, gid)
		}
		for _, l := range logs {
			c.EachOp(l, func(o *crdt.Op) {
				if o.Author == self {
					out[o.ID()] = o
				}
			})
		}
		return nil
	})
	return out
}

// acking runs call, an API call of node i, and records the ops it wrote
// if it returns no error.
func (h *chaosRun) acking(step, i int, call func(n *Node) error) error {
	n := h.nodes[i].tn.Node
	before := ownOps(n, h.cid)
	if err := call(n); err != nil {
		return err
	}
	for id, o := range ownOps(n, h.cid) {
		if before[id] == nil {
			h.acked = append(h.acked, ackedOp{id: id, log: o.Log, kind: o.Kind, author: i, step: step})
		}
	}
	return nil
}

// split puts each node on its side and cuts the connections that cross.
func (h *chaosRun) split(sides []int) {
	h.sideMu.Lock()
	clear(h.side)
	for i, c := range h.nodes {
		h.side[c.pid] = sides[i] // a restart keeps its peer id, so its side too
	}
	h.sideMu.Unlock()
	for _, c := range h.up() {
		for _, p := range c.tn.host.Network().Peers() {
			if h.sn.apart(c.pid, p) {
				c.tn.host.Network().ClosePeer(p)
			}
		}
	}
}

func (h *chaosRun) heal() {
	h.sideMu.Lock()
	clear(h.side)
	h.sideMu.Unlock()
}

func (h *chaosRun) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(h.t.Context(), 2*time.Minute)
}

// do runs step i and says what came of it.
func (h *chaosRun) do(i int, s chaosStep) string {
	ctx, cancel := h.ctx()
	defer cancel()
	rng := mrand.New(mrand.NewPCG(s.seed, uint64(i)))
	node := func(j int) *Node { return h.nodes[j].tn.Node }
	result := func(what string, err error) string {
		if err != nil {
			h.count[s.kind+" refused"]++
			return "refused: " + err.Error()
		}
		h.count[s.kind+" ok"]++
		return what
	}
	down := func(j int) bool { return h.nodes[j].tn == nil }
	switch {
	case s.kind == "restart" && !down(s.actor), s.kind == "kill" && down(s.actor):
		h.count[s.kind+" skipped"]++
		return "skipped: it is already " + map[string]string{"restart": "up", "kill": "down"}[s.kind]
	case s.kind == "join" && (down(s.actor) || down(s.joiner)),
		slices.Contains([]string{"post", "poll", "react", "vote", "promote", "demote", "remove", "flood", "garbage"}, s.kind) && down(s.actor),
		slices.Contains([]string{"garbage", "stall"}, s.kind) && down(s.target):
		h.count[s.kind+" skipped"]++
		return "skipped: a node it needs is down" // only when kills or restarts are switched off
	}
	switch s.kind {
	case "post":
		gid := h.gid
		if s.announce {
			gid = h.cid
		}
		var id crdt.ID
		err := h.acking(i, s.actor, func(n *Node) (err error) {
			id, err = n.Post(ctx, h.cid, gid, fmt.Sprintf("step %d: %s sold %d starter kits", i, chaosName(s.actor), rng.IntN(20)))
			return err
		})
		if err == nil && !s.announce {
			h.written[i] = id
		}
		return result("ok "+id.Short(), err)
	case "poll":
		var id crdt.ID
		err := h.acking(i, s.actor, func(n *Node) (err error) {
			id, err = n.CreatePoll(ctx, h.cid, h.gid, fmt.Sprintf("Step %d: next training day?", i), []string{"Monday", "Wednesday", "Friday"}, false, time.Time{})
			return err
		})
		if err == nil {
			h.written[i] = id
		}
		return result("ok "+id.Short(), err)
	case "react", "vote":
		id, ok := h.written[s.target]
		if !ok {
			h.count[s.kind+" skipped"]++
			return "skipped: step " + fmt.Sprint(s.target) + " wrote nothing"
		}
		err := h.acking(i, s.actor, func(n *Node) error {
			if s.kind == "react" {
				return n.React(ctx, h.cid, h.gid, id, emojis[s.n], rng.IntN(5) > 0)
			}
			return n.Vote(ctx, h.cid, h.gid, id, []int{s.n})
		})
		return result("ok", err)
	case "join":
		var link string
		err := h.acking(i, s.actor, func(n *Node) (err error) {
			link, err = n.CreateInvite(ctx, h.cid, api.InviteOptions{})
			return err
		})
		if err != nil {
			h.count["join refused"]++
			return "no link: " + err.Error()
		}
		h.tried[s.joiner] = true
		done := make(chan error, 1)
		jn := node(s.joiner)
		before := ownOps(jn, h.cid)
		go func() {
			_, err := jn.Join(ctx, link)
			done <- err
		}()
		if s.kill >= 0 {
			time.Sleep(s.d) // the kill comes this long into the join
			h.kill(s.kill)
			h.count["kill"]++
		}
		err = <-done
		if err == nil {
			for id, o := range ownOps(jn, h.cid) {
				if before[id] == nil {
					h.acked = append(h.acked, ackedOp{id: id, log: o.Log, kind: o.Kind, author: s.joiner, step: i})
				}
			}
		}
		return result("joined", err)
	case "promote", "demote":
		role := map[string]string{"promote": "admin", "demote": "member"}[s.kind]
		err := h.acking(i, s.actor, func(n *Node) error {
			return n.SetRole(ctx, h.cid, h.nodes[s.target].pid.String(), role)
		})
		return result("ok", err)
	case "remove":
		err := h.acking(i, s.actor, func(n *Node) error {
			return n.RemoveMember(ctx, h.cid, h.nodes[s.target].pid.String())
		})
		return result("ok", err)
	case "split":
		h.split(s.sides)
		h.count["split"]++
		return "ok"
	case "heal":
		h.heal()
		h.count["heal"]++
		return "ok"
	case "kill":
		h.kill(s.actor)
		h.count["kill"]++
		return "ok"
	case "restart":
		h.start(s.actor)
		h.count["restart"]++
		return "ok"
	case "flood":
		sent, err := h.flood(ctx, h.nodes[s.actor], s.n, rng)
		h.count["junk ops"] += sent
		return result(fmt.Sprintf("%d sent", sent), err)
	case "garbage":
		sent := h.garbage(ctx, h.nodes[s.actor], h.nodes[s.target], rng)
		h.count["garbage frames"] += sent
		return result(fmt.Sprintf("%d frames sent", sent), nil)
	case "stall":
		opened := h.stall(h.nodes[s.target], s.d)
		h.count["stall streams"] += opened
		return result(fmt.Sprintf("%d idle streams", opened), nil)
	case "wait":
		time.Sleep(s.d) // part of the scenario, not a wait for convergence
		h.count["wait"]++
		return "ok"
	}
	panic("unknown step kind " + s.kind)
}

// flood publishes count validly signed messages by the malicious member
// att on General's topic, each citing a parent that does not exist.
func (h *chaosRun) flood(ctx context.Context, att *chaosNode, count int, rng *mrand.Rand) (int, error) {
	n := att.tn.Node
	secret, ok := n.keys.Secret(h.cid)
	if !ok {
		return 0, errors.New("the malicious member has no topic secret")
	}
	topic := n.gossip.Topic(gossip.TopicName(secret, h.cid, h.gid))
	if topic == nil {
		return 0, errors.New("the malicious member is not on General's topic")
	}
	// A hostile client publishes without validating what it sends.
	name := gossip.TopicName(secret, h.cid, h.gid)
	if err := n.gossip.PubSub().UnregisterTopicValidator(name); err == nil {
		accept := func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
			return pubsub.ValidationAccept
		}
		if err := n.gossip.PubSub().RegisterTopicValidator(name, accept); err != nil {
			return 0, err
		}
	}
	var deps []crdt.ID
	_ = n.rep.View(h.cid, func(c *crdt.Community) error { deps = c.ControlHeads(); return nil })
	sent := 0
	for k := range count {
		var parent crdt.ID
		var epoch crdt.EpochID
		fill(rng, parent[:])
		fill(rng, epoch[:])
		ct := make([]byte, 24+rng.IntN(200))
		fill(rng, ct)
		body, err := crdt.EncodeSealed(epoch, uint32(k), ct)
		if err != nil {
			return sent, err
		}
		op, err := crdt.Sign(crdt.Op{Community: h.cid, Log: h.gid, Author: n.selfKey(), Parents: []crdt.ID{parent},
			Height: 2 + uint64(rng.IntN(1000)), Kind: crdt.KindMessage, Body: body, Deps: deps}, n.id)
		if err != nil {
			return sent, err
		}
		if err := topic.Publish(ctx, op.Bytes()); err != nil {
			return sent, err
		}
		sent++
		if sent%16 == 0 {
			time.Sleep(50 * time.Millisecond) // paced, so gossip's queues carry it all
		}
	}
	return sent, nil
}

func fill(rng *mrand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// garbage sends the victim malformed frames on each stream protocol from
// the malicious member att, and returns how many were sent.
func (h *chaosRun) garbage(ctx context.Context, att, victim *chaosNode, rng *mrand.Rand) int {
	junk := func(n int) []byte { b := make([]byte, n); fill(rng, b); return b }
	frame := func(v any) []byte {
		var b strings.Builder
		if err := wire.Write(&b, v); err != nil {
			h.t.Fatal(err)
		}
		return []byte(b.String())
	}
	frames := []struct {
		proto protocol.ID
		data  []byte
	}{
		{syncProtocol, junk(1 + rng.IntN(600))},
		{syncProtocol, frame(&wire.Request{Kind: wire.KindFetch, Community: h.cid[:], IDs: [][]byte{junk(7), junk(33)}})},
		{syncProtocol, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}}, // a length far past any limit
		{joinProtocol, frame(&wire.JoinRequest{Invite: junk(80), Join: junk(120)})},
		{reconcileProtocol, frame(&wire.Reconcile{Community: h.cid[:], Msg: junk(1 + rng.IntN(300))})},
	}
	sent := 0
	for _, f := range frames {
		if err := att.tn.host.Connect(ctx, peer.AddrInfo{ID: victim.pid, Addrs: victim.tn.host.Addrs()}); err != nil {
			break // split apart, or dropped for the frames before
		}
		s, err := att.tn.host.NewStream(ctx, victim.pid, f.proto)
		if err != nil {
			continue
		}
		s.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := s.Write(f.data); err == nil {
			sent++
		}
		s.CloseWrite()
		buf := make([]byte, 1024)
		s.Read(buf) // whatever the victim answers, if anything
		s.Reset()
	}
	return sent
}

// stall has the stranger, a non-member holding only the victim's address,
// open more reconcile streams to it than it serves at once and send
// nothing on them, for d; streams the victim ends are opened again.
func (h *chaosRun) stall(victim *chaosNode, d time.Duration) int {
	ctx, cancel := context.WithTimeout(h.bgCtx, d)
	ai := peer.AddrInfo{ID: victim.pid, Addrs: victim.tn.host.Addrs()}
	open := func() []network.Stream {
		if err := h.stranger.Connect(ctx, ai); err != nil {
			return nil
		}
		var out []network.Stream
		for range p2p.MaxServedSessions + 2 {
			s, err := h.stranger.NewStream(ctx, victim.pid, reconcileProtocol)
			if err != nil {
				break
			}
			if _, err := s.Write(nil); err != nil { // the protocol handshake; nothing more
				s.Reset()
				break
			}
			out = append(out, s)
		}
		return out
	}
	streams := open()
	opened := len(streams)
	h.bg.Go(func() {
		defer cancel()
		t := time.NewTicker(20 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				for _, s := range streams {
					s.Reset()
				}
				return
			case <-t.C:
				for _, s := range streams {
					s.Reset()
				}
				streams = open()
			}
		}
	})
	return opened
}

// runChaos runs one seed.
func runChaos(t *testing.T, seed uint64, cfg chaosConfig) {
	plan := planChaos(seed, cfg)
	h := &chaosRun{t: t, seed: seed, cfg: cfg, side: map[peer.ID]int{}, written: map[int]crdt.ID{}, tried: map[int]bool{}, count: map[string]int{}}
	h.bgCtx, h.bgStop = context.WithCancel(t.Context())
	h.sn = newSimNet(t)
	h.sn.apart = func(a, b peer.ID) bool {
		h.sideMu.Lock()
		defer h.sideMu.Unlock()
		return h.side[a] != h.side[b]
	}
	t.Cleanup(func() {
		h.bgStop()
		h.bg.Wait()
		for _, c := range h.up() {
			c.tn.Close()
		}
		if h.stranger != nil {
			h.stranger.Close()
		}
	})
	ctx := t.Context()
	for i := range cfg.nodes {
		h.nodes = append(h.nodes, &chaosNode{idx: i, name: chaosName(i), home: t.TempDir(), disk: dssync.MutexWrap(datastore.NewMapDatastore())})
		h.start(i)
	}
	strangerHome := t.TempDir()
	if err := Init(strangerHome, "Stranger"); err != nil {
		t.Fatal(err)
	}
	h.stranger = h.sn.host(strangerHome)

	// The community before the first step: the founder, the first
	// members, and one admin.
	owner := h.nodes[founder].tn
	comm, err := owner.CreateCommunity(ctx, "Glow Team")
	if err != nil {
		t.Fatal(err)
	}
	h.cid, h.gid = comm.ID, general(t, owner.Node, comm.ID)
	link, err := owner.CreateInvite(ctx, h.cid, api.InviteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < cfg.initial; i++ {
		if _, err := h.nodes[i].tn.Join(ctx, link); err != nil {
			t.Fatalf("%s joining before the first step: %v", h.nodes[i].name, err)
		}
	}
	if err := owner.SetRole(ctx, h.cid, h.nodes[firstAdm].pid.String(), "admin"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < cfg.initial; i++ {
		n := h.nodes[i].tn.Node
		waitWithin(t, n, 5*time.Minute, chaosName(i)+" to hold what the founder holds", func() bool {
			return stateHash(n, h.cid) == stateHash(owner.Node, h.cid)
		})
	}
	for i := range cfg.initial { // the setup is acknowledged too
		for id, o := range ownOps(h.nodes[i].tn.Node, h.cid) {
			h.acked = append(h.acked, ackedOp{id: id, log: o.Log, kind: o.Kind, author: i, step: -1})
		}
	}

	began := time.Now()
	for _, s := range plan {
		out := h.do(s.num, s)
		h.note("%3d  %-60s %s", s.num, s, out)
		time.Sleep(s.pause)
	}
	violations := h.finish()
	t.Logf("seed %d: %d nodes, %d steps in %v virtual: %s", seed, cfg.nodes, len(plan), time.Since(began).Round(time.Second), h.summary())
	if len(violations) > 0 {
		t.Errorf("seed %d: %d invariant(s) violated:\n  - %s\nreplay: go test -count=1 -v -run 'TestChaos/seed=%d$' ./node -chaos.seed=%d -chaos.nodes=%d -chaos.steps=%d%s\nsteps:\n%s",
			seed, len(violations), strings.Join(violations, "\n  - "), seed, seed, cfg.nodes, cfg.steps, offFlag(cfg), strings.Join(h.log, "\n"))
	}
}

func offFlag(cfg chaosConfig) string {
	if len(cfg.off) == 0 {
		return ""
	}
	var ks []string
	for k := range cfg.off {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return " -chaos.off=" + strings.Join(ks, ",")
}

func (h *chaosRun) summary() string {
	kinds := map[string]int{}
	for _, a := range h.acked {
		kinds[a.kind.String()]++
	}
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var b strings.Builder
	fmt.Fprintf(&b, "acknowledged ops %d (", len(h.acked))
	for i, k := range ks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, kinds[k])
	}
	b.WriteString("); steps:")
	var cs []string
	for k := range h.count {
		cs = append(cs, k)
	}
	slices.Sort(cs)
	for _, k := range cs {
		fmt.Fprintf(&b, " %s %d,", k, h.count[k])
	}
	return strings.TrimSuffix(b.String(), ",")
}

// finish heals the network, restarts every node, and, while the
// malicious member floods and a stranger keeps one member busy, lets sync
// run, has every member post once more, lets sync run again, and returns
// the invariants that do not hold.
func (h *chaosRun) finish() []string {
	t := h.t
	rng := mrand.New(mrand.NewPCG(h.seed, 1))
	h.heal()
	for i, c := range h.nodes {
		if c.tn == nil {
			h.start(i)
			h.count["restart"]++
		}
	}
	h.note("---  healed and restarted every node")
	if !h.cfg.off["flood"] && h.member(h.nodes[mallory]) {
		ctx, cancel := h.ctx()
		sent, err := h.flood(ctx, h.nodes[mallory], chaosPending.PendingOps+50, rng)
		cancel()
		h.count["junk ops"] += sent
		h.note("---  flood by Mallory: %d junk ops (%v)", sent, errOr(err, "ok"))
	}
	// A member other than the founder (whose state the checks compare
	// with, and who makes the links to join again), kept busy by the
	// stranger from here on; the new community of the last check is its.
	var victim *chaosNode
	for _, k := range rng.Perm(len(h.nodes)) {
		if c := h.nodes[k]; k != founder && k != mallory && h.member(c) {
			victim = c
			break
		}
	}
	if victim == nil {
		victim = h.nodes[founder]
	}
	if !h.cfg.off["stall"] {
		opened := h.stall(victim, time.Hour)
		h.note("---  the stranger holds %d idle reconcile streams to %s until the end", opened, victim.name)
	}
	ref := h.nodes[founder].tn.Node
	healed := time.Now()
	converged := h.settle(ref)
	h.note("---  converged=%v %v (virtual) after the heal", converged, time.Since(healed).Round(time.Second))

	// The last posts: each author names who it counts out of the
	// community as it writes; none of them may open the post.
	lastPosts := map[crdt.ID]map[crdt.PublicKey]bool{}
	for i, c := range h.nodes {
		if !h.member(c) {
			continue
		}
		out := map[crdt.PublicKey]bool{}
		_ = c.tn.rep.View(h.cid, func(cm *crdt.Community) error {
			for _, o := range h.nodes {
				if cm.State().Role(o.key) == crdt.RoleNone {
					out[o.key] = true
				}
			}
			return nil
		})
		ctx, cancel := h.ctx()
		var id crdt.ID
		err := h.acking(h.cfg.steps, i, func(n *Node) (err error) {
			id, err = n.Post(ctx, h.cid, h.gid, c.name+": that's a wrap for this month")
			return err
		})
		cancel()
		if err == nil {
			lastPosts[id] = out
		}
		h.note("---  last post by %s: %v", c.name, errOr(err, "ok"))
	}
	posted := time.Now()
	var v []string
	if h.settle(ref) {
		h.note("---  converged %v (virtual) after the last posts", time.Since(posted).Round(time.Second))
	} else if c := h.convergence(ref); len(c) > 0 {
		for _, d := range c {
			v = append(v, fmt.Sprintf("%v (virtual) after the last posts: %s", h.cfg.settle, d))
		}
	}
	v = append(v, h.plaintext(ref, lastPosts)...)
	v = append(v, h.rejoin(ref)...)
	v = append(v, h.probe(victim)...)
	h.bgStop()
	h.bg.Wait()
	t.Logf("seed %d: last phase: %d posts; converged %v after the heal", h.seed, len(lastPosts), converged)
	return v
}

// settle lets sync run until what convergence checks holds, for at most
// cfg.settle of virtual time, and reports whether it came to hold.
func (h *chaosRun) settle(ref *Node) bool {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for deadline := time.Now().Add(h.cfg.settle); time.Now().Before(deadline); <-tick.C {
		if len(h.convergence(ref)) == 0 {
			return true
		}
	}
	return false
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

// member reports whether node c is up and counts itself a member.
func (h *chaosRun) member(c *chaosNode) bool {
	if c.tn == nil {
		return false
	}
	cm, err := c.tn.community(h.cid)
	return err == nil && cm.Role != crdt.RoleNone.String() && cm.Role != api.RoleRequested
}

// roles returns each node's role in ref's state, and the removals of each
// node that took effect.
func (h *chaosRun) roles(ref *Node) (role []crdt.Role, removals []map[crdt.ID]bool) {
	role, removals = make([]crdt.Role, len(h.nodes)), make([]map[crdt.ID]bool, len(h.nodes))
	_ = ref.rep.View(h.cid, func(c *crdt.Community) error {
		st := c.State()
		for i, n := range h.nodes {
			role[i] = st.Role(n.key)
			removals[i] = map[crdt.ID]bool{}
			for _, a := range st.Audit {
				if a.Kind == crdt.KindRemove && a.Target == n.key {
					removals[i][a.Op] = true
				}
			}
		}
		return nil
	})
	return role, removals
}

// convergence returns what still differs: members whose state is not the
// founder's, acknowledged ops a member lacks, removed nodes that think they
// are members.
func (h *chaosRun) convergence(ref *Node) []string {
	var v []string
	role, removals := h.roles(ref)
	want := stateHash(ref, h.cid)
	var readers []*chaosNode
	for i, c := range h.nodes {
		switch {
		case role[i] != crdt.RoleNone:
			readers = append(readers, c)
			if got := stateHash(c.tn.Node, h.cid); got != want {
				v = append(v, fmt.Sprintf("%s, a %s in the founder's state, has state %x, the founder %x: %s", c.name, role[i], got[:4], want[:4], h.diff(c.tn.Node, ref)))
			}
		case len(removals[i]) > 0 && h.member(c):
			v = append(v, fmt.Sprintf("%s was removed but still counts itself a member (item 6)", c.name))
		}
	}
	missing := map[string][]string{}
	for _, a := range h.acked {
		if h.undone(ref, a) {
			continue
		}
		for _, c := range readers {
			var has, reads bool
			_ = ref.rep.View(h.cid, func(cm *crdt.Community) error { reads = cm.State().MayRead(c.key, a.log); return nil })
			_ = c.tn.rep.View(h.cid, func(cm *crdt.Community) error { has = cm.Has(a.id); return nil })
			if reads && !has {
				k := fmt.Sprintf("%s lacks acknowledged", c.name)
				missing[k] = append(missing[k], fmt.Sprintf("%s %s by %s (step %d)", a.kind, a.id.Short(), chaosName(a.author), a.step))
			}
		}
	}
	for k, ops := range missing {
		slices.Sort(ops)
		more := ""
		if len(ops) > 6 {
			more = fmt.Sprintf(" and %d more", len(ops)-6)
			ops = ops[:6]
		}
		v = append(v, fmt.Sprintf("%s %s%s", k, strings.Join(ops, ", "), more))
	}
	slices.Sort(v)
	return v
}

// undone reports whether acknowledged op a need not reach everyone: the
// founder does not hold it, and either it is invalid where the founder
// stands (its author lost the rank it needed), or its author went (removed,
// left, or its join undone) and no one but nodes that went holds it —
// written concurrently with the removal, it is hidden by it, and members
// pull only control ops from those who went (see sync/pull/former.go).
func (h *chaosRun) undone(ref *Node, a ackedOp) bool {
	var held, gone bool
	role := map[crdt.PublicKey]crdt.Role{}
	_ = ref.rep.View(h.cid, func(c *crdt.Community) error {
		held = c.Has(a.id)
		st := c.State()
		gone = st.Departed[h.nodes[a.author].key] != nil
		for _, n := range h.nodes {
			role[n.key] = st.Role(n.key)
		}
		return nil
	})
	if held {
		return false
	}
	var op *crdt.Op
	var plain []byte // its clear body, as a holder opened it
	onlyGone := true
	for _, c := range h.nodes {
		if o, err := c.tn.rep.Get(h.bgCtx, a.id); err == nil {
			op = o
			onlyGone = onlyGone && role[c.key] == crdt.RoleNone
			if plain == nil {
				plain = clearBody(c.tn.Node, o)
			}
		}
	}
	if op == nil {
		return false // held by no one: lost
	}
	if gone && onlyGone {
		return true
	}
	var err error
	_ = ref.rep.View(h.cid, func(c *crdt.Community) error {
		if len(c.Missing(op)) == 0 {
			err = c.Check(op, plain)
		}
		return nil
	})
	return errors.Is(err, crdt.ErrUnauthorized)
}

// diff says how n's holding of the community differs from ref's.
func (h *chaosRun) diff(n, ref *Node) string {
	if _, err := n.community(h.cid); err != nil {
		return "it does not hold the community: " + err.Error()
	}
	held := func(x *Node) map[crdt.ID]*crdt.Op {
		out := map[crdt.ID]*crdt.Op{}
		_ = x.rep.View(h.cid, func(c *crdt.Community) error {
			for _, l := range append([]crdt.ID{crdt.ZeroID}, c.ContentLogs()...) {
				c.EachOp(l, func(o *crdt.Op) { out[o.ID()] = o })
			}
			return nil
		})
		return out
	}
	a, b := held(n), held(ref)
	list := func(x, y map[crdt.ID]*crdt.Op) string {
		var out []string
		for id, o := range x {
			if y[id] == nil {
				out = append(out, fmt.Sprintf("%s %s by %s", o.Kind, id.Short(), h.nameOf(o.Author)))
			}
		}
		slices.Sort(out)
		if len(out) > 5 {
			out = append(out[:5], fmt.Sprintf("%d more", len(out)-5))
		}
		return fmt.Sprintf("%d [%s]", len(out), strings.Join(out, ", "))
	}
	var pn, pr int
	pn, _, _ = n.store.PendingLen(h.t.Context())
	pr, _, _ = ref.store.PendingLen(h.t.Context())
	// Every op a community holds was opened when it was accepted: what a
	// node cannot open waits in its pending buffer (counted here).
	return h.replayed(n) + fmt.Sprintf("it alone holds %s; the founder alone %s; parked %d, the founder %d",
		list(a, b), list(b, a), pn, pr)
}

// replayed compares n's live state with a replay from scratch of the ops
// it holds (what a restart computes), and names the first post they show
// differently; "" if they agree.
func (h *chaosRun) replayed(n *Node) string {
	var genesis crdt.Opened
	var ops []crdt.Opened
	var live [32]byte
	var out string
	_ = n.rep.View(h.cid, func(lc *crdt.Community) error {
		live = lc.Hash()
		for _, l := range append([]crdt.ID{crdt.ZeroID}, lc.ContentLogs()...) {
			lc.EachOp(l, func(o *crdt.Op) {
				if !o.Encoded() { // loaded at start: its encoding is in the store
					var err error
					if o, err = crdt.DecodeOp(encodings(h.t, n, []*crdt.Op{o})[0]); err != nil {
						h.t.Fatal(err)
					}
				}
				x := crdt.Opened{Op: o}
				if o.Sealed() { // the body it opened, encoded again: the same bytes
					x.Plain, _ = crdt.Marshal(lc.Body(o.ID()))
				}
				if o.Kind == crdt.KindGenesis {
					genesis = x
				} else {
					ops = append(ops, x)
				}
			})
		}
		fresh, err := crdt.Load(genesis, ops)
		if err != nil {
			out = fmt.Sprintf("its ops do not replay: %v; ", err)
			return nil
		}
		if fresh.Hash() == live {
			return nil
		}
		out = "its live state differs from a replay of the ops it holds"
		for _, g := range lc.ContentLogs() {
			a, b := lc.View(g).Posts, fresh.View(g).Posts
			for i := range min(len(a), len(b)) {
				x, y := a[i], b[i]
				if x.ID != y.ID || x.Text != y.Text || (x.Hidden == nil) != (y.Hidden == nil) {
					out += fmt.Sprintf(" (post %d of group %s: live %s %q hidden=%v, replayed %s %q hidden=%v)", i, g.Short(), x.ID.Short(), x.Text, x.Hidden, y.ID.Short(), y.Text, y.Hidden)
					return nil
				}
			}
		}
		return nil
	})
	if out != "" {
		out += "; "
	}
	return out
}

// nameOf names the node with key k.
func (h *chaosRun) nameOf(k crdt.PublicKey) string {
	for _, c := range h.nodes {
		if c.key == k {
			return c.name
		}
	}
	return peerkey.Text(k)
}

// plaintext checks that no node outside the community can open an op
// written after its removal (a descendant of the removal), nor a last post
// whose author counted it out.
func (h *chaosRun) plaintext(ref *Node, lastPosts map[crdt.ID]map[crdt.PublicKey]bool) []string {
	t := h.t
	role, removals := h.roles(ref)
	ops := allOps(t, ref, h.cid)
	byID := map[crdt.ID]*crdt.Op{}
	for _, o := range ops {
		byID[o.ID()] = o
	}
	var v []string
	for i, c := range h.nodes {
		if role[i] != crdt.RoleNone || !(len(removals[i]) > 0 || h.tried[i] || i < h.cfg.initial) {
			continue // a member, or never in the community
		}
		after := descendants(byID, removals[i])
		opened := 0
		var example string
		for _, o := range ops {
			if !o.Sealed() || !(after[o.ID()] || lastPosts[o.ID()][c.key]) || ref.rep.View(h.cid, func(cm *crdt.Community) error {
				if cm.State().Role(o.Author) == crdt.RoleNone {
					return errNotMember // what non-members wrote is no secret of the community
				}
				return nil
			}) != nil {
				continue
			}
			if holdsPlain(c.tn.Node, o) {
				opened++
				if example == "" {
					sb, _ := crdt.ParseSealed(o)
					wraps := "an epoch not in the founder's state"
					_ = ref.rep.View(h.cid, func(cm *crdt.Community) error {
						if e := cm.State().Epochs[sb.EpochOf()]; e != nil {
							_, to := e.Wraps[c.key]
							wraps = fmt.Sprintf("epoch %s, which is wrapped to it: %v", sb.EpochOf(), to)
						}
						return nil
					})
					example = fmt.Sprintf("%s %s by %s, under %s", o.Kind, o.ID().Short(), h.nameOf(o.Author), wraps)
				}
			}
		}
		if opened > 0 {
			why := "removed"
			if len(removals[i]) == 0 {
				why = "not a member"
			}
			v = append(v, fmt.Sprintf("%s, %s, can open %d op(s) written after it was out, e.g. %s", c.name, why, opened, example))
		}
	}
	return v
}

// descendants returns the ops that have one of roots in their causal past
// (parents and control deps).
func descendants(byID map[crdt.ID]*crdt.Op, roots map[crdt.ID]bool) map[crdt.ID]bool {
	memo := map[crdt.ID]bool{}
	var after func(id crdt.ID) bool
	after = func(id crdt.ID) bool {
		if v, ok := memo[id]; ok {
			return v
		}
		memo[id] = false
		o := byID[id]
		if o == nil {
			return false
		}
		res := false
		for _, p := range append(slices.Clone(o.Parents), o.Deps...) {
			if roots[p] || after(p) {
				res = true
				break
			}
		}
		memo[id] = res
		return res
	}
	out := map[crdt.ID]bool{}
	if len(roots) == 0 {
		return out
	}
	for id := range byID {
		if after(id) {
			out[id] = true
		}
	}
	return out
}

// clearBody returns the clear body of sealed op o as n's community opened
// it: the decoded body encoded again, which is canonical and so the same
// bytes. It is nil when o is not sealed or n does not hold it.
func clearBody(n *Node, o *crdt.Op) []byte {
	if !o.Sealed() {
		return nil
	}
	var plain []byte
	_ = n.rep.View(o.CommunityID(), func(c *crdt.Community) error {
		if b := c.Body(o.ID()); b != nil {
			plain, _ = crdt.Marshal(b)
		}
		return nil
	})
	return plain
}

// holdsPlain reports whether node n holds the clear text of sealed op o:
// its replica holds it opened, or its keyring opens it (or already did).
func holdsPlain(n *Node, o *crdt.Op) bool {
	held := false
	_ = n.rep.View(o.CommunityID(), func(c *crdt.Community) error {
		if c.Has(o.ID()) { // accepted ops were opened
			held = true
		}
		return nil
	})
	if held {
		return true
	}
	fresh, err := crdt.DecodeOp(o.Bytes())
	if err != nil {
		return false
	}
	_, err = n.keys.Open(fresh)
	return err == nil || errors.Is(err, e2ee.ErrReplay)
}

// rejoin has every node that was in the community, or tried to join, and
// was not removed, and does not count itself a member, join again with a
// fresh link: a failed join must be resumable.
func (h *chaosRun) rejoin(ref *Node) []string {
	role, removals := h.roles(ref)
	var v []string
	for i, c := range h.nodes {
		if h.member(c) || len(removals[i]) > 0 || !(h.tried[i] || i < h.cfg.initial) {
			continue
		}
		ctx, cancel := h.ctx()
		link, err := ref.CreateInvite(ctx, h.cid, api.InviteOptions{})
		if err == nil {
			_, err = c.tn.Join(ctx, link)
		}
		cancel()
		h.note("---  %s (a %s in the founder's state) joins again: %v", c.name, role[i], errOr(err, "ok"))
		if err != nil {
			v = append(v, fmt.Sprintf("%s (a %s in the founder's state, not removed) cannot join again with a fresh link: %v", c.name, role[i], err))
		}
	}
	return v
}

// probe has victim found a new community, and every other node join it
// by link: after a flood and while a stranger keeps the victim busy.
func (h *chaosRun) probe(victim *chaosNode) []string {
	ctx, cancel := h.ctx()
	defer cancel()
	comm, err := victim.tn.CreateCommunity(ctx, "Spring Launch")
	if err != nil {
		return []string{fmt.Sprintf("%s cannot create a community: %v", victim.name, err)}
	}
	link, err := victim.tn.CreateInvite(ctx, comm.ID, api.InviteOptions{})
	if err != nil {
		return []string{fmt.Sprintf("%s cannot invite to a new community: %v", victim.name, err)}
	}
	var v []string
	for _, c := range h.nodes {
		if c == victim {
			continue
		}
		if _, err := c.tn.Join(ctx, link); err != nil {
			v = append(v, fmt.Sprintf("%s cannot join a new community through %s: %v", c.name, victim.name, err))
		}
	}
	h.note("---  %d of %d nodes joined a new community through %s", len(h.nodes)-1-len(v), len(h.nodes)-1, victim.name)
	return v
}

// TestChaosPlan: a plan is a function of its seed, a shorter plan is a
// prefix of a longer one, and the generator reaches every step kind.
func TestChaosPlan(t *testing.T) {
	cfg := chaosConfig{nodes: 8, initial: 6, steps: 200, off: map[string]bool{}}
	a, b := planChaos(7, cfg), planChaos(7, cfg)
	short := cfg
	short.steps = 50
	c := planChaos(7, short)
	for i := range a {
		if a[i].String() != b[i].String() {
			t.Fatalf("step %d: %s, then %s from the same seed", i, a[i], b[i])
		}
		if i < len(c) && a[i].String() != c[i].String() {
			t.Fatalf("step %d of the shorter plan: %s, of the longer %s", i, c[i], a[i])
		}
	}
	seen := map[string]bool{}
	for seed := range uint64(20) {
		for _, s := range planChaos(seed, cfg) {
			seen[s.kind] = true
			if s.kind == "join" && s.kill >= 0 {
				seen["join with a kill"] = true
			}
		}
	}
	for _, k := range append(slices.Clone(chaosKinds), "join with a kill") {
		if !seen[k] {
			t.Errorf("20 plans of 200 steps have no %s step", k)
		}
	}
	// Switching kinds off takes their steps out and changes no other.
	full := map[int]chaosStep{}
	for _, s := range planChaos(3, cfg) {
		full[s.num] = s
	}
	cfg.off = map[string]bool{"flood": true, "kill": true}
	left := 0
	for _, s := range planChaos(3, cfg) {
		if s.kind == "flood" || s.kind == "kill" || s.kill >= 0 {
			t.Fatalf("-chaos.off=flood,kill planned %s", s)
		}
		f := full[s.num]
		f.kill = -1
		if s.String() != f.String() {
			t.Fatalf("step %d: %s with kinds off, %s in the full plan", s.num, s, f)
		}
		left++
	}
	for _, s := range full {
		if s.kind != "flood" && s.kind != "kill" {
			left--
		}
	}
	if left != 0 {
		t.Fatalf("switching flood and kill off changed the number of other steps by %d", left)
	}
}
