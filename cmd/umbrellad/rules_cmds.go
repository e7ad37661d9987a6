package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// target parses --community, --group and the message (or poll) flag.
func target(o *opts, flagName string) (args, error) {
	a, err := commonIDs(o, needsGroup)
	if err != nil {
		return args{}, err
	}
	if a.Message, err = parseID(flagName, o.message); err != nil {
		return args{}, err
	}
	return a, nil
}

// act runs a method that answers {"ok": true} and prints what happened.
func act(ctx context.Context, o *opts, method string, a args, said string) error {
	var res map[string]bool
	if err := call(ctx, o, method, a, &res, callTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintln(w, said) })
}

// sent runs a method that answers {"id": ID}.
func sent(ctx context.Context, o *opts, method string, a args, said string) error {
	return sentWithin(ctx, o, method, a, said, callTimeout)
}

// sentWithin is sent, waiting up to timeout for the daemon.
func sentWithin(ctx context.Context, o *opts, method string, a args, said string, timeout time.Duration) error {
	var res struct {
		ID crdt.ID `json:"id"`
	}
	if err := call(ctx, o, method, a, &res, timeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintf(w, "%s\nid:\t%s\n", said, res.ID) })
}

func cmdAnnounce(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if err := required("text", o.text); err != nil {
		return err
	}
	// The announcement group's id is the community id.
	return sent(ctx, o, "post", args{Community: cid, Group: cid, Text: o.text}, "Announced")
}

// textTarget parses a message target and the required --text.
func textTarget(o *opts) (args, error) {
	a, err := target(o, "message")
	if err != nil {
		return args{}, err
	}
	if err := required("text", o.text); err != nil {
		return args{}, err
	}
	a.Text = o.text
	return a, nil
}

func cmdReply(ctx context.Context, o *opts) error {
	a, err := textTarget(o)
	if err != nil {
		return err
	}
	return sent(ctx, o, "reply", a, "Replied")
}

func cmdEdit(ctx context.Context, o *opts) error {
	a, err := textTarget(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "edit", a, "Edited")
}

func cmdDelete(ctx context.Context, o *opts) error {
	a, err := target(o, "message")
	if err != nil {
		return err
	}
	return act(ctx, o, "delete", a, "Deleted for everyone")
}

func cmdPin(ctx context.Context, o *opts) error {
	a, err := target(o, "message")
	if err != nil {
		return err
	}
	a.On = !o.remove
	if o.remove {
		return act(ctx, o, "pin", a, "Unpinned")
	}
	return act(ctx, o, "pin", a, "Pinned")
}

func cmdReact(ctx context.Context, o *opts) error {
	a, err := target(o, "message")
	if err != nil {
		return err
	}
	if err := required("emoji", o.emoji); err != nil {
		return err
	}
	a.Emoji, a.On = o.emoji, !o.remove
	if o.remove {
		return act(ctx, o, "react", a, "Reaction removed")
	}
	return act(ctx, o, "react", a, "Reacted "+o.emoji)
}

func cmdPollCreate(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	if err := required("question", o.question); err != nil {
		return err
	}
	if len(o.options) < crdt.MinOptions || len(o.options) > crdt.MaxOptions {
		return usagef("--option: give %d to %d options, got %d", crdt.MinOptions, crdt.MaxOptions, len(o.options))
	}
	a := args{Community: cid, Group: gid, Question: o.question, Options: o.options, Multi: o.multi}
	if o.closes != "" {
		now := time.Now()
		if a.Closes, err = parseTime("closes", o.closes, now); err != nil {
			return err
		}
		if !a.Closes.After(now) {
			return usagef("--closes: %s is not in the future", o.closes)
		}
	}
	return sent(ctx, o, "poll.create", a, "Poll started")
}

func cmdVote(ctx context.Context, o *opts) error {
	a, err := target(o, "poll")
	if err != nil {
		return err
	}
	if len(o.choices) == 0 {
		return usagef("--option is required: the number of the option you choose")
	}
	for _, c := range o.choices {
		if c < 1 {
			return usagef("--option %d: options are counted from 1", c)
		}
		a.Choices = append(a.Choices, c-1)
	}
	return act(ctx, o, "vote", a, "Voted")
}

func cmdPollClose(ctx context.Context, o *opts) error {
	a, err := target(o, "poll")
	if err != nil {
		return err
	}
	return act(ctx, o, "poll.close", a, "Poll closed")
}

func cmdPollShow(ctx context.Context, o *opts) error {
	a, err := target(o, "poll")
	if err != nil {
		return err
	}
	var m api.Message
	if err := call(ctx, o, "message", a, &m, callTimeout); err != nil {
		return err
	}
	if m.Poll == nil {
		return fmt.Errorf("%s is a message, not a poll", a.Message.Short())
	}
	return output(o, m, func(w io.Writer) { printPoll(w, m.Poll) })
}

func printPoll(w io.Writer, p *api.Poll) {
	state := "open"
	switch {
	case p.Closed:
		state = "closed"
	case p.Closes != nil:
		state = "closes " + p.Closes.Local().Format("Jan 2 15:04")
	}
	kind := "one choice"
	if p.Multi {
		kind = "several choices"
	}
	fmt.Fprintf(w, "📊 %s\t(%s, %s, %d voted)\n", p.Question, kind, state, p.Voters)
	for i, opt := range p.Options {
		bar := ""
		if p.Voters > 0 {
			bar = strings.Repeat("█", opt.Votes*20/p.Voters)
		}
		fmt.Fprintf(w, "  %d. %s\t%d\t%s\n", i+1, opt.Text, opt.Votes, bar)
	}
}

func cmdGroupCreate(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if err := required("name", o.name); err != nil {
		return err
	}
	var g api.Group
	if err := call(ctx, o, "group.create", args{Community: cid, Name: o.name, Description: o.description, Policy: o.policy}, &g, callTimeout); err != nil {
		return err
	}
	return output(o, g, func(w io.Writer) {
		if g.Suggested {
			fmt.Fprintf(w, "Suggested group %q; an admin will approve it\nid:\t%s\n", g.Name, g.ID)
			return
		}
		fmt.Fprintf(w, "Created group %q\nid:\t%s\n", g.Name, g.ID)
	})
}

func groupArgs(o *opts) (args, error) { return commonIDs(o, needsGroup) }

func cmdGroupJoin(ctx context.Context, o *opts) error {
	a, err := groupArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "group.join", a, "Joined (or asked to join) the group")
}

func cmdGroupLeave(ctx context.Context, o *opts) error {
	a, err := groupArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "group.leave", a, "Left the group")
}

func memberArgs(o *opts) (args, error) { return commonIDs(o, needsMember) }

func cmdMemberRemove(ctx context.Context, o *opts) error {
	a, err := memberArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "member.remove", a, "Removed from the community and all its groups")
}

func cmdMemberPromote(ctx context.Context, o *opts) error {
	a, err := memberArgs(o)
	if err != nil {
		return err
	}
	if o.role != "admin" && o.role != "owner" {
		return usagef("--role %q: want admin or owner", o.role)
	}
	a.Role = o.role
	return act(ctx, o, "member.role", a, "Now "+o.role)
}

func cmdMemberDemote(ctx context.Context, o *opts) error {
	a, err := memberArgs(o)
	if err != nil {
		return err
	}
	a.Role = "member"
	return act(ctx, o, "member.role", a, "Now a member")
}

func cmdAudit(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var es []api.AuditEntry
	if err := call(ctx, o, "audit", args{Community: cid}, &es, callTimeout); err != nil {
		return err
	}
	now := time.Now()
	return output(o, es, func(w io.Writer) {
		if len(es) == 0 {
			fmt.Fprintln(w, "No admin actions yet.")
		}
		for _, e := range es {
			fmt.Fprintf(w, "%s\t%s\t%s\n", whenText(e.Time, now), who(e.ActorName, e.Actor), auditText(e, now))
		}
	})
}
