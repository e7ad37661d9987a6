package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// `umbrellad demo` runs a small, living community in one process, to try
// the desktop app against: a leader and three distributors, each a separate
// node.Node with its own home and Badger store, listening only on
// 127.0.0.1 with mDNS off. The first run scripts a few days of history
// (backdated through the nodes' clocks); every run then prints a fresh
// invite link, and the members keep answering newcomers until interrupted.

// demoCommand is registered with the other commands in commands.go.
var demoCommand = command{"demo", "run a scripted demo community (Glow Team) to try the app with", func(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.linkFile, "link-file", "", "also write the invite link to this file (atomically) once the community is ready")
	fs.StringVar(&o.logLevel, "log-level", "warn", "the members' node logs: debug, info, warn or error")
}, cmdDemo}

// The cast, leader first. Names are display names; dirs are their homes
// under the demo's --home.
var demoCast = []struct{ name, dir string }{
	{"Olivia Reyes", "olivia"},
	{"Ben Carter", "ben"},
	{"Chloe Nguyen", "chloe"},
	{"Dev Patel", "dev"},
}

const (
	demoCommunity   = "Glow Team"
	demoTraining    = "Training"
	demoWins        = "Wins & Recognition"
	demoProducts    = "Product questions"
	demoDescription = "Olivia's team of Glow distributors: announcements, weekly training, wins to celebrate and answers to every product question. Be kind, cheer each other on, and ask anything."

	// demoMaxNewcomers bounds how many newcomers the members greet in one
	// run; each newcomer gets at most a welcome, a wave and one answer.
	demoMaxNewcomers = 25
	// demoPatience bounds every wait of the script (a message reaching a
	// member, keys arriving); a step that takes longer fails the demo.
	demoPatience = 90 * time.Second
)

// demoClock is the members' shared wall clock. While the first run scripts
// its history the clock runs behind, so messages carry times spread over
// the last two days; it only ever moves forward, and catches up with real
// time before anyone else can join.
type demoClock struct{ offset atomic.Int64 } // nanoseconds, ≤ 0, never decreases

// newDemoClock returns a clock that runs behind real time by behind.
func newDemoClock(behind time.Duration) *demoClock {
	c := &demoClock{}
	c.offset.Store(-int64(behind))
	return c
}

func (c *demoClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// set moves the clock to t, if that is later than it shows now.
func (c *demoClock) set(t time.Time) {
	d := time.Until(t)
	for {
		cur := c.offset.Load()
		if int64(d) <= cur || c.offset.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// demoDay is hh:mm on the day days from today (local time): the script's
// first day is two days ago, so its times are real office hours; the
// last steps run an hour or so before now.
func demoDay(days, hh, mm int) time.Time {
	y, m, dd := time.Now().Date()
	return time.Date(y, m, dd+days, hh, mm, 0, 0, time.Local)
}

// demo is one run of the demo command.
type demo struct {
	out   io.Writer // the story, for people
	clock *demoClock
	nodes []*node.Node // in demoCast order

	community crdt.ID
	announce  crdt.ID
	general   crdt.ID
	training  crdt.ID
	wins      crdt.ID
	products  crdt.ID
}

func (d *demo) leader() *node.Node { return d.nodes[0] }
func (d *demo) ben() *node.Node    { return d.nodes[1] }
func (d *demo) chloe() *node.Node  { return d.nodes[2] }
func (d *demo) dev() *node.Node    { return d.nodes[3] }

func (d *demo) say(format string, a ...any) { fmt.Fprintf(d.out, "demo: "+format+"\n", a...) }

func cmdDemo(ctx context.Context, o *opts) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("--log-level: %v", err)
	}
	if o.linkFile != "" {
		if st, err := os.Stat(filepath.Dir(o.linkFile)); err != nil || !st.IsDir() {
			return usagef("--link-file %s: its directory does not exist", o.linkFile)
		}
	}
	home := o.home
	if !o.set["home"] {
		// Not the user's own data directory: a demo is thrown away.
		tmp, err := os.MkdirTemp("", "umbrella-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		home = tmp
	}
	log := slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: level}))
	fresh := !node.HasIdentity(filepath.Join(home, demoCast[0].dir))
	d := &demo{out: o.stderr, clock: newDemoClock(0)}
	if fresh {
		d.clock = newDemoClock(time.Since(demoDay(-2, 9, 0)))
	}
	defer d.close()
	if err := d.open(ctx, home, log); err != nil {
		return demoErr(ctx, err)
	}
	if fresh {
		d.say("scripting two days of %s in %s …", demoCommunity, home)
		if err := d.script(ctx); err != nil {
			return demoErr(ctx, fmt.Errorf("script: %w", err))
		}
	} else if err := d.resume(); err != nil {
		return err
	}
	d.clock.set(time.Now())

	var wg sync.WaitGroup
	botCtx, stopBots := context.WithCancel(ctx)
	defer func() { stopBots(); wg.Wait() }()
	d.startBots(botCtx, &wg)

	link, err := d.leader().CreateInvite(ctx, d.community, api.InviteOptions{})
	if err != nil {
		return demoErr(ctx, fmt.Errorf("invite: %w", err))
	}
	if o.linkFile != "" {
		if err := writeFileAtomic(o.linkFile, []byte(link+"\n"), 0o600); err != nil {
			return fmt.Errorf("--link-file: %w", err)
		}
	}
	if err := output(o, map[string]any{"link": link, "community": d.community, "home": home}, func(w io.Writer) {
		fmt.Fprintf(w, "%s is ready with %d members. Join it with this link (it works for 7 days):\n%s\n", demoCommunity, len(demoCast), link)
	}); err != nil {
		return err
	}
	d.say("running; newcomers get a welcome. Stop with Ctrl+C.")
	<-ctx.Done()
	d.say("stopping")
	return nil
}

// demoErr hides the error of a step that an interrupt cut short.
func demoErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// open starts every member's node, creating its identity on the first run.
func (d *demo) open(ctx context.Context, home string, log *slog.Logger) error {
	for _, m := range demoCast {
		dir := filepath.Join(home, m.dir)
		if !node.HasIdentity(dir) {
			if err := node.Init(dir, m.name); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
		}
		cfg := node.DefaultConfig(dir)
		cfg.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
		cfg.MDNS = false
		cfg.Now = d.clock.Now
		cfg.Logger = log.With("member", m.name)
		n, err := node.Open(ctx, cfg)
		if errors.Is(err, node.ErrHomeInUse) {
			return fmt.Errorf("%s is in use by another umbrellad demo", dir)
		}
		if err != nil {
			return fmt.Errorf("start %s: %w", m.name, err)
		}
		d.nodes = append(d.nodes, n)
	}
	return nil
}

func (d *demo) close() {
	for _, n := range d.nodes {
		n.Close()
	}
}

// resume finds the community and groups an earlier run scripted.
func (d *demo) resume() error {
	for _, c := range d.leader().Communities() {
		if c.Name == demoCommunity && c.Role == "owner" {
			d.community = c.ID
		}
	}
	if d.community.IsZero() {
		return errors.New("this --home holds an unfinished demo; remove it or pass another --home")
	}
	gs, err := d.leader().Groups(d.community)
	if err != nil {
		return err
	}
	byName := map[string]*crdt.ID{api.DefaultGroupName: &d.general, demoTraining: &d.training, demoWins: &d.wins, demoProducts: &d.products}
	for _, g := range gs {
		if g.Kind == api.GroupAnnouncement {
			d.announce = g.ID
		} else if p := byName[g.Name]; p != nil {
			*p = g.ID
		}
	}
	for _, id := range []crdt.ID{d.announce, d.general, d.training, d.wins, d.products} {
		if id.IsZero() {
			return errors.New("this --home holds an unfinished demo; remove it or pass another --home")
		}
	}
	d.say("resuming %s from an earlier run", demoCommunity)
	return nil
}

// script writes the community's first two days: settings, groups, joins,
// announcements, training, a win, a product question, a poll and a pin.
// Each step runs at a time of the backdated clock.
func (d *demo) script(ctx context.Context) error {
	olivia, ben, chloe, dev := d.leader(), d.ben(), d.chloe(), d.dev()
	c, err := olivia.CreateCommunity(ctx, demoCommunity)
	if err != nil {
		return err
	}
	d.community = c.ID
	s, err := olivia.Settings(c.ID)
	if err != nil {
		return err
	}
	s.Description = demoDescription
	if err := olivia.UpdateSettings(ctx, c.ID, s); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	gs, err := olivia.Groups(c.ID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.Kind == api.GroupAnnouncement {
			d.announce = g.ID
		} else if g.Name == api.DefaultGroupName {
			d.general = g.ID
		}
	}
	for _, g := range []struct {
		id          *crdt.ID
		name, about string
	}{
		{&d.training, demoTraining, "Weekly training call notes, scripts and how-tos"},
		{&d.wins, demoWins, "Every sale, rank-up and first — big or small — celebrated here"},
		{&d.products, demoProducts, "Ingredients, routines, orders: no question is too small"},
	} {
		grp, err := olivia.CreateGroup(ctx, c.ID, g.name, g.about, "open")
		if err != nil {
			return fmt.Errorf("group %s: %w", g.name, err)
		}
		*g.id = grp.ID
	}
	if err := d.setSteps(ctx); err != nil {
		return err
	}
	link, err := olivia.CreateInvite(ctx, c.ID, api.InviteOptions{})
	if err != nil {
		return err
	}

	d.clock.set(demoDay(-2, 9, 2))
	for i, n := range d.nodes[1:] {
		if _, err := n.Join(ctx, link); err != nil {
			return fmt.Errorf("%s joins: %w", demoCast[i+1].name, err)
		}
		for _, g := range []crdt.ID{d.training, d.wins, d.products} {
			if err := d.retry(ctx, n, func() error { return n.JoinGroup(ctx, c.ID, g) }); err != nil {
				return fmt.Errorf("%s joins a group: %w", demoCast[i+1].name, err)
			}
		}
	}
	if err := olivia.SetRole(ctx, c.ID, chloe.Self().PeerID, "admin"); err != nil {
		return fmt.Errorf("make Chloe an admin: %w", err)
	}

	d.clock.set(demoDay(-2, 9, 5))
	if _, err := d.post(ctx, olivia, d.announce, "Welcome to Glow Team! ✨ This is our home: announcements here, training in Training, celebrations in Wins & Recognition and help in Product questions. Say hi in General and tell us what drew you to Glow — I'm so glad you're here. — Olivia"); err != nil {
		return err
	}
	d.clock.set(demoDay(-2, 9, 12))
	start, err := d.post(ctx, olivia, d.general, "📌 Start here — your first week:\n1. Read the first training in Training (10 minutes).\n2. Write down 20 people who would love our products.\n3. Book your first launch party with your sponsor.\n4. Ask anything in Product questions — no question is too small!")
	if err != nil {
		return err
	}
	if err := olivia.Pin(ctx, c.ID, d.general, start, true); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	d.clock.set(demoDay(-2, 9, 40))
	hi, err := d.post(ctx, ben, d.general, "Hi everyone! Ben here, I started last week. Excited and a little nervous 😅")
	if err != nil {
		return err
	}
	d.clock.set(demoDay(-2, 9, 52))
	if err := d.await(ctx, chloe, "Chloe to see Ben's hello", d.has(chloe, d.general, hi)); err != nil {
		return err
	}
	if _, err := d.reply(ctx, chloe, d.general, hi, "Welcome @Ben Carter! Nervous is normal, we all started there. Message me any time — and the 📌 Start here list above is the best first step."); err != nil {
		return err
	}

	d.clock.set(demoDay(-1, 10, 30))
	tr, err := d.post(ctx, chloe, d.training, "🎓 Training: the three-question conversation\n1. \"What do you love about your skincare today?\"\n2. \"What would you change about it?\"\n3. \"Can I send you a sample to try this week?\"\nListen more than you talk. Try it with three people before Thursday and tell us how it went!")
	if err != nil {
		return err
	}
	if err := d.reactAll(ctx, d.training, tr, "🙌", olivia, dev); err != nil {
		return err
	}

	d.clock.set(demoDay(-1, 12, 15))
	q, err := d.post(ctx, dev, d.products, "Quick question: a customer with sensitive skin asked if the Radiance Vitamin C Serum is OK for her. What should I tell her?")
	if err != nil {
		return err
	}
	d.clock.set(demoDay(-1, 12, 40))
	if err := d.await(ctx, olivia, "Olivia to see Dev's question", d.has(olivia, d.products, q)); err != nil {
		return err
	}
	ans, err := d.reply(ctx, olivia, d.products, q, "Great question, @Dev Patel! The serum is fragrance-free and dermatologist-tested, but for sensitive skin always suggest a patch test on the inner arm for 24 hours first, then every other evening to start, with the Gentle Moisturiser. The ingredient sheet is in Training if she wants the details.")
	if err != nil {
		return err
	}
	// Product questions is a Q&A group: the answer goes into the FAQ.
	if err := d.retry(ctx, olivia, func() error { return olivia.MarkAnswer(ctx, c.ID, d.products, q, ans) }); err != nil {
		return fmt.Errorf("mark the answer: %w", err)
	}

	d.clock.set(demoDay(-1, 16, 0))
	if _, err := d.retryID(ctx, olivia, func() (crdt.ID, error) {
		return olivia.CreatePromo(ctx, c.ID, api.PromoDraft{Title: "Radiance week: 20% off every set",
			Text: "20% off every Radiance set for your customers, and free shipping on orders over $60. Share it with your list this weekend — the graphics are in Training.",
			Ends: demoDay(4, 23, 59), Code: "GLOW20"})
	}); err != nil {
		return fmt.Errorf("promotion: %w", err)
	}

	d.clock.set(demoDay(-1, 18, 0))
	poll, err := d.retryID(ctx, olivia, func() (crdt.ID, error) {
		return olivia.CreatePoll(ctx, c.ID, d.general, "Which evening suits our weekly training call?", []string{"Monday 7 pm", "Wednesday 7 pm", "Thursday 7 pm"}, false, time.Time{})
	})
	if err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	for _, v := range []struct {
		n      *node.Node
		choice int
	}{{ben, 1}, {chloe, 1}, {dev, 2}} {
		if err := d.await(ctx, v.n, "the poll to reach a voter", d.has(v.n, d.general, poll)); err != nil {
			return err
		}
		if err := d.retry(ctx, v.n, func() error { return v.n.Vote(ctx, c.ID, d.general, poll, []int{v.choice}) }); err != nil {
			return fmt.Errorf("vote: %w", err)
		}
	}

	d.clock.set(demoDay(-1, 18, 30))
	call, err := d.trainingCall(ctx)
	if err != nil {
		return err
	}

	d.clock.set(demoDay(-1, 19, 10))
	benWin, err := d.retryID(ctx, olivia, func() (crdt.ID, error) {
		// In the announcements, so every member's Wall of wins shows it.
		return olivia.Celebrate(ctx, c.ID, d.announce, ben.Self().PeerID, crdt.BadgeFirstSale, "Ben made his first sale: a Radiance set to his neighbour! 🎉")
	})
	if err != nil {
		return fmt.Errorf("celebrate Ben: %w", err)
	}
	if err := d.reactAll(ctx, d.announce, benWin, "🎉", chloe, dev); err != nil {
		return err
	}

	d.clock.set(demoDay(-1, 20, 30))
	win, err := d.post(ctx, dev, d.wins, "🎉 First week done: 5 happy customers and my first $500 in sales! Thank you @Olivia Reyes and @Chloe Nguyen for all the help.")
	if err != nil {
		return err
	}
	if err := d.reactAll(ctx, d.wins, win, "🎉", olivia, chloe, ben); err != nil {
		return err
	}
	if err := d.reactAll(ctx, d.wins, win, "👏", ben, chloe); err != nil {
		return err
	}
	d.clock.set(demoDay(-1, 20, 45))
	if _, err := d.reply(ctx, olivia, d.wins, win, "So proud of you, Dev! 👏 That's a Rising Star mention on Thursday's call."); err != nil {
		return err
	}

	d.clock.set(time.Now().Add(-3 * time.Hour))
	gold, err := d.post(ctx, olivia, d.wins, "🏆 Shout-out to @Chloe Nguyen, who reached Gold Leader this month with 12 people on her team. You lead by example, Chloe!")
	if err != nil {
		return err
	}
	if err := d.reactAll(ctx, d.wins, gold, "🎉", ben, dev); err != nil {
		return err
	}
	d.clock.set(time.Now().Add(-2 * time.Hour))
	if _, err := d.post(ctx, olivia, d.general, "Don't forget to vote in the poll above ☝️ so we can pick our training evening. @Ben Carter @Dev Patel — your first call is this week!"); err != nil {
		return err
	}
	d.clock.set(time.Now().Add(-1 * time.Hour))
	if _, err := d.post(ctx, olivia, d.training, "The recording of our last call is up: \"Following up without being pushy\" (22 min). The one idea to keep: follow up within 48 hours, and always bring something useful — a tip, a sample or a thank-you."); err != nil {
		return err
	}

	// The leader is who newcomers join through: wait until she holds what
	// everyone wrote, so a newcomer sees the whole story at once.
	return d.await(ctx, olivia, "Olivia to hold every vote and reaction", func() bool {
		m, err := olivia.Message(c.ID, d.general, poll)
		if err != nil || m.Poll == nil || m.Poll.Voters < 3 {
			return false
		}
		w, err := olivia.Message(c.ID, d.wins, gold)
		if err != nil || len(w.Reactions) == 0 || w.Reactions[0].Count < 2 {
			return false
		}
		e, err := olivia.Event(c.ID, call)
		return err == nil && e.Going+e.Maybe >= 3
	})
}

// demoSteps are Olivia's first steps for newcomers; link names the group
// a step opens ("" for none).
var demoSteps = []struct{ title, text, link string }{
	{"Read the first training", "Ten minutes on the three-question conversation, in Training.", demoTraining},
	{"Write your list of 20 contacts", "Friends, family, neighbours: everyone who would love our products. Don't judge, just write.", ""},
	{"Join Thursday's training call", "Every Thursday at 7 pm: answer Going on the event in General so we expect you.", api.DefaultGroupName},
	{"Ask your first question", "Anything about products or orders: no question is too small.", demoProducts},
	{"Book your first launch party", "Pick a date with your sponsor and invite five people from your list.", ""},
}

// setSteps has Olivia write the community's welcome and first steps and
// mark Product questions as a Q&A group.
func (d *demo) setSteps(ctx context.Context) error {
	olivia := d.leader()
	groups := map[string]crdt.ID{demoTraining: d.training, demoProducts: d.products, api.DefaultGroupName: d.general}
	var steps []api.StepDraft
	for _, s := range demoSteps {
		st := api.StepDraft{Title: s.title, Text: s.text}
		if s.link != "" {
			g := groups[s.link]
			st.Group = &g
		}
		steps = append(steps, st)
	}
	welcome := "Welcome to Glow Team, {name}! ✨ Start with your first steps below, one at a time — and ask me anything. — Olivia"
	if err := olivia.SetSteps(ctx, d.community, steps, welcome); err != nil {
		return fmt.Errorf("first steps: %w", err)
	}
	if err := olivia.SetQA(ctx, d.community, d.products, true); err != nil {
		return fmt.Errorf("Q&A group: %w", err)
	}
	return nil
}

// trainingCall has Chloe create Thursday's training call as an event in
// General, where every member (a newcomer too) sees it, and the others
// answer it.
func (d *demo) trainingCall(ctx context.Context) (crdt.ID, error) {
	chloe := d.chloe()
	starts := demoDay(0, 19, 0)
	for starts.Weekday() != time.Thursday || !starts.After(time.Now()) {
		starts = starts.AddDate(0, 0, 1)
	}
	call, err := d.retryID(ctx, chloe, func() (crdt.ID, error) {
		return chloe.CreateEvent(ctx, d.community, d.general, api.EventDraft{Title: "Thursday training call", Starts: starts, Duration: time.Hour,
			Where: "https://meet.glow.example/thursday", Text: "Following up without being pushy, and your questions. Bring your list of 20!"})
	})
	if err != nil {
		return crdt.ID{}, fmt.Errorf("event: %w", err)
	}
	for _, a := range []struct {
		n      *node.Node
		answer string
	}{{chloe, "going"}, {d.leader(), "going"}, {d.ben(), "going"}, {d.dev(), "maybe"}} {
		if err := d.await(ctx, a.n, "the event to reach a member", d.has(a.n, d.general, call)); err != nil {
			return crdt.ID{}, err
		}
		if err := d.retry(ctx, a.n, func() error { return a.n.RSVP(ctx, d.community, call, a.answer) }); err != nil {
			return crdt.ID{}, fmt.Errorf("rsvp: %w", err)
		}
	}
	return call, nil
}

// post writes text in group g as n, waiting for keys if need be.
func (d *demo) post(ctx context.Context, n *node.Node, g crdt.ID, text string) (crdt.ID, error) {
	id, err := d.retryID(ctx, n, func() (crdt.ID, error) { return n.Post(ctx, d.community, g, text) })
	if err != nil {
		return id, fmt.Errorf("%s posts: %w", n.Self().Name, err)
	}
	return id, nil
}

// reply answers message to in group g as n.
func (d *demo) reply(ctx context.Context, n *node.Node, g, to crdt.ID, text string) (crdt.ID, error) {
	id, err := d.retryID(ctx, n, func() (crdt.ID, error) { return n.Reply(ctx, d.community, g, to, text) })
	if err != nil {
		return id, fmt.Errorf("%s replies: %w", n.Self().Name, err)
	}
	return id, nil
}

// reactAll has each of ns react with emoji once the message reaches it.
func (d *demo) reactAll(ctx context.Context, g, msg crdt.ID, emoji string, ns ...*node.Node) error {
	for _, n := range ns {
		if err := d.await(ctx, n, n.Self().Name+" to see the message to react to", d.has(n, g, msg)); err != nil {
			return err
		}
		if err := d.retry(ctx, n, func() error { return n.React(ctx, d.community, g, msg, emoji, true) }); err != nil {
			return fmt.Errorf("%s reacts: %w", n.Self().Name, err)
		}
	}
	return nil
}

// has reports whether n holds message id of group g.
func (d *demo) has(n *node.Node, g, id crdt.ID) func() bool {
	return func() bool { _, err := n.Message(d.community, g, id); return err == nil }
}

// await re-checks cond whenever n reports a change, and at least twice a
// second (a subscriber that falls behind loses events), until it holds or
// demoPatience passes.
func (d *demo) await(ctx context.Context, n *node.Node, what string, cond func() bool) error {
	events, stop := n.Subscribe()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, demoPatience)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-events:
		case <-tick.C:
		}
	}
	return nil
}

// retry runs a write until it stops failing for want of keys (a member
// that just joined asks for them), within demoPatience.
func (d *demo) retry(ctx context.Context, n *node.Node, write func() error) error {
	var err error
	waitErr := d.await(ctx, n, "the group's keys", func() bool {
		err = write()
		return !errors.Is(err, api.ErrNoKeys) && !errors.Is(err, api.ErrKeysRenewing)
	})
	if err == nil {
		return nil
	}
	if waitErr != nil && ctx.Err() == nil {
		return fmt.Errorf("%w (%w)", err, waitErr)
	}
	return err
}

func (d *demo) retryID(ctx context.Context, n *node.Node, write func() (crdt.ID, error)) (crdt.ID, error) {
	var id crdt.ID
	err := d.retry(ctx, n, func() error {
		var err error
		id, err = write()
		return err
	})
	return id, err
}

// startBots starts the members' reactions to newcomers: the leader welcomes
// each in General and answers their first product question, and Ben waves
// at their first message. Whoever is a member now is no newcomer.
func (d *demo) startBots(ctx context.Context, wg *sync.WaitGroup) {
	known := map[string]bool{}
	for _, n := range d.nodes {
		known[n.Self().PeerID] = true
	}
	if ms, err := d.leader().Members(d.community); err == nil {
		for _, m := range ms {
			known[m.PeerID] = true
		}
	}
	wg.Add(2)
	go func() { defer wg.Done(); d.leaderBot(ctx, maps.Clone(known)) }()
	go func() { defer wg.Done(); d.benBot(ctx, maps.Clone(known)) }()
}

// newcomer is what the leader has done for one newcomer.
type newcomer struct {
	name               string
	welcomed, answered bool
}

// leaderBot welcomes newcomers and answers their first product question.
// Each newcomer gets at most one welcome and one answer; at most
// demoMaxNewcomers are greeted in a run.
func (d *demo) leaderBot(ctx context.Context, known map[string]bool) {
	olivia := d.leader()
	events, stop := olivia.Subscribe()
	defer stop()
	seen := map[string]*newcomer{}
	tick := time.NewTicker(2 * time.Second) // events may be dropped; look now and then
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Community != d.community && !ev.Community.IsZero() {
				continue
			}
		case <-tick.C:
		}
		ms, err := olivia.Members(d.community)
		if err != nil {
			continue
		}
		for _, m := range ms {
			if known[m.PeerID] || seen[m.PeerID] != nil {
				continue
			}
			if len(seen) >= demoMaxNewcomers {
				known[m.PeerID] = true
				continue
			}
			nc := &newcomer{name: m.Name}
			seen[m.PeerID] = nc
			nc.welcomed = true // once, whether or not the post succeeds
			text := fmt.Sprintf("Welcome @%s! 🎉 We're so happy you're here. Start with the 📌 \"Start here\" message pinned at the top of General — it walks you through your first week. Then say hi and tell us where you're from! Product questions go in %s; we answer fast.", m.Name, demoProducts)
			if _, err := d.post(ctx, olivia, d.general, text); err != nil {
				d.say("could not welcome %s: %v", m.Name, err)
			} else {
				d.say("Olivia welcomed %s", m.Name)
			}
		}
		page, err := olivia.MessagePage(d.community, d.products, -1, 50)
		if err != nil {
			continue
		}
		for _, msg := range page.Messages {
			nc := seen[msg.Author]
			if nc == nil || nc.answered || msg.Deleted || msg.Hidden != "" {
				continue
			}
			nc.answered = true
			text := fmt.Sprintf("Great question, @%s! 😊 I'll go through it on Thursday's training call too. Meanwhile the product guide in Training covers ingredients, routines and prices, and @Chloe Nguyen knows our skincare line inside out — ask away any time.", nc.name)
			if _, err := d.reply(ctx, olivia, d.products, msg.ID, text); err != nil {
				d.say("could not answer %s: %v", nc.name, err)
			} else {
				d.say("Olivia answered %s's question", nc.name)
			}
		}
	}
}

// benBot has Ben wave 👋 at each newcomer's first message, in any group he
// is in; at most demoMaxNewcomers waves in a run.
func (d *demo) benBot(ctx context.Context, known map[string]bool) {
	ben := d.ben()
	events, stop := ben.Subscribe()
	defer stop()
	tick := time.NewTicker(2 * time.Second) // events may be dropped; look now and then
	defer tick.Stop()
	waved := map[string]bool{}
	wave := func(g crdt.ID) {
		page, err := ben.MessagePage(d.community, g, -1, 50)
		if err != nil {
			return
		}
		for _, msg := range page.Messages {
			if known[msg.Author] || waved[msg.Author] || msg.Deleted || msg.Hidden != "" || len(waved) >= demoMaxNewcomers {
				continue
			}
			waved[msg.Author] = true
			if err := d.retry(ctx, ben, func() error { return ben.React(ctx, d.community, g, msg.ID, "👋", true) }); err != nil {
				d.say("Ben could not wave at %s: %v", msg.AuthorName, err)
			} else {
				d.say("Ben waved at %s", msg.AuthorName)
			}
		}
	}
	for len(waved) < demoMaxNewcomers {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Kind == api.EventMessages && ev.Community == d.community {
				wave(ev.Group)
			}
		case <-tick.C:
			for _, g := range []crdt.ID{d.general, d.training, d.wins, d.products} {
				wave(g)
			}
		}
	}
	d.say("Ben has waved at %d newcomers; that is enough for one run", demoMaxNewcomers)
	<-ctx.Done()
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader never sees half of it.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
