package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Private conversations: `dm open` starts (or finds) one, `dms` lists
// them; post, messages, react … take the conversation's id as --group.

var dmCommands = []command{
	{"dm open", "open a private conversation with one member (or up to 31), or find the one you have", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.Var(&o.members, "member", "a member's peer id (required; repeat for a small private group)")
	}, cmdDMOpen},
	{"dms", "list your private conversations in a community, newest first", communityFlag, cmdDMs},
}

// dmMethods are the control methods of private conversations.
func dmMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"dm.open": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if len(a.Members) == 0 {
				return nil, badRequest{errors.New("at least one member peer id is required")}
			}
			id, err := n.OpenPrivate(ctx, a.Community, a.Members)
			if err != nil {
				return nil, err
			}
			return map[string]crdt.ID{"group": id}, nil
		},
		"dms": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Privates(a.Community)
		},
	}
}

func cmdDMOpen(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if len(o.members) == 0 {
		return usagef("--member is required")
	}
	var res struct {
		Group crdt.ID `json:"group"`
	}
	if err := call(ctx, o, "dm.open", args{Community: cid, Members: o.members}, &res, callTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintln(w, res.Group) })
}

func cmdDMs(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var ps []api.Private
	if err := call(ctx, o, "dms", args{Community: cid}, &ps, callTimeout); err != nil {
		return err
	}
	return output(o, ps, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tWITH\tUNREAD\tSTATE")
		for _, p := range ps {
			var names []string
			for _, m := range p.With {
				names = append(names, m.Name)
			}
			state := "open"
			if p.Closed {
				state = "closed"
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", p.Group, strings.Join(names, ", "), p.Unread, state)
		}
	})
}
