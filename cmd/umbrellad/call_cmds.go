package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	calls "github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// callMedia is the media the daemon's calls use (node.Config.CallMedia),
// for a daemon listening on listen: call/media's Sessions, synthetic only
// (umbrellad has no cgo, so no codecs or devices; a call without
// --synthetic is refused with the reason).
func callMedia(listen []string, log *slog.Logger) calls.NewMedia {
	return media.ForCalls(media.CallOptions{SyntheticOnly: true, Listen: listen, Logger: log})
}

// callHost is the SFU a daemon listening on listen runs for a call it
// hosts (node.Config.CallHost, relaynode.Config.CallHost): call/sfu,
// which holds no key and needs no cgo.
func callHost(listen []string, log *slog.Logger) (calls.NewHost, error) {
	return media.ForHosts(media.CallOptions{Listen: listen, Logger: log})
}

// callCommands are voice and video calls in a group.
var callCommands = []command{
	{"call start", "start a call in a group; the group's members it can reach are rung", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		callMediaFlags(fs, o)
	}, cmdCallStart},
	{"call join", "join a call", func(fs *flag.FlagSet, o *opts) {
		callFlags(fs, o)
		callMediaFlags(fs, o)
	}, cmdCallJoin},
	{"call leave", "leave a call", callFlags, cmdCallLeave},
	{"call end", "end a call for everyone (the caller or an admin)", callFlags, cmdCallEnd},
	{"call status", "show how a call you are in runs: topology and, per participant, frames and latency", callFlags, cmdCallStatus},
	{"calls", "list a community's calls, newest first", communityFlag, cmdCalls},
}

func init() { commands = append(commands, callCommands...) }

// callOpts are the flags of callCommands.
type callOpts struct {
	call             string
	video, synthetic bool
	sfu              bool // relay --sfu
}

func callFlags(fs *flag.FlagSet, o *opts) {
	communityFlag(fs, o)
	fs.StringVar(&o.calls.call, "call", "", "the call's id (required)")
}

func callMediaFlags(fs *flag.FlagSet, o *opts) {
	fs.BoolVar(&o.calls.video, "video", false, "send video as well as audio")
	fs.BoolVar(&o.calls.synthetic, "synthetic", false, "send synthetic audio and video frames (no devices; for tests and demos)")
}

// callArgs are the control API arguments of callMethods beyond args'.
type callArgs struct {
	Call      crdt.ID `json:"call,omitzero"`
	Video     bool    `json:"video,omitempty"`
	Synthetic bool    `json:"synthetic,omitempty"`
}

// callActions are the node's call methods.
type callActions interface {
	StartCall(ctx context.Context, cid, gid crdt.ID, video, synthetic bool) (crdt.ID, error)
	JoinCall(ctx context.Context, cid, id crdt.ID, video, synthetic bool) error
	LeaveCall(ctx context.Context, cid, id crdt.ID) error
	EndCall(ctx context.Context, cid, id crdt.ID) error
	Calls(cid crdt.ID) ([]api.Call, error)
	CallStatus(cid, id crdt.ID) (api.CallStatus, error)
}

var _ callActions = (*node.Node)(nil)

func needCall(a args) (callArgs, error) {
	if err := needCommunity(a); err != nil {
		return callArgs{}, err
	}
	if a.Call == nil || a.Call.Call.IsZero() {
		return callArgs{}, badRequest{errors.New("call id is required")}
	}
	return *a.Call, nil
}

// callMethods are the control API methods behind callCommands.
func callMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	c, ok := n.(callActions)
	if !ok {
		return nil
	}
	return map[string]func(context.Context, args) (any, error){
		"call.start": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			ca := callArgs{}
			if a.Call != nil {
				ca = *a.Call
			}
			id, err := c.StartCall(ctx, a.Community, a.Group, ca.Video, ca.Synthetic)
			if err != nil {
				return nil, err
			}
			return map[string]crdt.ID{"call": id}, nil
		},
		"call.join": func(ctx context.Context, a args) (any, error) {
			ca, err := needCall(a)
			if err != nil {
				return nil, err
			}
			return done(c.JoinCall(ctx, a.Community, ca.Call, ca.Video, ca.Synthetic))
		},
		"call.leave": func(ctx context.Context, a args) (any, error) {
			ca, err := needCall(a)
			if err != nil {
				return nil, err
			}
			return done(c.LeaveCall(ctx, a.Community, ca.Call))
		},
		"call.end": func(ctx context.Context, a args) (any, error) {
			ca, err := needCall(a)
			if err != nil {
				return nil, err
			}
			return done(c.EndCall(ctx, a.Community, ca.Call))
		},
		"call.status": func(_ context.Context, a args) (any, error) {
			ca, err := needCall(a)
			if err != nil {
				return nil, err
			}
			return c.CallStatus(a.Community, ca.Call)
		},
		"calls": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return c.Calls(a.Community)
		},
	}
}

// callTarget parses --community and --call.
func callTarget(o *opts) (args, error) {
	cid, err := parseID("community", o.community)
	if err != nil {
		return args{}, err
	}
	id, err := parseID("call", o.calls.call)
	if err != nil {
		return args{}, err
	}
	return args{Community: cid, Call: &callArgs{Call: id, Video: o.calls.video, Synthetic: o.calls.synthetic}}, nil
}

// joinTimeout bounds a start or join: ringing and reaching every
// participant may take a few stream timeouts.
const joinTimeout = 2 * time.Minute

func cmdCallStart(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	gid, err := parseID("group", o.group)
	if err != nil {
		return err
	}
	var res struct {
		Call crdt.ID `json:"call"`
	}
	a := args{Community: cid, Group: gid, Call: &callArgs{Video: o.calls.video, Synthetic: o.calls.synthetic}}
	if err := call(ctx, o, "call.start", a, &res, joinTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintf(w, "Call started\ncall:\t%s\n", res.Call) })
}

func cmdCallJoin(ctx context.Context, o *opts) error {
	a, err := callTarget(o)
	if err != nil {
		return err
	}
	var res map[string]bool
	if err := call(ctx, o, "call.join", a, &res, joinTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintln(w, "Joined the call") })
}

func cmdCallLeave(ctx context.Context, o *opts) error {
	a, err := callTarget(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "call.leave", a, "Left the call")
}

func cmdCallEnd(ctx context.Context, o *opts) error {
	a, err := callTarget(o)
	if err != nil {
		return err
	}
	return act(ctx, o, "call.end", a, "Call ended for everyone")
}

func cmdCallStatus(ctx context.Context, o *opts) error {
	a, err := callTarget(o)
	if err != nil {
		return err
	}
	var st api.CallStatus
	if err := call(ctx, o, "call.status", a, &st, callTimeout); err != nil {
		return err
	}
	return output(o, st, func(w io.Writer) {
		fmt.Fprintf(w, "Topology:\t%s\n", st.Topology)
		if st.SFU != "" {
			fmt.Fprintf(w, "SFU:\t%s\n", st.SFU)
		}
		fmt.Fprintln(w, "NAME\tAUDIO\tVIDEO\tMUTED\tRECEIVED\tDECRYPTED\tFAILED\tP50 ms\tP99 ms\tLAYER")
		for _, p := range st.Participants {
			name := p.Name
			if p.Self {
				fmt.Fprintf(w, "%s (you)\t%s\t%s\t%s\t\t\t\t\t\t\n", name, yesNo(p.Audio), yesNo(p.Video), yesNo(p.Muted))
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.0f\t%.0f\t%s\n", name, yesNo(p.Audio), yesNo(p.Video), yesNo(p.Muted),
				p.FramesReceived, p.FramesDecrypted, p.DecryptFailures, p.LatencyP50, p.LatencyP99, p.Layer)
		}
		for _, r := range st.Reported {
			fmt.Fprintf(w, "Reported:\t%s\n", r.Reason)
		}
	})
}

func cmdCalls(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var list []api.Call
	if err := call(ctx, o, "calls", args{Community: cid}, &list, callTimeout); err != nil {
		return err
	}
	return output(o, list, func(w io.Writer) {
		if len(list) == 0 {
			fmt.Fprintln(w, "No calls yet.")
		}
		for _, c := range list {
			kind := "Voice call"
			if c.Video {
				kind = "Video call"
			}
			state := fmt.Sprintf("in progress · %d joined", len(c.Participants))
			if !c.Active {
				state = fmt.Sprintf("ended after %s · %d joined", time.Duration(c.Duration).Round(time.Second), len(c.Participants))
			}
			you := ""
			if c.Joined {
				you = " (you are in it)"
			}
			fmt.Fprintf(w, "%s\t%s by %s\t%s%s\tcall:\t%s\n", c.Started.Local().Format("Jan 2 15:04"), kind, c.StartedByName, state, you, c.ID)
		}
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
