package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/view"
)

// teamCommands are what a direct-selling team does every week: celebrate
// wins, run promotions, answer questions into an FAQ, keep collections of
// tips, and hold events that members answer.
var teamCommands = []command{
	{"celebrate", "celebrate a member's win with a badge (" + strings.Join(crdt.Badges, ", ") + ")", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.member, "member", "", "peer id of the member celebrated (required)")
		fs.StringVar(&o.team.badge, "badge", "", "one of "+strings.Join(crdt.Badges, ", ")+" (required)")
		fs.StringVar(&o.text, "text", "", "a line about the win")
		fs.StringVar(&o.group, "group", "", "the group to post it in (default: announcements for admins, else the first group open to everyone)")
	}, cmdCelebrate},
	{"wins", "list a community's wins, newest first (the wall of wins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.member, "member", "", "only this member's wins (a peer id)")
	}, cmdWins},
	{"wins settings", "choose who may celebrate wins (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.adminsOnlyFlag, "admins-only", "", "yes: only admins celebrate; no: everyone who may post (required)")
	}, cmdWinsSettings},
	{"promo create", "post a promotion in the announcements (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.title, "title", "", "the promotion's title (required)")
		fs.StringVar(&o.text, "text", "", "what it offers")
		fs.StringVar(&o.team.ends, "ends", "", "when it ends: a duration from now (48h), a local date and time (2026-12-01 18:00) or RFC 3339 (required)")
		fs.StringVar(&o.team.starts, "starts", "", "when it starts, as --ends (default: now)")
		fs.StringVar(&o.team.code, "code", "", "a promotion code")
		fs.StringVar(&o.path, "file", "", "an image or file to show with it, shared in the announcements first")
	}, cmdPromoCreate},
	{"promo end", "end a running promotion now (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.message, "promo", "", "the promotion's id (required)")
	}, cmdPromoEnd},
	{"promos", "list a community's running promotions, the soonest to end first", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.BoolVar(&o.team.all, "all", false, "also those ended or not started yet")
	}, cmdPromos},
	{"qa set", "make a group a Q&A group, where each top-level message is a question (admins)", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		fs.BoolVar(&o.remove, "off", false, "make it an ordinary group again")
	}, cmdQASet},
	{"answer", "mark a reply as the answer to a question of a Q&A group (the asker or an admin)", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		fs.StringVar(&o.team.question, "question", "", "the question's id (required)")
		fs.StringVar(&o.team.answer, "answer", "", "the reply's id (required unless --unmark)")
		fs.BoolVar(&o.remove, "unmark", false, "take the mark back")
	}, cmdAnswer},
	{"faq", "list the answered questions of a community's Q&A groups", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.search, "search", "", "only those whose question or answer contains this")
	}, cmdFAQ},
	{"questions", "list the questions of a community's Q&A groups, oldest first", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.BoolVar(&o.team.unanswered, "unanswered", false, "only those not answered yet")
	}, cmdQuestions},
	{"collect", "save a message into a named collection such as Tips (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.collection, "collection", "", "the collection's name (required)")
		fs.StringVar(&o.message, "message", "", "the message's id (required)")
		fs.BoolVar(&o.remove, "remove", false, "take it out of the collection")
	}, cmdCollect},
	{"collections", "list a community's collections and their messages", communityFlag, cmdCollections},
	{"event create", "create an event in a group", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		eventFlags(fs, o)
	}, cmdEventCreate},
	{"event edit", "change an event (its creator or an admin)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.event, "event", "", "the event's id (required)")
		fs.StringVar(&o.team.title, "title", "", "the event's new title (default: unchanged)")
		fs.StringVar(&o.team.starts, "starts", "", "when it starts now, as event create takes it (default: unchanged)")
		fs.StringVar(&o.team.duration, "duration", "", "how long it lasts now (default: unchanged)")
		fs.StringVar(&o.team.where, "where", "", "an address or a link (default: unchanged)")
		fs.StringVar(&o.text, "text", "", "what it is about (default: unchanged)")
		fs.StringVar(&o.team.call, "call", "", "link it to a voice or video call of its group, or none (default: unchanged)")
	}, cmdEventEdit},
	{"rsvp", "answer an event: going, maybe or no (none withdraws)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.event, "event", "", "the event's id (required)")
		fs.StringVar(&o.team.answer, "answer", "", "going, maybe, no or none (required)")
	}, cmdRSVP},
	{"events", "list a community's upcoming events with their answers", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.BoolVar(&o.team.all, "all", false, "also past events")
	}, cmdEvents},
	{"event ics", "write an event as an iCalendar (.ics) file for a calendar", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.team.event, "event", "", "the event's id (required)")
		fs.StringVar(&o.path, "out", "", "the file to write (required)")
	}, cmdEventICS},
}

func init() { commands = append(commands, teamCommands...) }

// teamOpts are the flags of teamCommands.
type teamOpts struct {
	badge, title, ends, starts, code     string
	question, answer, search, collection string
	event, duration, where, call         string
	adminsOnlyFlag                       string // wins settings --admins-only yes|no
	all, unanswered                      bool
}

// teamArgs are the control API arguments of teamMethods beyond args'.
type teamArgs struct {
	Badge      string        `json:"badge,omitempty"`
	Title      string        `json:"title,omitempty"`
	Starts     time.Time     `json:"starts,omitzero"`
	Ends       time.Time     `json:"ends,omitzero"`
	Duration   time.Duration `json:"duration,omitempty"`
	Where      string        `json:"where,omitempty"`
	Call       string        `json:"call,omitempty"` // an event's call: voice, video or none
	Code       string        `json:"code,omitempty"`
	Question   crdt.ID       `json:"question,omitzero"`
	Answer     crdt.ID       `json:"answer,omitzero"`
	RSVP       string        `json:"rsvp,omitempty"`
	Search     string        `json:"search,omitempty"`
	Collection string        `json:"collection,omitempty"`
	All        bool          `json:"all,omitempty"`
	Unanswered bool          `json:"unanswered,omitempty"`
	// File is the path of the file a promotion shows, on the daemon's
	// machine: stored and shown on the card alone (node.CreatePromo).
	File string `json:"file,omitempty"`
}

func eventFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.team.title, "title", "", "the event's title (required)")
	fs.StringVar(&o.team.starts, "starts", "", "when it starts: a duration from now (48h), a local date and time (2026-12-10 19:00) or RFC 3339 (required)")
	fs.StringVar(&o.team.duration, "duration", "1h", "how long it lasts")
	fs.StringVar(&o.team.where, "where", "", "an address or a link")
	fs.StringVar(&o.text, "text", "", "what it is about")
	fs.StringVar(&o.team.call, "call", "", "voice or video: at its start, members join the group's call from the event")
}

// teamActions is what the team methods need of the node.
type teamActions interface {
	Celebrate(ctx context.Context, cid, gid crdt.ID, member, badge, text string) (crdt.ID, error)
	SetAdminsCelebrate(ctx context.Context, cid crdt.ID, only bool) error
	Wins(cid crdt.ID, member string) ([]api.Win, error)
	CreatePromo(ctx context.Context, cid crdt.ID, d api.PromoDraft) (crdt.ID, error)
	EndPromo(ctx context.Context, cid, promo crdt.ID) error
	Promos(cid crdt.ID, all bool) ([]api.Promo, error)
	SetQA(ctx context.Context, cid, gid crdt.ID, on bool) error
	MarkAnswer(ctx context.Context, cid, gid, question, answer crdt.ID) error
	FAQ(cid crdt.ID, search string) ([]api.FAQEntry, error)
	Questions(cid crdt.ID, unanswered bool) ([]api.Question, error)
	Collect(ctx context.Context, cid, msg crdt.ID, collection string, on bool) error
	Collections(cid crdt.ID) ([]api.Collection, error)
	CreateEvent(ctx context.Context, cid, gid crdt.ID, d api.EventDraft) (crdt.ID, error)
	EditEvent(ctx context.Context, cid, event crdt.ID, d api.EventDraft) error
	RSVP(ctx context.Context, cid, event crdt.ID, answer string) error
	Events(cid crdt.ID, all bool) ([]api.CalendarEvent, error)
	Event(cid, id crdt.ID) (api.CalendarEvent, error)
}

var _ teamActions = (*node.Node)(nil)

// teamMethods are the control API methods behind teamCommands.
func teamMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	t, ok := n.(teamActions)
	if !ok {
		return nil
	}
	team := func(a args) teamArgs {
		if a.Team == nil {
			return teamArgs{}
		}
		return *a.Team
	}
	return map[string]func(context.Context, args) (any, error){
		"celebrate": func(ctx context.Context, a args) (any, error) {
			if err := needMember(a); err != nil {
				return nil, err
			}
			return opID(t.Celebrate(ctx, a.Community, a.Group, a.Member, team(a).Badge, a.Text))
		},
		"wins": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.Wins(a.Community, a.Member)
		},
		"wins.settings": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(t.SetAdminsCelebrate(ctx, a.Community, a.On))
		},
		"promo.create": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			ta := team(a)
			return opID(t.CreatePromo(ctx, a.Community, api.PromoDraft{Title: ta.Title, Text: a.Text, Starts: ta.Starts, Ends: ta.Ends, Code: ta.Code, File: ta.File}))
		},
		"promo.end": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(t.EndPromo(ctx, a.Community, a.Message))
		},
		"promos": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.Promos(a.Community, team(a).All)
		},
		"qa.set": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			return done(t.SetQA(ctx, a.Community, a.Group, a.On))
		},
		"answer": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			return done(t.MarkAnswer(ctx, a.Community, a.Group, team(a).Question, team(a).Answer))
		},
		"faq": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.FAQ(a.Community, team(a).Search)
		},
		"questions": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.Questions(a.Community, team(a).Unanswered)
		},
		"collect": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(t.Collect(ctx, a.Community, a.Message, team(a).Collection, a.On))
		},
		"collections": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.Collections(a.Community)
		},
		"event.create": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			ta := team(a)
			return opID(t.CreateEvent(ctx, a.Community, a.Group, api.EventDraft{Title: ta.Title, Where: ta.Where, Text: a.Text, Starts: ta.Starts, Duration: ta.Duration, Call: ta.Call}))
		},
		"event.edit": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			ta := team(a)
			return done(t.EditEvent(ctx, a.Community, a.Message, api.EventDraft{Title: ta.Title, Where: ta.Where, Text: a.Text, Starts: ta.Starts, Duration: ta.Duration, Call: ta.Call}))
		},
		"rsvp": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(t.RSVP(ctx, a.Community, a.Message, team(a).RSVP))
		},
		"events": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.Events(a.Community, team(a).All)
		},
		"event": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return t.Event(a.Community, a.Message)
		},
	}
}

func cmdCelebrate(ctx context.Context, o *opts) error {
	a, err := commonIDs(o, needsMember) // --group when given
	if err != nil {
		return err
	}
	if err := required("badge", o.team.badge); err != nil {
		return err
	}
	a.Text, a.Team = o.text, &teamArgs{Badge: o.team.badge}
	return sent(ctx, o, "celebrate", a, "Celebrated 🎉")
}

func cmdWins(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var wins []api.Win
	if err := call(ctx, o, "wins", args{Community: cid, Member: strings.TrimSpace(o.member)}, &wins, callTimeout); err != nil {
		return err
	}
	return output(o, wins, func(w io.Writer) {
		if len(wins) == 0 {
			fmt.Fprintln(w, "No wins yet.")
		}
		for _, x := range wins {
			fmt.Fprintf(w, "%s  🏆 %s: %s — %s (by %s)\n", x.Time.Local().Format("Jan 2"), x.MemberName, x.Badge, x.Text, x.ByName)
		}
	})
}

func cmdWinsSettings(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var only bool
	switch o.team.adminsOnlyFlag {
	case "yes":
		only = true
	case "no":
	case "":
		return usagef("--admins-only yes|no is required: it says whether only admins celebrate wins")
	default:
		return usagef("--admins-only %q: want yes or no", o.team.adminsOnlyFlag)
	}
	said := "Everyone who may post celebrates wins"
	if only {
		said = "Only admins celebrate wins"
	}
	return act(ctx, o, "wins.settings", args{Community: cid, On: only}, said)
}

func cmdPromoCreate(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if err := required("title", o.team.title); err != nil {
		return err
	}
	if err := required("ends", o.team.ends); err != nil {
		return err
	}
	now := time.Now()
	ta := &teamArgs{Title: o.team.title, Code: o.team.code}
	if ta.Ends, err = parseTime("ends", o.team.ends, now); err != nil {
		return err
	}
	if o.team.starts != "" {
		if ta.Starts, err = parseTime("starts", o.team.starts, now); err != nil {
			return err
		}
	}
	timeout := callTimeout
	if o.path != "" {
		// The daemon stores the file and the card alone shows it, as the
		// app's promotions do (node.CreatePromo).
		if ta.File, err = filepath.Abs(o.path); err != nil {
			return err
		}
		timeout = 30 * time.Minute
	}
	return sentWithin(ctx, o, "promo.create", args{Community: cid, Text: o.text, Team: ta}, "Promotion posted", timeout)
}

func cmdPromoEnd(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	id, err := parseID("promo", o.message)
	if err != nil {
		return err
	}
	return act(ctx, o, "promo.end", args{Community: cid, Message: id}, "Promotion ended")
}

func cmdPromos(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var promos []api.Promo
	if err := call(ctx, o, "promos", args{Community: cid, Team: &teamArgs{All: o.team.all}}, &promos, callTimeout); err != nil {
		return err
	}
	now := time.Now()
	return output(o, promos, func(w io.Writer) {
		if len(promos) == 0 {
			fmt.Fprintln(w, "No promotions running.")
		}
		for _, p := range promos {
			state := "ends in " + durationText(p.Ends.Sub(now).Round(time.Minute))
			switch {
			case !now.Before(p.Ends):
				state = "ended " + whenText(p.Ends, now)
			case now.Before(p.Starts):
				state = "starts " + whenText(p.Starts, now)
			}
			code := ""
			if p.Code != "" {
				code = "  code " + p.Code
			}
			fmt.Fprintf(w, "%s\t%s (%s)%s\n\t%s\n", p.ID.Short(), p.Title, state, code, p.Text)
		}
	})
}

func cmdQASet(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	said := "The group is a Q&A group: each top-level message is a question"
	if o.remove {
		said = "The group is an ordinary group again"
	}
	return act(ctx, o, "qa.set", args{Community: cid, Group: gid, On: !o.remove}, said)
}

func cmdAnswer(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	ta := &teamArgs{}
	if ta.Question, err = parseID("question", o.team.question); err != nil {
		return err
	}
	said := "Marked as the answer"
	if o.remove {
		said = "The answer is unmarked"
	} else if ta.Answer, err = parseID("answer", o.team.answer); err != nil {
		return err
	}
	return act(ctx, o, "answer", args{Community: cid, Group: gid, Team: ta}, said)
}

func cmdFAQ(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var faq []api.FAQEntry
	if err := call(ctx, o, "faq", args{Community: cid, Team: &teamArgs{Search: o.team.search}}, &faq, callTimeout); err != nil {
		return err
	}
	return output(o, faq, func(w io.Writer) {
		if len(faq) == 0 {
			fmt.Fprintln(w, "No answered questions.")
		}
		for _, e := range faq {
			fmt.Fprintf(w, "Q: %s\nA: %s\n   (%s)\n\n", e.Question, e.Answer, e.GroupName)
		}
	})
}

func cmdQuestions(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var qs []api.Question
	if err := call(ctx, o, "questions", args{Community: cid, Team: &teamArgs{Unanswered: o.team.unanswered}}, &qs, callTimeout); err != nil {
		return err
	}
	return output(o, qs, func(w io.Writer) {
		fmt.Fprintln(w, plural(len(qs), "question", "questions"))
		for _, q := range qs {
			mark := "  "
			if q.Answer != nil {
				mark = "✓ "
			}
			fmt.Fprintf(w, "%s%s\t%s\t%s: %s\n", mark, q.ID.Short(), q.Time.Local().Format("Jan 2 15:04"), q.AuthorName, q.Text)
		}
	})
}

func cmdCollect(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	id, err := parseID("message", o.message)
	if err != nil {
		return err
	}
	if err := required("collection", o.team.collection); err != nil {
		return err
	}
	said := "Saved to " + o.team.collection
	if o.remove {
		said = "Taken out of " + o.team.collection
	}
	return act(ctx, o, "collect", args{Community: cid, Message: id, On: !o.remove, Team: &teamArgs{Collection: o.team.collection}}, said)
}

func cmdCollections(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var cols []api.Collection
	if err := call(ctx, o, "collections", args{Community: cid}, &cols, callTimeout); err != nil {
		return err
	}
	return output(o, cols, func(w io.Writer) {
		if len(cols) == 0 {
			fmt.Fprintln(w, "No collections yet.")
		}
		for _, c := range cols {
			fmt.Fprintf(w, "%s (%d)\n", c.Name, len(c.Messages))
			for _, m := range c.Messages {
				printMessage(w, m)
			}
		}
	})
}

// eventArgs parses the flags of an event.
func eventArgs(o *opts) (*teamArgs, error) {
	if err := required("title", o.team.title); err != nil {
		return nil, err
	}
	if err := required("starts", o.team.starts); err != nil {
		return nil, err
	}
	ta := &teamArgs{Title: o.team.title, Where: o.team.where, Call: strings.ToLower(strings.TrimSpace(o.team.call))}
	switch ta.Call {
	case "", "none", "voice", "video":
	default:
		return nil, usagef("--call %q: want voice, video or none", o.team.call)
	}
	var err error
	if ta.Starts, err = parseTime("starts", o.team.starts, time.Now()); err != nil {
		return nil, err
	}
	if ta.Duration, err = time.ParseDuration(strings.TrimSpace(o.team.duration)); err != nil || ta.Duration < 0 {
		return nil, usagef("--duration %q: want a duration such as 1h30m", o.team.duration)
	}
	return ta, nil
}

func cmdEventCreate(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	ta, err := eventArgs(o)
	if err != nil {
		return err
	}
	return sent(ctx, o, "event.create", args{Community: cid, Group: gid, Text: o.text, Team: ta}, "Event created")
}

func cmdEventEdit(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	id, err := parseID("event", o.team.event)
	if err != nil {
		return err
	}
	// An edit replaces the whole event: what the flags leave out stays
	// as the event has it now.
	var events []api.CalendarEvent
	if err := call(ctx, o, "events", args{Community: cid, Team: &teamArgs{All: true}}, &events, callTimeout); err != nil {
		return err
	}
	i := slices.IndexFunc(events, func(e api.CalendarEvent) bool { return e.ID == id })
	if i < 0 {
		return fmt.Errorf("no event %s in this community (see `umbrellad events --all`)", id.Short())
	}
	cur := events[i]
	for _, f := range []struct {
		dst *string
		cur string
	}{
		{&o.team.title, cur.Title},
		{&o.team.starts, cur.Starts.Format(time.RFC3339)},
		{&o.team.duration, time.Duration(cur.Duration).String()},
		{&o.team.where, cur.Where},
		{&o.text, cur.Text},
		{&o.team.call, cur.Call},
	} {
		if *f.dst == "" {
			*f.dst = f.cur
		}
	}
	ta, err := eventArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "event.edit", args{Community: cid, Message: id, Text: o.text, Team: ta}, "Event changed")
}

func cmdRSVP(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	id, err := parseID("event", o.team.event)
	if err != nil {
		return err
	}
	if err := required("answer", o.team.answer); err != nil {
		return err
	}
	return act(ctx, o, "rsvp", args{Community: cid, Message: id, Team: &teamArgs{RSVP: o.team.answer}}, "Answered "+o.team.answer)
}

func cmdEvents(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var events []api.CalendarEvent
	if err := call(ctx, o, "events", args{Community: cid, Team: &teamArgs{All: o.team.all}}, &events, callTimeout); err != nil {
		return err
	}
	now := time.Now()
	return output(o, events, func(w io.Writer) {
		if len(events) == 0 {
			fmt.Fprintln(w, "No upcoming events.")
		}
		for _, e := range events {
			fmt.Fprintf(w, "%s\t%s  %s (%s)\n", e.ID.Short(), whenText(e.Starts, now), e.Title, durationText(time.Duration(e.Duration)))
			if e.Where != "" {
				fmt.Fprintf(w, "\t%s\n", e.Where)
			}
			if e.Call != "" {
				fmt.Fprintf(w, "\ta %s call of the group at its start\n", e.Call)
			}
			mine := ""
			if e.Mine != "" {
				mine = "; you: " + e.Mine
			}
			fmt.Fprintf(w, "\t%d going, %d maybe, %d can't go%s\n", e.Going, e.Maybe, e.No, mine)
		}
	})
}

func cmdEventICS(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	id, err := parseID("event", o.team.event)
	if err != nil {
		return err
	}
	if err := required("out", o.path); err != nil {
		return err
	}
	var e api.CalendarEvent
	if err := call(ctx, o, "event", args{Community: cid, Message: id}, &e, callTimeout); err != nil {
		return err
	}
	var cs []api.Community
	name := ""
	if err := call(ctx, o, "communities", args{}, &cs, callTimeout); err == nil {
		for _, c := range cs {
			if c.ID == cid {
				name = c.Name
			}
		}
	}
	if err := os.WriteFile(o.path, view.ICS(e, name, time.Now()), 0o644); err != nil {
		return fmt.Errorf("write the calendar file: %w", err)
	}
	res := map[string]string{"path": o.path}
	return output(o, res, func(w io.Writer) { fmt.Fprintf(w, "Wrote %s\n", o.path) })
}

// teamCardText is how printMessage shows a win, promotion or event card
// whose text is text.
func teamCardText(m api.Message, text string) string {
	switch {
	case m.Win != nil:
		return strings.TrimSpace(fmt.Sprintf("🏆 %s — %s %s", m.Win.MemberName, m.Win.Badge, text))
	case m.Promo != nil:
		return strings.TrimSpace(fmt.Sprintf("🏷 %s (until %s) %s", m.Promo.Title, whenText(m.Promo.Ends, time.Now()), text))
	}
	return strings.TrimSpace(fmt.Sprintf("📅 %s, %s %s", m.Event.Title, whenText(m.Event.Starts, time.Now()), text))
}
