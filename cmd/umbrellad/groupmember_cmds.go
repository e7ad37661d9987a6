package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/umbrella-p2p/umbrella/api"
)

// groupMemberCommands let admins put community members into a group and
// take them out, group by group, and list a group's members.
var groupMemberCommands = []command{
	{"group add", "put a community member into a group at once, whatever its policy (admins)", groupMemberFlags, cmdGroupAdd},
	{"group remove", "take a member out of a group; they stay in the community and its other groups (admins)", groupMemberFlags, cmdGroupRemove},
	{"group members", "list a group's members and roles", groupFlags, cmdGroupMembers},
}

func groupMemberFlags(fs *flag.FlagSet, o *opts) {
	groupFlags(fs, o)
	fs.StringVar(&o.member, "member", "", "the member's peer id (required)")
}

// groupMemberMethods are the control API methods behind groupMemberCommands.
func groupMemberMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"group.add": func(ctx context.Context, a args) (any, error) {
			if err := needGroupMember(a); err != nil {
				return nil, err
			}
			return done(n.AddToGroup(ctx, a.Community, a.Group, a.Member))
		},
		"group.remove": func(ctx context.Context, a args) (any, error) {
			if err := needGroupMember(a); err != nil {
				return nil, err
			}
			return done(n.RemoveFromGroup(ctx, a.Community, a.Group, a.Member))
		},
		"group.members": func(_ context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			return n.GroupMembers(a.Community, a.Group)
		},
	}
}

func needGroupMember(a args) error {
	if err := needGroup(a); err != nil {
		return err
	}
	return needMember(a)
}

func groupMemberArgs(o *opts) (args, error) { return commonIDs(o, needsGroup|needsMember) }

func cmdGroupAdd(ctx context.Context, o *opts) error {
	a, err := groupMemberArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "group.add", a, "Added to the group")
}

func cmdGroupRemove(ctx context.Context, o *opts) error {
	a, err := groupMemberArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "group.remove", a, "Taken out of the group (the group's keys were renewed)")
}

func cmdGroupMembers(ctx context.Context, o *opts) error {
	a, err := groupArgs(o)
	if err != nil {
		return err
	}
	var ms []api.Member
	if err := call(ctx, o, "group.members", a, &ms, callTimeout); err != nil {
		return err
	}
	return output(o, ms, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tROLE\tPEER")
		for _, m := range ms {
			fmt.Fprintf(w, "%s\t%s\t%s\n", m.Name, m.Role, m.PeerID)
		}
	})
}
