package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/testworld"
)

// memoryHomeEnv names a directory where BenchmarkNodeMemory keeps the home
// it builds (`make bench-home` sets it), so it is built once and people can
// run `umbrellad serve --home` on it. Unset: a temporary home per run.
const memoryHomeEnv = "UMBRELLA_MEMORY_HOME"

// memoryChildEnv tells the test binary, run again by BenchmarkNodeMemory,
// to measure the node on the home it names (TestNodeMemoryChild).
const memoryChildEnv = "UMBRELLA_MEMORY_CHILD"

// memoryHomeDone marks a home whose writing finished.
const memoryHomeDone = "bench-home-complete"

// memoryProfileEnv names a directory where the measuring process writes
// heap profiles after start (heap-start.pprof) and after the list
// (heap-list.pprof); unset: none.
const memoryProfileEnv = "UMBRELLA_MEMORY_PROFILE"

// memoryFigures are what the measuring process reports, as JSON on a line
// of its own after memoryFiguresTag.
type memoryFigures struct {
	StartS    float64 // node.Open to a node ready
	ListS     float64 // the biggest group's first page and the member list
	RSSStart  float64 // VmRSS after start, MB
	RSS       float64 // VmRSS after the list, MB
	RSSFile   float64 // of it, pages of mapped files (Badger's tables), MB
	HeapStart float64 // live heap after start (after a GC), MB
	Heap      float64 // live heap after the list (after a GC), MB
	IdleCPU   float64 // CPU time over the idle seconds after the list, as a share of one core
	IdleStart float64 // the same over the idle seconds right after start
	Messages  int     // the messages the group shows
	Members   int     // the members listed
}

const memoryFiguresTag = "memory-figures: "

// BenchmarkNodeMemory opens a real node (Badger, encrypted at rest) on a
// home holding a community of 5,000 members and 100,000 sealed messages
// written as a real community would be — members joining through invites
// of the owner and four admins, then posting in the General group, every
// body sealed by the group's keys — lists the biggest group (its first
// page and the member list), idles, and reports rss-MB (VmRSS after the
// list), heap-MB (live heap after the list), start-s, idle-cpu-% (over 5 s
// after the list) and idle-start-cpu-% (over 10 s right after start), plus
// rss and heap right after start and rss-file-MB (the part of rss that is
// mapped files: the program, Badger's tables). The node runs in a fresh
// process (this test binary run again) so that writing the home does not
// count. Targets: rss under 250 MB, start under 2 s, an idle node near
// zero CPU. -short uses 200 members and 2,000 messages.
func BenchmarkNodeMemory(b *testing.B) {
	members, messages := 5000, 100_000
	if testing.Short() {
		members, messages = 200, 2000
	}
	home := os.Getenv(memoryHomeEnv)
	if home == "" {
		home = filepath.Join(b.TempDir(), "home")
	}
	if _, err := os.Stat(filepath.Join(home, memoryHomeDone)); err != nil {
		start := time.Now()
		if err := os.RemoveAll(home); err != nil {
			b.Fatal(err)
		}
		if err := buildMemoryHome(home, members, messages); err != nil {
			b.Fatal(err)
		}
		b.Logf("wrote the home (%d members, %d messages) to %s in %v", members, messages, home, time.Since(start))
	}
	var f memoryFigures
	for b.Loop() {
		var err error
		if f, err = measureChild(home); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d members listed, %d messages in the group", f.Members, f.Messages)
	b.ReportMetric(f.RSS, "rss-MB")
	b.ReportMetric(f.RSSFile, "rss-file-MB")
	b.ReportMetric(f.Heap, "heap-MB")
	b.ReportMetric(f.StartS, "start-s")
	b.ReportMetric(f.RSSStart, "rss-start-MB")
	b.ReportMetric(f.HeapStart, "heap-start-MB")
	b.ReportMetric(f.ListS, "list-s")
	b.ReportMetric(f.IdleCPU*100, "idle-cpu-%")
	b.ReportMetric(f.IdleStart*100, "idle-start-cpu-%")
}

// measureChild runs TestNodeMemoryChild on home in a new process and
// returns its figures.
func measureChild(home string) (memoryFigures, error) {
	var f memoryFigures
	cmd := exec.Command(os.Args[0], "-test.run", "^TestNodeMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), memoryChildEnv+"="+home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return f, fmt.Errorf("measuring process: %w\n%s", err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, raw, ok := strings.Cut(sc.Text(), memoryFiguresTag); ok {
			return f, json.Unmarshal([]byte(raw), &f)
		}
	}
	return f, fmt.Errorf("measuring process printed no figures:\n%s", out)
}

// TestNodeMemoryChild is BenchmarkNodeMemory's measuring process; it does
// nothing unless run by it.
func TestNodeMemoryChild(t *testing.T) {
	home := os.Getenv(memoryChildEnv)
	if home == "" {
		t.Skip("run by BenchmarkNodeMemory")
	}
	ctx := context.Background()
	cfg := DefaultConfig(home)
	cfg.MDNS = false
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	start := time.Now()
	n, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	var f memoryFigures
	f.StartS = time.Since(start).Seconds()
	f.HeapStart, f.RSSStart = liveHeapMB(), rssMB(t)
	heapProfile(t, "heap-start.pprof")
	// Idle after start: what the node's own goroutines cost with nothing
	// asked of them (warming the biggest groups' display lists included).
	const idleStart = 10 * time.Second
	cpu := processCPU()
	<-time.After(idleStart)
	f.IdleStart = (processCPU() - cpu).Seconds() / idleStart.Seconds()
	cid, gid, err := homeGroup(home)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	p, err := n.MessagePage(cid, gid, -1, 50)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := n.Members(cid)
	if err != nil {
		t.Fatal(err)
	}
	f.ListS = time.Since(start).Seconds()
	f.Messages, f.Members = p.Total, len(ms)
	f.Heap, f.RSS = liveHeapMB(), rssMB(t)
	f.RSSFile = statusMB(t, "RssFile:")
	heapProfile(t, "heap-list.pprof")
	// Idle: what the node's own goroutines cost with nothing to do.
	const idle = 5 * time.Second
	cpu = processCPU()
	<-time.After(idle)
	f.IdleCPU = (processCPU() - cpu).Seconds() / idle.Seconds()
	raw, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(memoryFiguresTag + string(raw))
}

// homeGroup reads the community and group the home's marker names.
func homeGroup(home string) (cid, gid crdt.ID, err error) {
	raw, err := os.ReadFile(filepath.Join(home, memoryHomeDone))
	if err != nil {
		return cid, gid, err
	}
	f := strings.Fields(string(raw))
	if len(f) != 2 {
		return cid, gid, fmt.Errorf("%s: want a community and a group id", memoryHomeDone)
	}
	if cid, err = crdt.ParseID(f[0]); err != nil {
		return cid, gid, err
	}
	gid, err = crdt.ParseID(f[1])
	return cid, gid, err
}

// heapProfile writes the heap profile to name in the directory
// memoryProfileEnv names, if it names one.
func heapProfile(tb testing.TB, name string) {
	dir := os.Getenv(memoryProfileEnv)
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		tb.Fatal(err)
	}
}

func liveHeapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / 1e6
}

// rssMB reads the process's resident set from /proc/self/status.
func rssMB(tb testing.TB) float64 { return statusMB(tb, "VmRSS:") }

// statusMB reads the figure of field (in kB) from /proc/self/status.
func statusMB(tb testing.TB, field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb * 1024 / 1e6
		}
	}
	tb.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// buildMemoryHome writes a home holding a community of members members
// (the owner, four admins, the rest joining through invites of the owner
// and the admins in turn) and messages messages in its General group by
// random members, each sealed by the node's keys as the member's node
// would seal it. The ops go in through the owner node's replica, in
// batches of 512 as a sync would bring them.
func buildMemoryHome(home string, members, messages int) error {
	ctx := context.Background()
	if err := Init(home, "Olivia"); err != nil {
		return err
	}
	cfg := DefaultConfig(home)
	cfg.MDNS = false
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	n, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	comm, err := n.CreateCommunity(ctx, "Glow Team")
	if err != nil {
		return err
	}
	cid := comm.ID
	gs, err := n.Groups(cid)
	if err != nil {
		return err
	}
	var gid crdt.ID
	for _, g := range gs {
		if g.Name == api.DefaultGroupName {
			gid = g.ID
		}
	}
	body := func(v any) []byte {
		raw, err := crdt.EncodeAny(v)
		if err != nil {
			panic(err)
		}
		return raw
	}
	rng := rand.New(rand.NewPCG(22, 22))
	type inviter struct {
		s   crdt.Signer
		inv *crdt.Op
		key ed25519.PrivateKey
	}
	invite := func(s crdt.Signer, i int) (inviter, error) {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return inviter{}, err
		}
		inv, err := n.rep.Author(ctx, s, cid, crdt.ZeroID, crdt.KindInvite,
			body(&crdt.InviteBody{Key: pub, Role: crdt.RoleMember, Name: fmt.Sprintf("Glow Team %d", i)}))
		return inviter{s, inv, priv}, err
	}
	ingest := func(ops []*crdt.Op) error {
		for len(ops) > 0 {
			k := min(512, len(ops))
			_, errs, err := n.rep.IngestBatch(ctx, ops[:k])
			if err != nil {
				return err
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			ops = ops[k:]
		}
		return nil
	}
	owner, err := invite(n.id, 0)
	if err != nil {
		return err
	}
	keys := make([]testworld.Signer, members)
	join := func(inv inviter, from, to int) error {
		var ops []*crdt.Op
		for i := from; i < to; i++ {
			keys[i] = testworld.Member(i + 1)
			j, err := crdt.Sign(crdt.Op{Community: cid, Kind: crdt.KindJoin, Parents: []crdt.ID{inv.inv.ID()}, Height: inv.inv.Height + 1,
				Body: body(&crdt.JoinBody{Invite: inv.inv.ID().Bytes(), Proof: ed25519.Sign(inv.key, crdt.JoinProofMessage(cid, inv.inv.ID(), keys[i].Key())),
					Name: fmt.Sprintf("Distributor %d", i+1), Time: int64(1000 + i)})}, keys[i])
			if err != nil {
				return err
			}
			ops = append(ops, j)
		}
		return ingest(ops)
	}
	const admins = 4
	if err := join(owner, 0, admins); err != nil {
		return err
	}
	inviters := []inviter{owner}
	for i := range admins {
		if _, err := n.rep.Author(ctx, n.id, cid, crdt.ZeroID, crdt.KindRole,
			body(&crdt.RoleBody{Member: keys[i].PublicKey(), Role: crdt.RoleAdmin})); err != nil {
			return err
		}
		inv, err := invite(keys[i], i+1)
		if err != nil {
			return err
		}
		inviters = append(inviters, inv)
	}
	// The rest join in waves of 250 through each inviter in turn; each
	// admin's next op (a profile) merges what it saw, as a live node does.
	for from, w := admins, 0; from < members-1; w++ {
		to := min(from+250, members-1)
		inv := inviters[w%len(inviters)]
		if err := join(inv, from, to); err != nil {
			return err
		}
		if _, err := n.rep.Author(ctx, inv.s, cid, crdt.ZeroID, crdt.KindProfile,
			body(&crdt.ProfileBody{Name: fmt.Sprintf("Admin %d", w%len(inviters))})); err != nil {
			return err
		}
		from = to
	}
	// The owner's node merges the control heads, 16 at a time, as a live
	// admin's node does with the ops it writes; without it every post
	// would name thousands of heads to choose from.
	for {
		heads, err := n.rep.Heads(cid, crdt.ZeroID)
		if err != nil {
			return err
		}
		if len(heads) == 1 {
			break
		}
		if _, err := n.rep.Author(ctx, n.id, cid, crdt.ZeroID, crdt.KindProfile, body(&crdt.ProfileBody{Name: "Olivia"})); err != nil {
			return err
		}
	}
	// The messages arrive as a sync brings them, in batches of 512: each
	// written by a random member on the group's log, sealed by the group's
	// current keys (the owner's node seals them as the member's would),
	// then signed by the member.
	authors := keys[:members-1]
	prev, err := n.rep.Author(ctx, authors[0], cid, gid, crdt.KindMessage,
		body(&crdt.MessageBody{Text: "Welcome, everyone!", Time: 2000}))
	if err != nil {
		return err
	}
	for done := 1; done < messages; {
		batch := make([]*crdt.Op, 0, 512)
		err := n.rep.View(cid, func(c *crdt.Community) error {
			deps := c.ControlHeads()
			for ; done < messages && len(batch) < cap(batch); done++ {
				s := authors[rng.IntN(len(authors))]
				o := crdt.Op{Community: cid, Log: gid, Kind: crdt.KindMessage, Author: s.Key(), Deps: deps, Height: 1,
					Body: body(&crdt.MessageBody{Text: fmt.Sprintf("Tip %d: follow up with every new customer within 48 hours.", done), Time: int64(2000 + done)})}
				o.Parents, o.Height = []crdt.ID{prev.ID()}, prev.Height+1
				if err := n.keys.Seal(c, &o); err != nil {
					return fmt.Errorf("message %d: %w", done, err)
				}
				op, err := crdt.Sign(o, s)
				if err != nil {
					return err
				}
				batch = append(batch, op)
				prev = op
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := ingest(batch); err != nil {
			return err
		}
	}
	if err := n.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, memoryHomeDone), []byte(cid.String()+" "+gid.String()+"\n"), 0o600)
}
