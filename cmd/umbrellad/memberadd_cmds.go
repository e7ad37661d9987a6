package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
)

// contactCommands list the people this node shares a community with and
// add one to another community directly, without a link.
var contactCommands = []command{
	{"contacts", "list the people you share at least one community with", nil, cmdContacts},
	{"member add", "add someone you share another community with to this one, without a link (admins)", memberFlags, cmdMemberAdd},
}

// contactMethods are the control API methods behind contactCommands.
func contactMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"contacts": func(context.Context, args) (any, error) {
			cs := n.Contacts()
			if cs == nil {
				cs = []api.Contact{}
			}
			return cs, nil
		},
		"member.add": func(ctx context.Context, a args) (any, error) {
			if err := needMember(a); err != nil {
				return nil, err
			}
			return done(n.AddMember(ctx, a.Community, a.Member))
		},
	}
}

func cmdContacts(ctx context.Context, o *opts) error {
	var cs []api.Contact
	if err := call(ctx, o, "contacts", args{}, &cs, callTimeout); err != nil {
		return err
	}
	return output(o, cs, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tPEER\tCOMMUNITIES")
		for _, c := range cs {
			ids := make([]string, len(c.Communities))
			for i, id := range c.Communities {
				ids[i] = id.String()
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", c.Name, c.PeerID, strings.Join(ids, ","))
		}
	})
}

func cmdMemberAdd(ctx context.Context, o *opts) error {
	a, err := memberArgs(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "member.add", a, "Added; their app shows the community once their node hears of it")
}
