package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
	"github.com/umbrella-p2p/umbrella/identity/keyfile"
	"github.com/umbrella-p2p/umbrella/node"
	"github.com/umbrella-p2p/umbrella/sync/join"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// command is one subcommand.
type command struct {
	name    string
	summary string
	flags   func(fs *flag.FlagSet, o *opts)
	run     func(ctx context.Context, o *opts) error
}

// opts holds every flag; each command registers the ones it takes.
type opts struct {
	home, name, community, group, text, link, logLevel  string
	member, message, emoji, question, description       string
	policy, role, closes                                string
	invite, expires, joinPolicy, membersCreate, history string
	maxUses                                             int
	archive, unarchive, approve, yes                    bool
	set                                                 map[string]bool // the flags given
	json, noMDNS, multi, remove, noListen               bool
	reachability, passFile, oldPassFile, keySuite       string
	linkFile                                            string
	path                                                string // file send --path, file get --out
	listen, options, relays, groups, members, allow     multiFlag
	memberDMs, quota                                    string
	retention, metrics, share                           string // relay --retention, --metrics, --share
	fileLimit, uploadLimit                              string // settings --max-file-size, serve --upload-limit
	picture                                             string // a picture file's path
	choices                                             intsFlag
	team                                                teamOpts // wins_cmds.go
	calls                                               callOpts // call_cmds.go
	turn                                                turnOpts // relay --turn, --turn-ip (relay_turn.go)
	stdout, stderr                                      io.Writer
}

// intsFlag collects repeated integer flags.
type intsFlag []int

func (m *intsFlag) String() string { return fmt.Sprint(*m) }
func (m *intsFlag) Set(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	*m = append(*m, n)
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

var commands = []command{
	{"init", "create this node's identity", func(fs *flag.FlagSet, o *opts) {
		fs.StringVar(&o.name, "name", "", "your display name (required)")
	}, cmdInit},
	{"serve", "run the node until interrupted", func(fs *flag.FlagSet, o *opts) {
		fs.Var(&o.listen, "listen", "multiaddr to listen on (repeatable; default: TCP and QUIC on all interfaces)")
		fs.BoolVar(&o.noMDNS, "no-mdns", false, "do not look for peers on the local network")
		fs.Var(&o.relays, "relay", "a relay's multiaddr ending in /p2p/ID, used when this node cannot be reached directly and named in your invites (repeatable)")
		fs.BoolVar(&o.noListen, "no-listen", false, "accept no direct connections: be reachable only through --relay")
		fs.StringVar(&o.reachability, "reachability", "", "private (always keep a relay slot) or public; default: detect")
		fs.StringVar(&o.passFile, "passphrase-file", "", "file holding the passphrase of the database key (else $UMBRELLA_PASSPHRASE; none if neither)")
		fs.StringVar(&o.keySuite, "key-suite", "x25519", "prekey KEM: x25519, or mlkem768x25519 (post-quantum hybrid; 9x larger key rotations)")
		fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
		fs.StringVar(&o.uploadLimit, "upload-limit", "", "bytes per second this node serves files at, to all peers together, e.g. 5MB or 5MiB (MB = 10^6 bytes, MiB = 2^20; default: no limit)")
	}, cmdServe},
	{"id", "show this node's peer id, name and addresses", nil, cmdID},
	{"community create", "create a community", func(fs *flag.FlagSet, o *opts) {
		fs.StringVar(&o.name, "name", "", "community name (required)")
	}, cmdCommunityCreate},
	{"communities", "list your communities", nil, cmdCommunities},
	{"groups", "list a community's groups", communityFlag, cmdGroups},
	{"members", "list a community's members and roles", communityFlag, cmdMembers},
	{"invite create", "make an invite link (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.expires, "expires", "", "how long it works, e.g. 48h, or never (default 7 days)")
		fs.IntVar(&o.maxUses, "max-uses", 0, "how many people it admits (default: no limit)")
	}, cmdInviteCreate},
	{"join", "join a community with an invite link", func(fs *flag.FlagSet, o *opts) {
		fs.StringVar(&o.link, "link", "", "the invite link (required)")
	}, cmdJoin},
	{"post", "send a message to a group", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		fs.StringVar(&o.text, "text", "", "the message (required)")
	}, cmdPost},
	{"messages", "show a group's messages", groupFlags, cmdMessages},
	{"prekey rotate", "draw a new encryption prekey and publish it in every community (the next key rotations wrap to it)", nil, cmdPrekeyRotate},
	{"name set", "change your display name", func(fs *flag.FlagSet, o *opts) {
		fs.StringVar(&o.name, "name", "", "new display name (required)")
	}, cmdNameSet},
	{"announce", "post to the announcement group (admins)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.text, "text", "", "the announcement (required)")
	}, cmdAnnounce},
	{"reply", "answer a message", func(fs *flag.FlagSet, o *opts) {
		messageFlags(fs, o)
		fs.StringVar(&o.text, "text", "", "the reply (required)")
	}, cmdReply},
	{"edit", "change the text of your message", func(fs *flag.FlagSet, o *opts) {
		messageFlags(fs, o)
		fs.StringVar(&o.text, "text", "", "the new text (required)")
	}, cmdEdit},
	{"delete", "delete a message for everyone (yours, or anyone's as an admin)", messageFlags, cmdDelete},
	{"pin", "pin a message (admins; --unpin to take it down)", func(fs *flag.FlagSet, o *opts) {
		messageFlags(fs, o)
		fs.BoolVar(&o.remove, "unpin", false, "unpin instead")
	}, cmdPin},
	{"react", "react to a message with an emoji", func(fs *flag.FlagSet, o *opts) {
		messageFlags(fs, o)
		fs.StringVar(&o.emoji, "emoji", "", "the emoji (required)")
		fs.BoolVar(&o.remove, "remove", false, "take your reaction back")
	}, cmdReact},
	{"poll create", "start a poll", func(fs *flag.FlagSet, o *opts) {
		groupFlags(fs, o)
		fs.StringVar(&o.question, "question", "", "the question (required)")
		fs.Var(&o.options, "option", "an option (repeat 2 to 12 times)")
		fs.BoolVar(&o.multi, "multi", false, "allow choosing several options")
		fs.StringVar(&o.closes, "closes", "", "closing time: a duration from now (48h), a local date and time (2026-12-01 18:00) or RFC 3339")
	}, cmdPollCreate},
	{"vote", "vote in a poll (options counted from 1)", func(fs *flag.FlagSet, o *opts) {
		pollFlags(fs, o)
		fs.Var(&o.choices, "option", "the number of an option you choose (repeatable in a multiple-choice poll)")
	}, cmdVote},
	{"poll show", "show a poll's results", pollFlags, cmdPollShow},
	{"poll close", "close a poll (its creator or an admin)", pollFlags, cmdPollClose},
	{"group create", "create a group (members may only suggest one unless the settings allow)", func(fs *flag.FlagSet, o *opts) {
		communityFlag(fs, o)
		fs.StringVar(&o.name, "name", "", "group name (required)")
		fs.StringVar(&o.description, "description", "", "what the group is for")
		fs.StringVar(&o.policy, "policy", "open", "who gets in: open, approval or everyone")
	}, cmdGroupCreate},
	{"group join", "join a group (or ask to, if it needs approval)", groupFlags, cmdGroupJoin},
	{"group leave", "leave a group", groupFlags, cmdGroupLeave},
	{"member remove", "remove a member from the community and all its groups (admins)", memberFlags, cmdMemberRemove},
	{"member promote", "make a member an admin (or, with --role owner, a co-owner)", func(fs *flag.FlagSet, o *opts) {
		memberFlags(fs, o)
		fs.StringVar(&o.role, "role", "admin", "admin or owner")
	}, cmdMemberPromote},
	{"member demote", "make an admin a plain member again", memberFlags, cmdMemberDemote},
	{"audit", "list the admin actions taken in a community", communityFlag, cmdAudit},
}

func init() {
	commands = append(append(append(append(commands, adminCommands...), dmCommands...), fileCommands...), demoCommand)
	commands = append(commands, pictureCommands...)
	commands = append(commands, groupMemberCommands...)
	commands = append(commands, stepsCommands...)
	commands = append(commands, contactCommands...)
}

func messageFlags(fs *flag.FlagSet, o *opts) {
	groupFlags(fs, o)
	fs.StringVar(&o.message, "message", "", "message id (required)")
}

func pollFlags(fs *flag.FlagSet, o *opts) {
	groupFlags(fs, o)
	fs.StringVar(&o.message, "poll", "", "poll id (required)")
}

func memberFlags(fs *flag.FlagSet, o *opts) {
	communityFlag(fs, o)
	fs.StringVar(&o.member, "member", "", "the member's peer id (required)")
}

func communityFlag(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.community, "community", "", "community id (required)")
}

func groupFlags(fs *flag.FlagSet, o *opts) {
	communityFlag(fs, o)
	fs.StringVar(&o.group, "group", "", "group id (required)")
}

func run(argv []string, stdout, stderr io.Writer) int {
	if len(argv) == 0 || argv[0] == "help" || argv[0] == "-h" || argv[0] == "--help" {
		printHelp(stdout)
		return exitOK
	}
	var cmd *command
	n := 0 // the longest name that matches wins: "relay dump" over "relay"
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(words) > n && len(argv) >= len(words) && strings.Join(argv[:len(words)], " ") == commands[i].name {
			cmd, n = &commands[i], len(words)
		}
	}
	argv = argv[n:]
	if cmd == nil {
		fmt.Fprintf(stderr, "umbrellad: unknown command %q; see `umbrellad help`\n", strings.Join(argv[:min(2, len(argv))], " "))
		return exitUsage
	}
	o := &opts{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("umbrellad "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	defHome, _ := node.DefaultHome()
	fs.StringVar(&o.home, "home", defHome, "data directory")
	fs.BoolVar(&o.json, "json", false, "print one JSON value on stdout")
	if cmd.flags != nil {
		cmd.flags(fs, o)
	}
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "umbrellad %s: unexpected argument %q\n", cmd.name, fs.Arg(0))
		return exitUsage
	}
	if err := checkUTF8(fs); err != nil {
		fmt.Fprintf(stderr, "umbrellad %s: %v\n", cmd.name, err)
		return exitUsage
	}
	if o.home == "" {
		fmt.Fprintf(stderr, "umbrellad: no home directory; pass --home DIR\n")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, o); err != nil {
		fmt.Fprintf(stderr, "umbrellad: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFail
	}
	return exitOK
}

// pathFlags name files, whose names need not be UTF-8; every other flag's
// value is text that goes into the community or the node's settings.
var pathFlags = map[string]bool{"home": true, "passphrase-file": true, "new-file": true, "old-file": true, "link-file": true, "path": true, "out": true}

// checkUTF8 refuses a flag value that is not UTF-8. The check happens here,
// on the raw bytes: JSON would silently turn them into U+FFFD on the way
// to the daemon.
func checkUTF8(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil || pathFlags[f.Name] {
			return
		}
		vals := []string{f.Value.String()}
		if m, ok := f.Value.(*multiFlag); ok {
			vals = *m
		}
		for _, v := range vals {
			if at := invalidUTF8(v); at >= 0 {
				err = usagef("--%s is not valid UTF-8 text (byte %#x at offset %d): use a UTF-8 terminal or file encoding", f.Name, v[at], at)
				return
			}
		}
	})
	return err
}

// invalidUTF8 returns the offset of the first byte of s that is not part of
// valid UTF-8, or -1.
func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "umbrellad — Umbrella's headless node")
	fmt.Fprintln(w, "\nUsage: umbrellad <command> [flags]   (every command takes --home DIR and --json)")
	fmt.Fprintln(w, "\nCommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun `umbrellad <command> -h` for a command's flags.")
}

// output prints v as JSON with --json, else calls human.
func output(o *opts, v any, human func(w io.Writer)) error {
	if o.json {
		enc := json.NewEncoder(o.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	human(tw)
	return tw.Flush()
}

func required(flagName, v string) error {
	if strings.TrimSpace(v) == "" {
		return usagef("--%s is required", flagName)
	}
	return nil
}

func parseID(flagName, v string) (crdt.ID, error) {
	if err := required(flagName, v); err != nil {
		return crdt.ID{}, err
	}
	id, err := crdt.ParseID(strings.TrimSpace(v))
	if err != nil {
		return crdt.ID{}, usagef("--%s: %v", flagName, err)
	}
	return id, nil
}

func cmdInit(_ context.Context, o *opts) error {
	if err := required("name", o.name); err != nil {
		return err
	}
	if err := node.Init(o.home, o.name); err != nil {
		if errors.Is(err, keyfile.ErrExists) {
			return fmt.Errorf("%s already holds an identity; use `umbrellad name set` to change your name", o.home)
		}
		return err
	}
	self, err := node.LoadSelf(o.home)
	if err != nil {
		return err
	}
	return output(o, self, func(w io.Writer) {
		fmt.Fprintf(w, "Created identity for %s\npeer id:\t%s\nhome:\t%s\n", self.Name, self.PeerID, o.home)
	})
}

func cmdServe(ctx context.Context, o *opts) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("--log-level: %v", err)
	}
	log := slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: level}))
	cfg := node.DefaultConfig(o.home)
	if len(o.listen) > 0 {
		cfg.Listen = o.listen
	}
	cfg.MDNS = !o.noMDNS
	cfg.Logger = log
	cfg.CallMedia = callMedia(cfg.Listen, log)
	host, err := callHost(cfg.Listen, log)
	if err != nil {
		return err
	}
	cfg.CallHost = host
	cfg.Relays = o.relays
	cfg.Reachability = o.reachability
	suite, err := e2ee.ParseSuite(o.keySuite)
	if err != nil {
		return usagef("--key-suite: %v", err)
	}
	cfg.KeySuite = suite
	if o.uploadLimit != "" {
		if cfg.UploadLimit, err = parseSize(o.uploadLimit); err != nil {
			return usagef("--upload-limit: %v", err)
		}
	}
	pass, err := readPassphrase(o.passFile)
	if err != nil {
		return err
	}
	if pass == nil && os.Getenv("UMBRELLA_PASSPHRASE") != "" {
		pass = []byte(os.Getenv("UMBRELLA_PASSPHRASE"))
	}
	cfg.Passphrase = pass
	if o.noListen {
		if len(o.relays) == 0 {
			return usagef("--no-listen needs at least one --relay, or no one could reach this node")
		}
		if len(o.listen) > 0 {
			return usagef("--no-listen and --listen contradict each other")
		}
		cfg.Listen = nil
		if cfg.Reachability == "" {
			cfg.Reachability = "private"
		}
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", strings.TrimPrefix(err.Error(), "config: "))
	}
	if !node.HasIdentity(o.home) {
		return fmt.Errorf("%s has no identity yet; run `umbrellad init --home %s --name NAME` first", o.home, o.home)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		if errors.Is(err, node.ErrHomeInUse) {
			return fmt.Errorf("home %s is already in use by another umbrellad or umbrella", o.home)
		}
		if errors.Is(err, node.ErrPortInUse) {
			return fmt.Errorf("%w; choose another port with --listen, or stop that program", err)
		}
		return err
	}
	defer n.Close()
	l, err := listenControl(o.home)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: controlHandler(n, log), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	self := n.Self()
	if err := output(o, map[string]any{"peer_id": self.PeerID, "name": self.Name, "addrs": self.Addrs, "socket": socketPath(o.home)}, func(w io.Writer) {
		fmt.Fprintf(w, "umbrellad running as %s (%s)\n", self.Name, self.PeerID)
		for _, a := range self.Addrs {
			fmt.Fprintf(w, "  listening on %s\n", a)
		}
		fmt.Fprintf(w, "  control socket %s\n", socketPath(o.home))
	}); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		return fmt.Errorf("control API: %w", err)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	os.Remove(socketPath(o.home))
	return n.Close()
}

// call runs one control API method with a bounded time.
func call(ctx context.Context, o *opts, method string, a args, out any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return newClient(o.home).call(ctx, method, a, out)
}

const callTimeout = 15 * time.Second

func cmdID(ctx context.Context, o *opts) error {
	var self api.Self
	err := call(ctx, o, "id", args{}, &self, callTimeout)
	if errors.Is(err, errNoDaemon) {
		self, err = node.LoadSelf(o.home)
		self.Addrs = []string{}
	}
	if err != nil {
		return err
	}
	return output(o, self, func(w io.Writer) {
		fmt.Fprintf(w, "name:\t%s\npeer id:\t%s\n", self.Name, self.PeerID)
		for _, a := range self.Addrs {
			fmt.Fprintf(w, "addr:\t%s\n", a)
		}
		if len(self.Addrs) == 0 {
			fmt.Fprintf(w, "addrs:\t(not running)\n")
		}
	})
}

func cmdCommunityCreate(ctx context.Context, o *opts) error {
	if err := required("name", o.name); err != nil {
		return err
	}
	var c api.Community
	if err := call(ctx, o, "community.create", args{Name: o.name}, &c, callTimeout); err != nil {
		return err
	}
	return output(o, c, func(w io.Writer) {
		fmt.Fprintf(w, "Created %q\ncommunity:\t%s\n", c.Name, c.ID)
	})
}

func cmdCommunities(ctx context.Context, o *opts) error {
	var cs []api.Community
	if err := call(ctx, o, "communities", args{}, &cs, callTimeout); err != nil {
		return err
	}
	return output(o, cs, func(w io.Writer) {
		if len(cs) == 0 {
			fmt.Fprintln(w, "No communities yet. Create one with `umbrellad community create --name NAME` or join with `umbrellad join --link LINK`.")
			return
		}
		fmt.Fprintln(w, "ID\tNAME\tMEMBERS\tROLE")
		for _, c := range cs {
			role := c.Role
			switch {
			case c.Removed:
				role = "removed by " + c.RemovedBy
			case c.Left:
				role = "left"
			case c.JoinUndone:
				role = "join undone"
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", c.ID, c.Name, c.Members, role)
		}
	})
}

func cmdGroups(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var gs []api.Group
	if err := call(ctx, o, "groups", args{Community: cid}, &gs, callTimeout); err != nil {
		return err
	}
	return output(o, gs, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tNAME\tKIND")
		for _, g := range gs {
			fmt.Fprintf(w, "%s\t%s\t%s\n", g.ID, g.Name, g.Kind)
		}
	})
}

func cmdMembers(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var ms []api.Member
	if err := call(ctx, o, "members", args{Community: cid}, &ms, callTimeout); err != nil {
		return err
	}
	return output(o, ms, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tROLE\tSAFETY NUMBER\tPEER")
		for _, m := range ms {
			sn := m.SafetyNumber
			if sn == "" {
				sn = "(being computed; ask again in a moment)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.Name, m.Role, sn, m.PeerID)
		}
	})
}

func cmdInviteCreate(ctx context.Context, o *opts) error {
	cid, err := parseID("community", o.community)
	if err != nil {
		return err
	}
	var res struct {
		Link string `json:"link"`
	}
	inv := api.InviteOptions{MaxUses: o.maxUses}
	lasts := "for " + durationText(api.DefaultInviteLifetime)
	switch o.expires {
	case "":
	case "never":
		inv.Lifetime, lasts = -1, "until it is revoked"
	default:
		d, err := time.ParseDuration(o.expires)
		if err != nil || d <= 0 {
			return usagef("--expires %q: want a positive duration such as 48h, or never", o.expires)
		}
		inv.Lifetime, lasts = d, "for "+durationText(d)
	}
	if o.maxUses < 0 {
		return usagef("--max-uses %d: want a positive number", o.maxUses)
	}
	if o.maxUses > 0 {
		lasts += ", for " + plural(o.maxUses, "person", "people")
	}
	if err := call(ctx, o, "invite.create", args{Community: cid, InviteOptions: &inv}, &res, callTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) {
		fmt.Fprintf(w, "Share this link with the people you invite (it works %s):\n%s\n", lasts, res.Link)
	})
}

func cmdJoin(ctx context.Context, o *opts) error {
	if err := required("link", o.link); err != nil {
		return err
	}
	// Either form of link: check what can be checked before the daemon
	// dials anyone.
	if join.IsShort(o.link) {
		if _, err := join.ParseShortLink(o.link); err != nil {
			return err
		}
	} else if _, err := join.Read(o.link); err != nil {
		return err
	}
	var c joinResult
	if err := call(ctx, o, "join", args{Link: o.link}, &c, 60*time.Second); err != nil {
		return err
	}
	return output(o, c, func(w io.Writer) {
		if c.ViaRelay {
			fmt.Fprintln(w, "Joined through the relay, the inviter is offline.")
		}
		fmt.Fprintf(w, "Joined %q (%s)\ncommunity:\t%s\n", c.Name, plural(c.Members, "member", "members"), c.ID)
	})
}

// joinResult is what join prints: the community, and whether a relay
// took the join because no member was online (via_relay).
type joinResult struct {
	api.Community
	ViaRelay bool `json:"via_relay,omitempty"`
}

func cmdPost(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	if err := required("text", o.text); err != nil {
		return err
	}
	var res struct {
		ID crdt.ID `json:"id"`
	}
	if err := call(ctx, o, "post", args{Community: cid, Group: gid, Text: o.text}, &res, callTimeout); err != nil {
		return err
	}
	return output(o, res, func(w io.Writer) { fmt.Fprintf(w, "Sent\nid:\t%s\n", res.ID) })
}

func cmdMessages(ctx context.Context, o *opts) error {
	ids, err := commonIDs(o, needsGroup)
	if err != nil {
		return err
	}
	cid, gid := ids.Community, ids.Group
	return streamMessages(ctx, o, cid, gid)
}

// streamMessages prints a group's messages a page at a time, so a group
// of any size fits in bounded memory and in the control API's answer
// limit; a page too big for it (long messages with many reactions) is
// asked for again in halves. With --json it prints one JSON array, as
// output would. Messages that arrive meanwhile may shift the pages: one
// seen twice is printed once.
func streamMessages(ctx context.Context, o *opts, cid, gid crdt.ID) error {
	w := o.stdout
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	if !o.json {
		w = tw
	}
	seen := map[crdt.ID]bool{}
	printed, limit := 0, api.MaxPage
	for from := 0; ; {
		var p page
		err := call(ctx, o, "messages.page", args{Community: cid, Group: gid, From: from, Limit: limit}, &p, callTimeout)
		if errors.Is(err, errResponseTooLarge) && limit > 1 {
			limit /= 2
			continue
		}
		if err != nil {
			return err
		}
		for _, m := range p.Messages {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			if err := printOne(o, w, m, printed == 0); err != nil {
				return err
			}
			printed++
		}
		from = p.From + len(p.Messages)
		if len(p.Messages) == 0 || from >= p.Total {
			break
		}
		if o.json {
			continue
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if o.json {
		if printed == 0 {
			_, err := io.WriteString(w, "[]\n")
			return err
		}
		_, err := io.WriteString(w, "\n]\n")
		return err
	}
	if printed == 0 {
		fmt.Fprintln(w, "No messages yet.")
	}
	return tw.Flush()
}

// printOne prints a message of a stream: for people, a line; with --json,
// an element of an array indented as output indents it.
func printOne(o *opts, w io.Writer, m api.Message, first bool) error {
	if !o.json {
		printMessage(w, m)
		return nil
	}
	data, err := json.MarshalIndent(m, "  ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if first {
		sep = "[\n  "
	}
	if _, err := io.WriteString(w, sep); err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// printMessage prints one message for people: time, author, text and its
// marks (reply, edited, deleted, hidden by a removal, pinned), reactions
// and, for a poll, its results; then the id, for commands that act on it.
func printMessage(w io.Writer, m api.Message) {
	text := strings.ReplaceAll(m.Text, "\n", "\n\t\t")
	switch {
	case m.Hidden != "":
		text = "[hidden: " + m.Hidden + "]"
	case m.Deleted:
		text = "[deleted by " + m.DeletedBy + "]"
	case m.Poll != nil:
		text = "📊 " + text
	case m.File != nil:
		text = strings.TrimSpace(fmt.Sprintf("📎 %s (%s) %s", m.File.Name, crdt.SizeText(m.File.Size), text))
	case m.Win != nil || m.Promo != nil || m.Event != nil:
		text = teamCardText(m, text) // wins_cmds.go
	case m.Call != nil:
		text = callRowText(m.Call)
	}
	var marks []string
	if m.ReplyTo != nil {
		marks = append(marks, "↪ "+m.ReplyTo.Short())
	}
	if m.Edited {
		marks = append(marks, "(edited)")
	}
	if m.Pinned {
		marks = append(marks, "📌")
	}
	for _, r := range m.Reactions {
		marks = append(marks, fmt.Sprintf("%s %d", r.Emoji, r.Count))
	}
	fmt.Fprintf(w, "%s\t%s:\t%s\t%s\t%s\n", m.Time.Local().Format("Jan 2 15:04"), m.AuthorName, text, strings.Join(marks, " "), m.ID)
	if m.Poll != nil && !m.Deleted && m.Hidden == "" {
		for i, o := range m.Poll.Options {
			fmt.Fprintf(w, "\t\t  %d. %s — %d\n", i+1, o.Text, o.Votes)
		}
	}
}

// callRowText is a call's row for people: "📞 voice call · in progress",
// "🎥 video call · ended · 23m0s · 6 joined".
func callRowText(c *api.CallRow) string {
	kind := "📞 voice call"
	if c.Video {
		kind = "🎥 video call"
	}
	if c.Active {
		return kind + " · in progress"
	}
	return fmt.Sprintf("%s · ended · %s · %d joined", kind, time.Duration(c.Duration), len(c.Joined))
}

func cmdNameSet(ctx context.Context, o *opts) error {
	if err := required("name", o.name); err != nil {
		return err
	}
	var self api.Self
	if err := call(ctx, o, "name.set", args{Name: o.name}, &self, callTimeout); err != nil {
		return err
	}
	return output(o, self, func(w io.Writer) { fmt.Fprintf(w, "You are now %q\n", self.Name) })
}

func cmdPrekeyRotate(ctx context.Context, o *opts) error {
	var self api.Self
	if err := call(ctx, o, "prekey.rotate", args{}, &self, callTimeout); err != nil {
		return err
	}
	return output(o, self, func(w io.Writer) {
		fmt.Fprintln(w, "New prekey published; your safety number is unchanged:", self.SafetyNumber)
	})
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
