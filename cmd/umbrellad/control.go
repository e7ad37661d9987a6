package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The control API is JSON over HTTP/1.1 on a unix socket in the home
// directory (mode 0600, so only the owner may drive the node). Every call is
// POST /v1/<method> with a JSON object of arguments; the answer is the JSON
// result with status 200, or {"error": "..."} with status 400 (bad
// arguments) or 500 (the node refused). A request body must be UTF-8 and at
// most 1 MiB. Lists that grow without bound are read a page at a time
// ("messages.page"); "messages" returns the whole group at once.
const (
	socketName   = "umbrellad.sock"
	maxBodyBytes = 1 << 20
)

// maxResponseBytes bounds an answer the client reads (a variable so tests
// can make it small).
var maxResponseBytes int64 = 64 << 20

// errResponseTooLarge: the daemon's answer is bigger than maxResponseBytes.
var errResponseTooLarge = errors.New("the daemon's answer is too large")

// page is the answer of "messages.page": a window of a group's messages.
type page struct {
	// Total is how many messages the group shows; From is the index of
	// Messages[0].
	Total    int           `json:"total"`
	From     int           `json:"from"`
	Messages []api.Message `json:"messages"`
}

func socketPath(home string) string { return filepath.Join(home, socketName) }

// args are the union of every method's arguments.
type args struct {
	Name        string    `json:"name,omitempty"`
	Community   crdt.ID   `json:"community,omitzero"`
	Group       crdt.ID   `json:"group,omitzero"`
	Text        string    `json:"text,omitempty"`
	Link        string    `json:"link,omitempty"`
	Member      string    `json:"member,omitempty"`  // peer id
	Members     []string  `json:"members,omitempty"` // peer ids: dm.open
	Message     crdt.ID   `json:"message,omitzero"`  // a message or poll id
	Emoji       string    `json:"emoji,omitempty"`
	On          bool      `json:"on,omitempty"`
	Question    string    `json:"question,omitempty"`
	Options     []string  `json:"options,omitempty"`
	Choices     []int     `json:"choices,omitempty"` // poll options, counted from 0
	Multi       bool      `json:"multi,omitempty"`
	Closes      time.Time `json:"closes,omitzero"`
	Role        string    `json:"role,omitempty"`
	Policy      string    `json:"policy,omitempty"`
	Description string    `json:"description,omitempty"`
	Invite      crdt.ID   `json:"invite,omitzero"`
	Approve     bool      `json:"approve,omitempty"`
	Relay       string    `json:"relay,omitempty"` // a relay's multiaddr ending in /p2p/ID
	// From and Limit choose a page: up to Limit (at most api.MaxPage)
	// items from index From; a negative From counts from the end.
	From  int `json:"from,omitempty"`
	Limit int `json:"limit,omitempty"`
	// Invite options and settings travel whole.
	InviteOptions *api.InviteOptions `json:"invite_options,omitempty"`
	Settings      *api.Settings      `json:"settings,omitempty"`
	GroupSettings *api.GroupSettings `json:"group_settings,omitempty"`
	// Groups is an order of groups, first to last.
	Groups []crdt.ID `json:"groups,omitempty"`
	// Path is a file to share, Out where to write one (absolute paths).
	Path string `json:"path,omitempty"`
	Out  string `json:"out,omitempty"`
	// Image is a profile photo or community icon (crdt.CheckImage).
	Image []byte `json:"image,omitempty"`
	// Team holds the arguments of the team methods (wins_cmds.go).
	Team *teamArgs `json:"team,omitempty"`
	// Call holds the arguments of the call methods (call_cmds.go).
	Call *callArgs `json:"call,omitempty"`
}

type badRequest struct{ error }

func needCommunity(a args) error {
	if a.Community.IsZero() {
		return badRequest{errors.New("community id is required")}
	}
	return nil
}

func needMessage(a args) error {
	if err := needGroup(a); err != nil {
		return err
	}
	if a.Message.IsZero() {
		return badRequest{errors.New("message id is required")}
	}
	return nil
}

func needMember(a args) error {
	if err := needCommunity(a); err != nil {
		return err
	}
	if a.Member == "" {
		return badRequest{errors.New("member peer id is required")}
	}
	return nil
}

var ok = map[string]bool{"ok": true}

// done turns an error-only result into {"ok": true}.
func done(err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// opID turns an id result into {"id": ID}.
func opID(id crdt.ID, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]crdt.ID{"id": id}, nil
}

// ruleMethods are the community operations beyond posting.
func ruleMethods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"member.remove": func(ctx context.Context, a args) (any, error) {
			if err := needMember(a); err != nil {
				return nil, err
			}
			return done(n.RemoveMember(ctx, a.Community, a.Member))
		},
		"member.role": func(ctx context.Context, a args) (any, error) {
			if err := needMember(a); err != nil {
				return nil, err
			}
			return done(n.SetRole(ctx, a.Community, a.Member, a.Role))
		},
		"group.create": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.CreateGroup(ctx, a.Community, a.Name, a.Description, a.Policy)
		},
		"group.join": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			return done(n.JoinGroup(ctx, a.Community, a.Group))
		},
		"group.leave": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			return done(n.LeaveGroup(ctx, a.Community, a.Group))
		},
		"reply": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return opID(n.Reply(ctx, a.Community, a.Group, a.Message, a.Text))
		},
		"edit": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return done(n.Edit(ctx, a.Community, a.Group, a.Message, a.Text))
		},
		"delete": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return done(n.Delete(ctx, a.Community, a.Group, a.Message))
		},
		"pin": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return done(n.Pin(ctx, a.Community, a.Group, a.Message, a.On))
		},
		"react": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return done(n.React(ctx, a.Community, a.Group, a.Message, a.Emoji, a.On))
		},
		"poll.create": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			return opID(n.CreatePoll(ctx, a.Community, a.Group, a.Question, a.Options, a.Multi, a.Closes))
		},
		"vote": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return done(n.Vote(ctx, a.Community, a.Group, a.Message, a.Choices))
		},
		"poll.close": func(ctx context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return done(n.ClosePoll(ctx, a.Community, a.Group, a.Message))
		},
		"message": func(_ context.Context, a args) (any, error) {
			if err := needMessage(a); err != nil {
				return nil, err
			}
			return n.Message(a.Community, a.Group, a.Message)
		},
		"audit": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Audit(a.Community)
		},
	}
}

func needGroup(a args) error {
	if err := needCommunity(a); err != nil {
		return err
	}
	if a.Group.IsZero() {
		return badRequest{errors.New("group id is required")}
	}
	return nil
}

// methods maps method names to handlers over the node API.
func methods(n api.API) map[string]func(context.Context, args) (any, error) {
	return map[string]func(context.Context, args) (any, error){
		"id":     func(context.Context, args) (any, error) { return n.Self(), nil },
		"status": func(context.Context, args) (any, error) { return n.Status(), nil },
		"community.create": func(ctx context.Context, a args) (any, error) {
			if a.Name == "" {
				return nil, badRequest{errors.New("name is required")}
			}
			return n.CreateCommunity(ctx, a.Name)
		},
		"communities": func(context.Context, args) (any, error) {
			cs := n.Communities()
			if cs == nil {
				cs = []api.Community{}
			}
			return cs, nil
		},
		"groups": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return n.Groups(a.Community)
		},
		"prekey.rotate": func(ctx context.Context, _ args) (any, error) {
			return n.Self(), n.RotatePrekey(ctx)
		},
		"members": func(_ context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			return withSafetyNumbers(n, n.Members)(a.Community)
		},
		"invite.create": func(ctx context.Context, a args) (any, error) {
			if err := needCommunity(a); err != nil {
				return nil, err
			}
			var opts api.InviteOptions
			if a.InviteOptions != nil {
				opts = *a.InviteOptions
			}
			link, err := n.CreateInvite(ctx, a.Community, opts)
			return map[string]string{"link": link}, err
		},
		"join": func(ctx context.Context, a args) (any, error) {
			if a.Link == "" {
				return nil, badRequest{errors.New("link is required")}
			}
			var via bool
			c, err := n.JoinWithProgress(ctx, a.Link, func(p api.JoinProgress) { via = via || p.ViaRelay })
			return joinResult{Community: c, ViaRelay: via}, err
		},
		"post": func(ctx context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			id, err := n.Post(ctx, a.Community, a.Group, a.Text)
			return map[string]crdt.ID{"id": id}, err
		},
		"messages": func(_ context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			ms, err := n.Messages(a.Community, a.Group)
			if ms == nil {
				ms = []api.Message{}
			}
			return ms, err
		},
		"messages.page": func(_ context.Context, a args) (any, error) {
			if err := needGroup(a); err != nil {
				return nil, err
			}
			if a.Limit < 0 {
				return nil, badRequest{fmt.Errorf("limit %d: want 1 to %d, or 0 for %d", a.Limit, api.MaxPage, api.MaxPage)}
			}
			limit := a.Limit
			if limit == 0 {
				limit = api.MaxPage
			}
			p, err := n.MessagePage(a.Community, a.Group, a.From, limit)
			if err != nil {
				return nil, err
			}
			if p.Messages == nil {
				p.Messages = []api.Message{}
			}
			return page{Total: p.Total, From: p.From, Messages: p.Messages}, nil
		},
		"name.set": func(ctx context.Context, a args) (any, error) {
			if err := n.SetName(ctx, a.Name); err != nil {
				return nil, err
			}
			return n.Self(), nil
		},
	}
}

// controlHandler serves the control API over n.
// withSafetyNumbers wraps a members list so that it carries every
// member's safety number: the node lists only those it knows (and a
// window's worth), and `umbrellad members` prints them all, so it asks
// for the rest.
func withSafetyNumbers(n api.API, list func(crdt.ID) ([]api.Member, error)) func(crdt.ID) ([]api.Member, error) {
	return func(cid crdt.ID) ([]api.Member, error) {
		ms, err := list(cid)
		if err != nil {
			return ms, err
		}
		var peers []string
		var at []int
		for i, m := range ms {
			if m.SafetyNumber == "" {
				peers, at = append(peers, m.PeerID), append(at, i)
			}
		}
		if len(peers) == 0 {
			return ms, nil
		}
		sn, err := n.SafetyNumbers(peers)
		if err != nil {
			return ms, err
		}
		for j, i := range at {
			ms[i].SafetyNumber = sn[j]
		}
		return ms, nil
	}
}

func controlHandler(n api.API, log *slog.Logger) http.Handler {
	ms := methods(n)
	maps.Copy(ms, ruleMethods(n))
	maps.Copy(ms, dmMethods(n))
	maps.Copy(ms, fileMethods(n))
	maps.Copy(ms, adminMethods(n))
	maps.Copy(ms, relayMethods(n))
	maps.Copy(ms, pictureMethods(n))
	maps.Copy(ms, teamMethods(n))
	maps.Copy(ms, stepsMethods(n))
	maps.Copy(ms, groupMemberMethods(n))
	maps.Copy(ms, contactMethods(n))
	maps.Copy(ms, callMethods(n))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/{method}", func(w http.ResponseWriter, r *http.Request) {
		fn, ok := ms[r.PathValue("method")]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("unknown method %q", r.PathValue("method"))})
			return
		}
		var a args
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err == nil {
			err = checkJSONText(raw)
		}
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err = dec.Decode(&a); errors.Is(err, io.EOF) {
				err = nil // no arguments
			}
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request: " + err.Error()})
			return
		}
		res, err := fn(r.Context(), a)
		if err != nil {
			status := http.StatusInternalServerError
			var br badRequest
			if errors.As(err, &br) {
				status = http.StatusBadRequest
			}
			log.Debug("control call failed", "method", r.PathValue("method"), "err", err)
			writeJSON(w, status, callError{Error: err.Error(), Resumable: resumable(err)})
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	return mux
}

// checkJSONText refuses a request body that is not UTF-8, or that escapes
// a lone UTF-16 surrogate (\ud800): encoding/json would silently turn
// either into U+FFFD, and the node would store that instead of refusing.
func checkJSONText(raw []byte) error {
	if !utf8.Valid(raw) {
		at := 0
		for at < len(raw) {
			r, size := utf8.DecodeRune(raw[at:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			at += size
		}
		return fmt.Errorf("the body is not valid UTF-8 (byte %#x at offset %d)", raw[at], at)
	}
	// Backslashes occur only inside JSON strings, each starting an escape.
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		hi, ok := escapedRune(raw, i)
		if !ok {
			i++ // not a \u escape: skip the escaped character
			continue
		}
		switch {
		case utf16.IsSurrogate(hi) && hi < 0xdc00:
			lo, ok := escapedRune(raw, i+6)
			if !ok || utf16.DecodeRune(hi, lo) == utf8.RuneError {
				return fmt.Errorf("the body escapes a lone UTF-16 surrogate %s at offset %d, which is not text", raw[i:i+6], i)
			}
			i += 11
		case utf16.IsSurrogate(hi):
			return fmt.Errorf("the body escapes a lone UTF-16 surrogate %s at offset %d, which is not text", raw[i:i+6], i)
		default:
			i += 5
		}
	}
	return nil
}

// escapedRune decodes the \uXXXX escape at raw[i:], if there is one.
func escapedRune(raw []byte, i int) (rune, bool) {
	if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
	return rune(v), err == nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// listenControl opens the control socket, refusing to steal one a live
// daemon answers on and removing a stale one.
func listenControl(home string) (net.Listener, error) {
	path := socketPath(home)
	if _, err := os.Stat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("an umbrellad already answers on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// client calls a daemon's control API.
type client struct {
	home string
	http *http.Client
}

// errNoDaemon: nothing answers on the home's control socket.
var errNoDaemon = errors.New("no umbrellad is running")

// callError is the body of a failed call: the error's text, and whether
// the same call may succeed later and pick up where it stopped (a
// download whose sources went away), as opposed to a permanent refusal.
type callError struct {
	Error     string `json:"error"`
	Resumable bool   `json:"resumable,omitempty"`
}

// resumableError is a failed call the daemon marked resumable.
type resumableError struct{ error }

func (e resumableError) Unwrap() error { return e.error }

// resumable reports whether err ended a call that, run again, resumes:
// the network or the sources failed, or the call was cut short; never a
// refusal such as a file too large, a bad hash or a missing right.
func resumable(err error) bool {
	for _, e := range []error{api.ErrNoSource, api.ErrBadSource, api.ErrNoPeer, api.ErrDiskFull, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// cutShort is the error of a call whose connection failed after the
// daemon took it: the daemon stopped (a crash, a kill) before it
// answered. Run again once the daemon runs, the call resumes where it can
// (a download), so it is resumable.
func (c *client) cutShort(ctx context.Context, err error) error {
	if ctx.Err() == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)) {
		return resumableError{fmt.Errorf("umbrellad for home %s stopped before it answered (did it crash?); start it again with `umbrellad serve --home %s`: %w", c.home, c.home, err)}
	}
	return fmt.Errorf("control API: %w", err)
}

func newClient(home string) *client {
	path := socketPath(home)
	return &client{home: home, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}}
}

func (c *client) call(ctx context.Context, method string, a args, out any) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://umbrellad/v1/"+method, bytesReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return fmt.Errorf("%w for home %s; start it with `umbrellad serve --home %s`", errNoDaemon, c.home, c.home)
		}
		return c.cutShort(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return c.cutShort(ctx, err)
	}
	if int64(len(raw)) > maxResponseBytes {
		size := fmt.Sprintf("%d KiB", maxResponseBytes>>10)
		if maxResponseBytes >= 1<<20 {
			size = fmt.Sprintf("%d MiB", maxResponseBytes>>20)
		}
		return fmt.Errorf("control API: %s: %w (over %s)", method, errResponseTooLarge, size)
	}
	if resp.StatusCode != http.StatusOK {
		var e callError
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			if e.Resumable {
				return resumableError{errors.New(e.Error)}
			}
			return errors.New(e.Error)
		}
		return fmt.Errorf("control API: %s", resp.Status)
	}
	return json.Unmarshal(raw, out)
}
