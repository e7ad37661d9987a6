package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// adminCommands run a community: invites, settings, join requests, group
// management, leaving and deactivating.
var adminCommands = []command{
	{"invites", "list a community's invites, with the links this node made (admins)", communityFlag, cmdInvites},
	{"invite revoke", "stop an invite link from working (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.invite, "invite", "", "invite id, from `umbrellad invites` (required)")
	}, cmdInviteRevoke},
	{"settings", "show a community's settings, or change them (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.name, "name", "", "new community name")
		fs.StringVar(&o.description, "description", "", "new description")
		fs.StringVar(&o.joinPolicy, "join-policy", "", "link (an invite makes you a member) or approval (an admin decides)")
		fs.StringVar(&o.membersCreate, "members-create-groups", "", "yes: members create groups; no: they suggest them")
		fs.StringVar(&o.history, "history", "", "yes: new members read earlier messages; no: only from when they join")
		fs.StringVar(&o.memberDMs, "member-dms", "", "yes: members message each other privately; no: only admins and owners (admins message anyone)")
		fs.StringVar(&o.fileLimit, "max-file-size", "", "the largest file members may share, e.g. 100MB or 1GiB (MB = 10^6 bytes, MiB = 2^20; at most 2GiB, the default)")
	}, cmdSettings},
	{"requests", "list who asks to join the community (or, with --group, a group)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.group, "group", "", "an approval group's id")
	}, cmdRequests},
	{"member approve", "let someone who asked join the community (or, with --group, a group)", decideFlags, cmdDecide(true)},
	{"member deny", "turn down someone who asked to join the community (or a group)", decideFlags, cmdDecide(false)},
	{"group update", "rename, describe, re-policy, archive or approve a group (admins)", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		fs.StringVar(&o.name, "name", "", "new name")
		fs.StringVar(&o.description, "description", "", "new description")
		fs.StringVar(&o.policy, "policy", "", "open, approval or everyone")
		fs.BoolVar(&o.archive, "archive", false, "make the group read-only")
		fs.BoolVar(&o.unarchive, "unarchive", false, "open an archived group again")
		fs.BoolVar(&o.approve, "approve", false, "approve a member's suggested group")
	}, cmdGroupUpdate},
	{"group order", "set the order of the groups in every member's home (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.Var(&o.groups, "group", "a group id, once per group, first to last; groups left out follow by name (required)")
	}, cmdGroupOrder},
	{"community leave", "leave a community and all its groups", communityFlag, cmdCommunityLeave},
	{"community deactivate", "close a community for good (owners)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.BoolVar(&o.yes, "yes", false, "confirm: nobody can write in it afterwards")
	}, cmdDeactivate},
}

func decideFlags(fs *flag.FlagSet, o *opts) {
	memberFlags(fs, o)
	fs.StringVar(&o.group, "group", "", "an approval group's id (default: the community)")
}

// adminMethods are the control API methods behind adminCommands.
func adminMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"invites": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.InviteLinks(a.Community)
		},
		"invite.revoke": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if a.Invite.IsZero() {
				return nil, badRequest{errors.New("invite id is required")}
			}
			return done(n.RevokeInvite(ctx, a.Community, a.Invite))
		},
		"settings": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Settings(a.Community)
		},
		"settings.update": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if a.Settings == nil {
				return nil, badRequest{errors.New("settings are required")}
			}
			return done(n.UpdateSettings(ctx, a.Community, *a.Settings))
		},
		"requests": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if a.Group.IsZero() {
				return n.JoinRequests(a.Community)
			}
			return n.GroupRequests(a.Community, a.Group)
		},
		"request.decide": func(ctx context.Context, a args) (any, error) {
			if err := needMember(a); err != nil {
				return nil, err
			}
			if a.Group.IsZero() {
				return done(n.DecideJoin(ctx, a.Community, a.Member, a.Approve))
			}
			return done(n.DecideGroupJoin(ctx, a.Community, a.Group, a.Member, a.Approve))
		},
		"group.update": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			if a.GroupSettings == nil {
				return nil, badRequest{errors.New("group settings are required")}
			}
			return done(n.UpdateGroup(ctx, a.Community, a.Group, *a.GroupSettings))
		},
		"groups.order": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			if len(a.Groups) == 0 {
				return nil, badRequest{errors.New("at least one group id is required")}
			}
			return done(n.OrderGroups(ctx, a.Community, a.Groups))
		},
		"community.leave": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(n.LeaveCommunity(ctx, a.Community))
		},
		"community.deactivate": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return done(n.Deactivate(ctx, a.Community))
		},
	}
}

func cmdInvites(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var is []api.InviteLink
	if err := call(ctx, o, "invites", args{Community: cid}, &is, callTimeout); err != nil {
		return err
	}
	return output(o, is, func(w io.Writer) {
		if len(is) == 0 {
			fmt.Fprintln(w, "No invites yet.")
		}
		for _, i := range is {
			state := "works until revoked"
			switch {
			case i.Revoked:
				state = "revoked"
			case i.Lapsed:
				state = "no longer valid: its maker is no longer an admin"
			case i.Expired:
				state = "expired"
			case i.MaxUses > 0 && i.Uses >= i.MaxUses:
				state = "used up"
			case i.Expires != nil:
				state = "works until " + i.Expires.Local().Format("Jan 2 15:04")
			}
			uses := fmt.Sprintf("%d used", i.Uses)
			if i.MaxUses > 0 {
				uses = fmt.Sprintf("%d of %d used", i.Uses, i.MaxUses)
			}
			fmt.Fprintf(w, "%s\tby %s\t%s\t%s\t%s\n", i.ID, i.By, uses, state, i.Link)
		}
	})
}

func cmdInviteRevoke(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	inv, err := parseID("invite", o.invite)
	if err != nil {
		return err
	}
	return act(ctx, o, "invite.revoke", args{Community: cid, Invite: inv}, "Revoked; the link no longer lets anyone in")
}

func cmdSettings(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var s api.Settings
	if err := call(ctx, o, "settings", args{Community: cid}, &s, callTimeout); err != nil {
		return err
	}
	show := func(w io.Writer) {
		groups := "members suggest groups; admins approve them"
		if s.MembersCreateGroups {
			groups = "members create groups"
		}
		history := "new members also see earlier messages"
		if s.HideHistory {
			history = "new members see messages from when they join"
		}
		dms := "members message each other privately"
		if s.PrivateToAdminsOnly {
			dms = "members message only admins and owners privately"
		}
		limit := int64(crdt.MaxFileSize)
		if s.MaxFileSize > 0 {
			limit = s.MaxFileSize
		}
		fmt.Fprintf(w, "name:\t%s\ndescription:\t%s\njoin policy:\t%s\ngroups:\t%s\nhistory:\t%s\nprivate messages:\t%s\nfiles:\tup to %s\n", s.Name, s.Description, s.JoinPolicy, groups, history, dms, crdt.SizeText(limit))
		if s.Deactivated {
			fmt.Fprintln(w, "deactivated:\tyes (read-only)")
		}
	}
	changed := false
	if o.set["name"] {
		s.Name, changed = o.name, true
	}
	if o.set["description"] {
		s.Description, changed = o.description, true
	}
	if o.set["join-policy"] {
		if o.joinPolicy != "link" && o.joinPolicy != "approval" {
			return usagef("--join-policy %q: want link or approval", o.joinPolicy)
		}
		s.JoinPolicy, changed = o.joinPolicy, true
	}
	showHistory, memberDMs := !s.HideHistory, !s.PrivateToAdminsOnly
	for flag, dst := range map[string]*bool{"members-create-groups": &s.MembersCreateGroups, "history": &showHistory, "member-dms": &memberDMs} {
		if !o.set[flag] {
			continue
		}
		v := map[string]string{"members-create-groups": o.membersCreate, "history": o.history, "member-dms": o.memberDMs}[flag]
		switch v {
		case "yes", "true":
			*dst = true
		case "no", "false":
			*dst = false
		default:
			return usagef("--%s %q: want yes or no", flag, v)
		}
		changed = true
	}
	s.HideHistory, s.PrivateToAdminsOnly = !showHistory, !memberDMs
	if o.set["max-file-size"] {
		n, err := parseFileSize(o.fileLimit)
		if err != nil {
			return usagef("--max-file-size: %v", err)
		}
		if n == crdt.MaxFileSize {
			n = 0 // the protocol's own bound: no limit of the community's
		}
		s.MaxFileSize, changed = n, true
	}
	if !changed {
		return output(o, s, show)
	}
	if err := call(ctx, o, "settings.update", args{Community: cid, Settings: &s}, new(map[string]bool), callTimeout); err != nil {
		return err
	}
	return output(o, s, show)
}

func cmdRequests(ctx context.Context, o *opts) error {
	a, err := commonIDs(o, 0)
	if err != nil {
		return err
	}
	var rs []api.JoinRequest
	if err := call(ctx, o, "requests", a, &rs, callTimeout); err != nil {
		return err
	}
	if rs == nil {
		rs = []api.JoinRequest{}
	}
	return output(o, rs, func(w io.Writer) {
		if len(rs) == 0 {
			fmt.Fprintln(w, "Nobody is waiting.")
		}
		for _, r := range rs {
			fmt.Fprintf(w, "%s\t%s\tasked %s\n", r.PeerID, r.Name, r.Time.Local().Format("Jan 2 15:04"))
		}
	})
}

func cmdDecide(approve bool) func(context.Context, *opts) error {
	return func(ctx context.Context, o *opts) error {
		a, err := memberArgs(o) // and --group, when given
		if err != nil {
			return err
		}
		a.Approve = approve
		if approve {
			return act(ctx, o, "request.decide", a, "Approved; welcome them!")
		}
		return act(ctx, o, "request.decide", a, "Request turned down")
	}
}

func cmdGroupUpdate(ctx context.Context, o *opts) error {
	a, err := groupArgs(o)
	if err != nil {
		return err
	}
	if o.archive && o.unarchive {
		return usagef("--archive and --unarchive contradict each other")
	}
	var cur []api.Group
	if err := call(ctx, o, "groups", args{Community: a.Community}, &cur, callTimeout); err != nil {
		return err
	}
	var g *api.Group
	for i := range cur {
		if cur[i].ID == a.Group {
			g = &cur[i]
		}
	}
	if g == nil {
		return fmt.Errorf("group %s: %w", a.Group.Short(), api.ErrUnknownGroup)
	}
	gs := api.GroupSettings{Name: g.Name, Description: g.Description, Policy: g.Policy, Archived: g.Archived, Approve: o.approve}
	if o.set["name"] {
		gs.Name = o.name
	}
	if o.set["description"] {
		gs.Description = o.description
	}
	if o.set["policy"] {
		gs.Policy = o.policy
	}
	gs.Archived = (gs.Archived || o.archive) && !o.unarchive
	a.GroupSettings = &gs
	return act(ctx, o, "group.update", a, "Group updated")
}

func cmdGroupOrder(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if len(o.groups) == 0 {
		return usagef("name the groups in their new order: --group GID --group GID …")
	}
	a := args{Community: cid}
	for _, g := range o.groups {
		id, err := parseID("group", g)
		if err != nil {
			return err
		}
		a.Groups = append(a.Groups, id)
	}
	return act(ctx, o, "groups.order", a, "Groups reordered")
}

func cmdCommunityLeave(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	return act(ctx, o, "community.leave", args{Community: cid}, "You left the community")
}

func cmdDeactivate(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	if !o.yes {
		return usagef("deactivating cannot be undone: nobody can write in the community afterwards; add --yes to confirm")
	}
	return act(ctx, o, "community.deactivate", args{Community: cid}, "Community deactivated; it is read-only now")
}
