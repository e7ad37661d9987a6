// Package join is the joiner's side of a join: it reads and checks invite
// links, signs the join op, asks the members a link names to admit it,
// and fetches keys and pulls the community once one did. The member's
// side (admitting a join) is package sync/exchange's Server.Admit.
//
// It reaches peers, the peer book, the replica and the rest of the node
// only through the small interfaces below, so its flow is tested with
// fakes. It must never open a connection or a stream itself, nor decide
// whether a join is valid: members judge that, by crdt's rules.
package join

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// DialTimeout bounds dialling one address of an invite.
const DialTimeout = 15 * time.Second

// Dialer reaches the peers an invite names.
type Dialer interface {
	// Connect dials ai.
	Connect(ctx context.Context, ai peer.AddrInfo) error
	// Join sends req to connected peer p and returns its answer.
	Join(ctx context.Context, p peer.ID, req *wire.JoinRequest) (*wire.JoinResponse, error)
}

// Syncer brings a community from a member that admitted this node.
type Syncer interface {
	// FetchKeys fetches the keys p holds for this node in cid.
	FetchKeys(ctx context.Context, p peer.ID, cid crdt.ID) error
	// Pull brings cid up to date with p, counting ops into rc.
	Pull(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) error
	// FetchSecret fetches cid's topic secret from p.
	FetchSecret(ctx context.Context, p peer.ID, cid crdt.ID) error
	// OpenInviteKeys opens, with seed, the secret of the link this node
	// joins by, the epoch secrets that ops, invite op inv's invite-keys
	// ops as a relay handed them, wrap (keys.Manager.OpenInviteKeys).
	OpenInviteKeys(ctx context.Context, inv *crdt.Op, seed []byte, ops [][]byte) error
}

// Book is the peer book's part in a join (package reach's Book).
type Book interface {
	Pending() []crdt.ID
	SetPending(cid crdt.ID, on bool)
	// SetRequest keeps data, the joiner's record of its request to join
	// cid, across restarts; nil forgets it. Requests returns them.
	SetRequest(cid crdt.ID, data []byte)
	Requests() map[crdt.ID][]byte
	SetJoining(cid crdt.ID, on bool, now time.Time)
	Remember(ai peer.AddrInfo)
	AddRelays(rs []peer.AddrInfo)
}

// Replica takes the joiner's own ops (package sync/replica's Replica).
type Replica interface {
	Expect(cid crdt.ID)
	Ingest(ctx context.Context, op *crdt.Op) (replica.Result, error)
}

// Local is the rest of the node.
type Local interface {
	// Community returns community cid as the API shows it.
	Community(cid crdt.ID) (api.Community, error)
	// Name is this node's display name.
	Name() string
	// Entered follows a completed join: topics, durability, events.
	Entered(ctx context.Context, cid crdt.ID) error
}

// Config is what a Joiner needs.
type Config struct {
	Self    peer.ID
	ID      crdt.Signer // signs join ops; Self's key
	Dialer  Dialer
	Syncer  Syncer
	Book    Book
	Replica Replica
	Local   Local
	Now     func() time.Time
	Log     *slog.Logger
}

// Joiner runs this node's joins.
type Joiner struct {
	cfg Config

	mu    sync.Mutex
	now   map[crdt.ID]int      // Join calls under way, by community; guarded by mu
	asked map[crdt.ID]*request // requests to join made by this process; guarded by mu
}

// request is a request to join a community that admits by approval, as
// this node made it: the invite and the join op it asks again with.
type request struct {
	inv      *Invite
	join     *crdt.Op
	declined bool // a member said an admin declined it
}

// New returns a Joiner over cfg.
func New(cfg Config) *Joiner {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	j := &Joiner{cfg: cfg, now: map[crdt.ID]int{}, asked: map[crdt.ID]*request{}}
	for cid, data := range cfg.Book.Requests() {
		r, err := loadRequest(cid, data)
		if err != nil {
			cfg.Log.Warn("forgetting an unreadable request to join", "community", cid.Short(), "err", err)
			cfg.Book.SetRequest(cid, nil)
			continue
		}
		j.asked[cid] = r
	}
	return j
}

// savedRequest is a request as the peer book keeps it across restarts.
type savedRequest struct {
	Name     string          `json:"name"`
	Invite   []byte          `json:"invite"`
	Join     []byte          `json:"join"`
	Addrs    []peer.AddrInfo `json:"addrs"`
	Declined bool            `json:"declined,omitempty"`
}

// save keeps r, the request to join cid, in the peer book.
func (j *Joiner) save(cid crdt.ID, r *request) {
	data, err := json.Marshal(savedRequest{Name: r.inv.Name, Invite: r.inv.Op.Bytes(), Join: r.join.Bytes(), Addrs: r.inv.Addrs, Declined: r.declined})
	if err != nil {
		j.cfg.Log.Warn("keep a request to join", "community", cid.Short(), "err", err)
		return
	}
	j.cfg.Book.SetRequest(cid, data)
}

// loadRequest reads a request save kept, checking its ops.
func loadRequest(cid crdt.ID, data []byte) (*request, error) {
	if len(data) > maxSavedRequest {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), maxSavedRequest)
	}
	var sr savedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return nil, err
	}
	inv, err := crdt.DecodeOp(sr.Invite)
	if err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	join, err := crdt.DecodeOp(sr.Join)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if inv.Kind != crdt.KindInvite || join.Kind != crdt.KindJoin || inv.CommunityID() != cid || join.CommunityID() != cid {
		return nil, errors.New("not an invite and a join of the community")
	}
	return &request{inv: &Invite{Invite: api.Invite{Community: cid, Name: sr.Name}, Op: inv, Addrs: sr.Addrs}, join: join, declined: sr.Declined}, nil
}

// Running reports whether a Join call for cid is under way (it pulls cid
// itself).
func (j *Joiner) Running(cid crdt.ID) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.now[cid] > 0
}

// Parse reads an invite link of either form (see Resolve) and checks its
// expiry by this node's clock.
func (j *Joiner) Parse(ctx context.Context, link string) (*api.Invite, error) {
	inv, err := j.Resolve(ctx, link)
	if err != nil {
		return nil, err
	}
	if err := inv.CheckExpiry(j.cfg.Now()); err != nil {
		return nil, err
	}
	return &inv.Invite, nil
}

// JoinOp signs this node's join op for inv.
func (j *Joiner) JoinOp(inv *Invite) (*crdt.Op, error) {
	return inv.JoinOp(j.cfg.ID, j.cfg.Local.Name(), j.cfg.Now())
}

// errAwaitingApproval: the member recorded a request to join.
var errAwaitingApproval = errors.New("the join waits for an admin's approval")

// Join redeems an invite link (see node.JoinWithProgress), calling
// progress (if not nil) as each stage begins and as ops arrive.
func (j *Joiner) Join(ctx context.Context, link string, progress func(api.JoinProgress)) (api.Community, error) {
	inv, err := j.Resolve(ctx, link)
	if err != nil {
		return api.Community{}, err
	}
	relayed := false // the join goes through a relay, with no member online
	report := func(p api.JoinProgress) {
		if progress != nil {
			p.Community, p.ViaRelay = inv.Name, relayed
			progress(p)
		}
	}
	report(api.JoinProgress{Stage: api.JoinChecking})
	// An expired link admits no one new: the join op carries this node's
	// clock, past the expiry, so no member can accept it. It is still
	// sent, in case this node is a member that lost the community.
	expired := inv.CheckExpiry(j.cfg.Now())
	cid := inv.Community
	if c, err := j.cfg.Local.Community(cid); err == nil && c.Role != crdt.RoleNone.String() {
		return c, nil // already a member
	}
	if slices.Contains(j.cfg.Book.Pending(), cid) {
		return api.Community{ID: cid, Name: inv.Name, Role: api.RoleRequested}, nil // already asked
	}
	join, err := j.JoinOp(inv)
	if err != nil {
		return api.Community{}, err
	}
	book := j.cfg.Book
	j.cfg.Replica.Expect(cid)
	book.AddRelays(inv.Relays)
	// Until it holds the community, or a member refuses, this join is in
	// flight: cut short after a member admitted it (a crash, a lost
	// connection), the node resumes it by itself, pulling from the
	// members it meets.
	book.SetJoining(cid, true, j.cfg.Now())
	for _, ai := range inv.Addrs {
		book.Remember(ai)
	}
	j.mu.Lock()
	j.now[cid]++
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		if j.now[cid]--; j.now[cid] <= 0 {
			delete(j.now, cid)
		}
		j.mu.Unlock()
	}()
	var errs []error
	refused := false
	defer func() {
		if refused {
			book.SetJoining(cid, false, j.cfg.Now())
		}
	}()
	for _, ai := range joinPeers(inv) {
		if ai.ID == j.cfg.Self {
			continue
		}
		relayed = false
		report(api.JoinProgress{Stage: api.JoinConnecting, Peer: ShortPeer(ai.ID)})
		err := j.via(ctx, ai, inv, join, report, &relayed)
		if errors.Is(err, errAwaitingApproval) {
			book.SetJoining(cid, false, j.cfg.Now())
			book.SetPending(cid, true)
			r := &request{inv: inv, join: join}
			j.mu.Lock()
			j.asked[cid] = r
			j.mu.Unlock()
			j.save(cid, r)
			j.cfg.Log.Info("asked to join; waiting for an admin", "community", cid.Short())
			report(api.JoinProgress{Stage: api.JoinRequested})
			return api.Community{ID: cid, Name: inv.Name, Role: api.RoleRequested}, nil
		}
		if errors.Is(err, api.ErrJoinUndone) {
			refused = true // the control log has it: no other peer says otherwise
			return api.Community{}, err
		}
		if err != nil {
			if isRelay(inv, ai.ID) && !refusedForCause(err) {
				// A relay that cannot take the join (it holds no keys for
				// the invite, or not the community) is not the community
				// refusing it: the join stays in flight for a member.
				err = fmt.Errorf("relay %s could not take the join: %v", ai.ID.ShortString(), err)
			}
			errs = append(errs, err)
			continue
		}
		book.SetJoining(cid, false, j.cfg.Now())
		if err := j.cfg.Local.Entered(ctx, cid); err != nil {
			return api.Community{}, err
		}
		return j.cfg.Local.Community(cid)
	}
	if expired != nil {
		refused = true
		return api.Community{}, expired
	}
	if len(errs) == 0 {
		refused = true
		return api.Community{}, fmt.Errorf("%w: the invite names no address to dial", api.ErrNoPeer)
	}
	for _, err := range errs {
		if errors.Is(err, api.ErrJoinRefused) {
			refused = true
			return api.Community{}, err // a member answered: that is the reason
		}
	}
	return api.Community{}, fmt.Errorf("%w: %w", api.ErrNoPeer, errors.Join(errs...))
}

// ShortPeer is the end of a peer id, as people see it in default member
// names.
func ShortPeer(p peer.ID) string {
	s := p.String()
	return s[max(0, len(s)-6):]
}

// reasons maps the wire's refusal reasons to errors.
var reasons = map[uint8]error{
	wire.JoinReasonExpired: api.ErrInviteExpired,
	wire.JoinReasonRevoked: api.ErrInviteRevoked,
	wire.JoinReasonUsedUp:  api.ErrInviteUsedUp,
	wire.JoinReasonLapsed:  api.ErrInviteLapsed,
	wire.JoinReasonDenied:  api.ErrJoinDenied,
}

// AskAgain presents this node's waiting request to join cid again to the
// members its invite names, the way it was first made: a member that
// holds the community answers that it still waits, that it was approved
// (the pulls that follow let this node in), or that an admin declined it.
// It reports whether it learnt of a denial; the request then waits no
// more (Sent shows it declined). The node holds nothing of the community
// until it is let in, so asking is how it learns.
func (j *Joiner) AskAgain(ctx context.Context, cid crdt.ID) (declined bool) {
	j.mu.Lock()
	r := j.asked[cid]
	j.mu.Unlock()
	if r == nil || r.declined || !slices.Contains(j.cfg.Book.Pending(), cid) {
		return false
	}
	for _, ai := range r.inv.Addrs {
		if ai.ID == j.cfg.Self {
			continue
		}
		_, err := j.Ask(ctx, ai, r.inv, r.join)
		if errors.Is(err, api.ErrJoinDenied) {
			j.cfg.Log.Info("request to join declined", "community", cid.Short())
			j.mu.Lock()
			r.declined = true
			j.mu.Unlock()
			j.save(cid, r)
			j.cfg.Book.SetPending(cid, false)
			return true
		}
		if err == nil {
			return false // still waiting, or let in: the pulls finish it
		}
		j.cfg.Log.Debug("ask again", "community", cid.Short(), "peer", ai.ID, "err", err)
	}
	return false
}

// Sent lists this node's requests to join that wait for an admin or were
// declined, by name. It forgets those that let this node in.
func (j *Joiner) Sent() []api.SentRequest {
	pending := j.cfg.Book.Pending()
	j.mu.Lock()
	var out []api.SentRequest
	var done []crdt.ID
	for cid, r := range j.asked {
		if r.declined || slices.Contains(pending, cid) {
			out = append(out, api.SentRequest{Community: cid, Name: r.inv.Name, Declined: r.declined})
		} else {
			done = append(done, cid)
			delete(j.asked, cid)
		}
	}
	j.mu.Unlock()
	for _, cid := range done {
		j.cfg.Book.SetRequest(cid, nil)
	}
	slices.SortFunc(out, func(a, b api.SentRequest) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return a.Community.Compare(b.Community)
	})
	return out
}

// Dismiss forgets this node's request to join cid: a declined one the
// member has read, or a waiting one it no longer wants to wait for (an
// approval that comes later still lets it in when it next joins by link).
func (j *Joiner) Dismiss(cid crdt.ID) {
	j.mu.Lock()
	delete(j.asked, cid)
	j.mu.Unlock()
	j.cfg.Book.SetRequest(cid, nil)
	j.cfg.Book.SetPending(cid, false)
}

// remoteRefusal is what a member said when it refused a join: its words,
// and the reason it gave, if any.
type remoteRefusal struct {
	text   string
	reason error
}

func (r *remoteRefusal) Error() string { return r.text }
func (r *remoteRefusal) Unwrap() error { return r.reason }

// refusedForCause reports whether err is a refusal that gave a reason
// about the invite (expired, revoked, used up, lapsed, declined).
func refusedForCause(err error) bool {
	var r *remoteRefusal
	return errors.As(err, &r) && r.reason != nil
}

// Ask dials ai and presents join: it returns nil once ai admitted it (or,
// when the community admits by approval, recorded the request, which resp
// says), and an error wrapping ErrJoinRefused when ai refused.
func (j *Joiner) Ask(ctx context.Context, ai peer.AddrInfo, inv *Invite, join *crdt.Op) (*wire.JoinResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	if err := j.cfg.Dialer.Connect(cctx, ai); err != nil {
		return nil, fmt.Errorf("dial %s: %w", ai.ID.ShortString(), err)
	}
	resp, err := j.cfg.Dialer.Join(ctx, ai.ID, &wire.JoinRequest{Invite: inv.Op.Bytes(), Join: join.Bytes()})
	if err != nil {
		return nil, err
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("%w by %s: %w", api.ErrJoinRefused, ai.ID.ShortString(), &remoteRefusal{text: resp.Error, reason: reasons[resp.Reason]})
	}
	return resp, nil
}

// joinPeers lists the peers to ask to admit a join by inv: the peers its
// link names (members first, see Resolve) and then its relays, which take
// a join with no member online.
func joinPeers(inv *Invite) []peer.AddrInfo {
	return mergePeers(append(slices.Clone(inv.Addrs), inv.Relays...))
}

// via joins through ai. Everything after ai's answer is safe to cut short:
// a member that admitted this node (or already counted it a member)
// answers the next try as admitted, whichever link it uses. A relay that
// took the join with no member online says so (*relayed is set): the
// keys then come from the invite's keys ops it handed, opened with the
// link's secret, not from a member.
func (j *Joiner) via(ctx context.Context, ai peer.AddrInfo, inv *Invite, join *crdt.Op, report func(api.JoinProgress), relayed *bool) error {
	resp, err := j.Ask(ctx, ai, inv, join)
	if err != nil {
		return err
	}
	*relayed = resp.Relayed
	j.cfg.Book.Remember(ai)
	if resp.Pending {
		// Park our own ops until the pull after the approval brings the
		// genesis and the rest.
		for _, op := range []*crdt.Op{inv.Op, join} {
			if _, err := j.cfg.Replica.Ingest(ctx, op); err != nil {
				return err
			}
		}
		return errAwaitingApproval
	}
	report(api.JoinProgress{Stage: api.JoinAdmitted})
	// Keys first, from the member that admitted us (or, through a relay,
	// from the invite's keys ops): the genesis and everything after it is
	// sealed.
	if resp.Relayed {
		if err := j.cfg.Syncer.OpenInviteKeys(ctx, inv.Op, inv.Link.Secret, resp.Keys); err != nil {
			return fmt.Errorf("keys handed by relay %s: %w", ai.ID.ShortString(), err)
		}
		j.cfg.Log.Info("joining through a relay; the inviter is offline", "community", inv.Community.Short(), "relay", ai.ID.ShortString())
	} else if err := j.cfg.Syncer.FetchKeys(ctx, ai.ID, inv.Community); err != nil {
		return fmt.Errorf("keys from %s: %w", ai.ID.ShortString(), err)
	}
	report(api.JoinProgress{Stage: api.JoinSyncing})
	rc := &exchange.Progress{Report: func(ops int) { report(api.JoinProgress{Stage: api.JoinSyncing, Ops: ops}) }}
	if err := j.cfg.Syncer.Pull(ctx, ai.ID, inv.Community, rc); err != nil {
		return fmt.Errorf("sync from %s: %w", ai.ID.ShortString(), err)
	}
	// The pull brings the join ai accepted, or the one that admitted this
	// node before: then ai recorded nothing, and this join must not become
	// a second one. It is added here only if the pull did not make this
	// node a member.
	member := func() bool {
		c, err := j.cfg.Local.Community(inv.Community)
		return err == nil && c.Role != crdt.RoleNone.String()
	}
	if !member() {
		for _, op := range []*crdt.Op{inv.Op, join} {
			if _, err := j.cfg.Replica.Ingest(ctx, op); err != nil {
				return fmt.Errorf("sync from %s did not complete the join: %w", ai.ID.ShortString(), err)
			}
		}
		if !member() {
			// The control log says why: a join undone stands there
			// (its link revoked, or its maker demoted, meanwhile).
			if c, err := j.cfg.Local.Community(inv.Community); err == nil && c.JoinUndone {
				return fmt.Errorf("%w: the invite link was revoked, or its maker lost the right to invite, as you joined", api.ErrJoinUndone)
			}
			return fmt.Errorf("sync from %s did not complete the join", ai.ID.ShortString())
		}
	}
	// Without the topic secret the member still syncs by pulling; it asks
	// again after every pull until it has it. A relay holds none: a joiner
	// it admitted opened it from the invite's keys (OpenInviteKeys).
	if resp.Relayed {
		return nil
	}
	if err := j.cfg.Syncer.FetchSecret(ctx, ai.ID, inv.Community); err != nil {
		j.cfg.Log.Warn("no topic secret yet; live messages wait for the next sync", "err", err)
	}
	return nil
}
