package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
)

// The team: first steps (`steps`, `steps set`, `steps done|undo`), the
// newcomers' progress for admins (`newcomers`) and who invited whom
// (`team`).

var stepsCommands = []command{
	{"steps set", "set the community's first steps and welcome text (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.Var(&o.options, "step", "a step's title, in order (repeat for each step; none clears them)")
		fs.StringVar(&o.text, "welcome", "", "the welcome text; {name} stands for the newcomer's name")
	}, cmdStepsSet},
	{"steps", "show the first steps and which you did", communityFlag, cmdSteps},
	{"steps done", "tick one of your first steps", stepFlags, cmdStepDone},
	{"steps undo", "untick one of your first steps", stepFlags, cmdStepUndo},
	{"newcomers", "show how far each newcomer got through the first steps (admins)", communityFlag, cmdNewcomers},
	{"team", "list the members with who invited them, when they joined and were last active", communityFlag, cmdTeam},
}

func stepFlags(fs *flag.FlagSet, o *opts) {
	communityFlag(fs, o)
	fs.Var(&o.choices, "step", "the step's number, counted from 1 (required)")
}

// stepsMethods are the control methods of the team commands.
func stepsMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"steps.set": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			steps := make([]api.StepDraft, len(a.Options))
			for i, t := range a.Options {
				steps[i] = api.StepDraft{Title: t}
			}
			return done(n.SetSteps(ctx, a.Community, steps, a.Text))
		},
		"steps": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Steps(a.Community)
		},
		"steps.tick": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if len(a.Choices) != 1 {
				return nil, badRequest{errors.New("one step number is required")}
			}
			return done(n.TickStep(ctx, a.Community, a.Choices[0], a.On))
		},
		"newcomers": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Newcomers(a.Community)
		},
		"team": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.TeamTree(a.Community)
		},
	}
}

func cmdStepsSet(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	for _, t := range o.options {
		if strings.TrimSpace(t) == "" {
			return usagef("--step needs a title")
		}
	}
	return act(ctx, o, "steps.set", args{Community: cid, Options: o.options, Text: o.text}, "First steps set")
}

func cmdSteps(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var fs api.FirstSteps
	if err := call(ctx, o, "steps", args{Community: cid}, &fs, callTimeout); err != nil {
		return err
	}
	return output(o, fs, func(w io.Writer) {
		if len(fs.Steps) == 0 {
			fmt.Fprintln(w, "No first steps yet")
			return
		}
		if fs.Welcome != "" {
			fmt.Fprintln(w, fs.Welcome)
		}
		fmt.Fprintf(w, "%d of %d done\n", fs.Done, len(fs.Steps))
		for _, s := range fs.Steps {
			mark := "[ ]"
			if s.Done {
				mark = "[x]"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\n", s.N, mark, s.Title)
		}
	})
}

func cmdStepDone(ctx context.Context, o *opts) error { return tickStep(ctx, o, true) }
func cmdStepUndo(ctx context.Context, o *opts) error { return tickStep(ctx, o, false) }

func tickStep(ctx context.Context, o *opts, on bool) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if len(o.choices) != 1 || o.choices[0] < 1 {
		return usagef("--step N is required once, N counted from 1")
	}
	said := fmt.Sprintf("Step %d done", o.choices[0])
	if !on {
		said = fmt.Sprintf("Step %d not done", o.choices[0])
	}
	return act(ctx, o, "steps.tick", args{Community: cid, Choices: o.choices, On: on}, said)
}

func cmdNewcomers(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var ns []api.Newcomer
	if err := call(ctx, o, "newcomers", args{Community: cid}, &ns, callTimeout); err != nil {
		return err
	}
	now := time.Now()
	return output(o, ns, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tJOINED\tDONE\tLAST STEP\tINVITED BY\t")
		for _, n := range ns {
			last := "never"
			if n.LastStepTime != nil {
				last = n.LastStepTime.Local().Format(time.DateTime)
			}
			stuck := ""
			if n.Stuck(now) {
				stuck = "stuck"
			}
			fmt.Fprintf(w, "%s\t%s\t%d/%d\t%s\t%s\t%s\n", n.Name, n.Joined.Local().Format(time.DateTime), n.Done, n.Total, last, n.InvitedByName, stuck)
		}
	})
}

func cmdTeam(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var ms []api.TeamMember
	if err := call(ctx, o, "team", args{Community: cid}, &ms, callTimeout); err != nil {
		return err
	}
	return output(o, ms, func(w io.Writer) { printTree(w, ms) })
}

// printTree prints the members as a tree of who invited whom: each under
// its inviter, indented; members whose inviter is no longer a member (or
// who had none) at the top.
func printTree(w io.Writer, ms []api.TeamMember) {
	in := map[string]bool{}
	under := map[string][]api.TeamMember{}
	for _, m := range ms {
		in[m.PeerID] = true
	}
	var roots []api.TeamMember
	for _, m := range ms {
		if m.InvitedBy != "" && in[m.InvitedBy] && m.InvitedBy != m.PeerID {
			under[m.InvitedBy] = append(under[m.InvitedBy], m)
		} else {
			roots = append(roots, m)
		}
	}
	fmt.Fprintln(w, "MEMBER\tROLE\tJOINED\tLAST ACTIVE\tINVITED BY")
	seen := map[string]bool{}
	var walk func(m api.TeamMember, depth int)
	walk = func(m api.TeamMember, depth int) {
		if seen[m.PeerID] {
			return
		}
		seen[m.PeerID] = true
		last := "—"
		if m.LastActive != nil {
			last = m.LastActive.Local().Format(time.DateTime)
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\t%s\n", strings.Repeat("  ", depth), m.Name, m.Role, m.Joined.Local().Format(time.DateOnly), last, m.InvitedByName)
		for _, c := range under[m.PeerID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for _, m := range ms { // a cycle of inviters (a member who came back) still prints
		walk(m, 0)
	}
}
