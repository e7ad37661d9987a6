package act

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
)

func parseJoinPolicy(s string) (crdt.JoinPolicy, error) {
	switch s {
	case "", "link":
		return crdt.JoinByLink, nil
	case "approval":
		return crdt.JoinByApproval, nil
	}
	return 0, fmt.Errorf("%w: join policy %q: want link or approval", crdt.ErrInvalid, s)
}

func parseGroupPolicy(s string) (crdt.GroupPolicy, error) {
	switch s {
	case "", "open":
		return crdt.PolicyOpen, nil
	case "approval":
		return crdt.PolicyApproval, nil
	case "everyone":
		return crdt.PolicyEveryone, nil
	}
	return 0, fmt.Errorf("%w: policy %q: want open, approval or everyone", crdt.ErrInvalid, s)
}

// Settings returns community cid's settings.
func (a *Actions) Settings(cid crdt.ID) (api.Settings, error) {
	var s api.Settings
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		s = api.Settings{Name: st.Name, Description: st.Description, JoinPolicy: st.JoinPolicy.String(), MembersCreateGroups: st.MembersCreateGroups, HideHistory: st.HideHistory, Deactivated: st.Deactivated,
			PrivateToAdminsOnly: st.PrivateToAdminsOnly, MaxFileSize: st.FileSizeLimit}
		return nil
	})
	return s, err
}

// UpdateSettings replaces community cid's settings (admins).
func (a *Actions) UpdateSettings(ctx context.Context, cid crdt.ID, s api.Settings) error {
	jp, err := parseJoinPolicy(s.JoinPolicy)
	if err != nil {
		return err
	}
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindSettings, &crdt.SettingsBody{
		Name: strings.TrimSpace(s.Name), Description: strings.TrimSpace(lines(s.Description)),
		JoinPolicy: jp, MembersCreateGroups: s.MembersCreateGroups, HideHistory: s.HideHistory, Time: a.millis(),
		PrivateToAdminsOnly: s.PrivateToAdminsOnly, MaxFileSize: s.MaxFileSize,
	})
	return err
}

// Deactivate closes community cid for good (owners): nothing more can be
// written in it.
func (a *Actions) Deactivate(ctx context.Context, cid crdt.ID) error {
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindDeactivate, &crdt.DeactivateBody{Time: a.millis()})
	return err
}

// LeaveCommunity leaves community cid and every group in it. The node
// keeps what it has, read-only.
func (a *Actions) LeaveCommunity(ctx context.Context, cid crdt.ID) error {
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindLeave, &crdt.LeaveBody{Time: a.millis()})
	return err
}

// Invites lists community cid's invites, newest first.
func (a *Actions) Invites(cid crdt.ID) ([]api.InviteInfo, error) {
	out := []api.InviteInfo{}
	now := a.now()
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		for _, inv := range st.Invites {
			info := api.InviteInfo{ID: inv.ID, By: a.names.Name(st, inv.By), Created: time.UnixMilli(inv.Body.Time), MaxUses: int(inv.Body.MaxUses), Uses: int(inv.Uses), Revoked: inv.Revoked, Lapsed: inv.Lapsed}
			if inv.Body.Expires != 0 {
				t := time.Unix(inv.Body.Expires, 0)
				info.Expires, info.Expired = &t, now.After(t)
			}
			out = append(out, info)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b api.InviteInfo) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return a.ID.Compare(b.ID)
	})
	return out, err
}

// RevokeInvite stops invite id from admitting anyone (admins). Joins that
// did not see the revocation are undone on every node. An invite whose
// link was handed the newcomers' epoch secrets (crdt's invite-keys ops)
// has those logs rotated too, so a leaked link reads nothing written
// after its revocation.
func (a *Actions) RevokeInvite(ctx context.Context, cid, id crdt.ID) error {
	var rotate []crdt.ID
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		inv := st.Invites[id]
		if inv == nil {
			return fmt.Errorf("%w: no invite %s in this community", crdt.ErrInvalid, id.Short())
		}
		if inv.WrapKey != nil && !inv.Approval {
			for _, log := range st.NewcomerLogs() {
				if st.Current[log] != nil {
					rotate = append(rotate, log)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindInviteRevoke, &crdt.InviteRevokeBody{Invite: idBytes(id), Time: a.millis()}); err != nil {
		return err
	}
	var errs []error
	for _, log := range rotate {
		if err := a.keys.Rotate(ctx, cid, log, crdt.RekeyManual, nil); err != nil {
			errs = append(errs, fmt.Errorf("renew the keys the revoked link held: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (a *Actions) requestsOf(st *crdt.State, rs map[crdt.PublicKey]*crdt.Request) []api.JoinRequest {
	out := make([]api.JoinRequest, 0, len(rs))
	for _, r := range rs {
		name := r.Name
		if name == "" {
			name = a.names.Name(st, r.Key)
		}
		out = append(out, api.JoinRequest{PeerID: a.names.PeerID(r.Key), Name: name, Time: time.UnixMilli(r.Time)})
	}
	slices.SortFunc(out, func(a, b api.JoinRequest) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.PeerID, b.PeerID)
	})
	return out
}

// JoinRequests lists the people waiting for approval to join community
// cid, oldest first.
func (a *Actions) JoinRequests(cid crdt.ID) ([]api.JoinRequest, error) {
	var out []api.JoinRequest
	err := a.rep.View(cid, func(c *crdt.Community) error {
		out = a.requestsOf(c.State(), c.State().Requests)
		return nil
	})
	return out, err
}

// requesterKey resolves the peer id of someone who asked to join.
func (a *Actions) requesterKey(rs map[crdt.PublicKey]*crdt.Request, peerID string) (crdt.PublicKey, error) {
	for k := range rs {
		if a.names.PeerID(k) == strings.TrimSpace(peerID) {
			return k, nil
		}
	}
	return crdt.PublicKey{}, fmt.Errorf("%w: %s has not asked to join", crdt.ErrInvalid, peerID)
}

// DecideJoin approves or denies someone's request to join community cid
// (admins).
func (a *Actions) DecideJoin(ctx context.Context, cid crdt.ID, peerID string, approve bool) error {
	var k crdt.PublicKey
	err := a.rep.View(cid, func(c *crdt.Community) (err error) {
		k, err = a.requesterKey(c.State().Requests, peerID)
		return err
	})
	if err != nil {
		return err
	}
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindDecide, &crdt.DecideBody{Member: k[:], Approve: approve, Time: a.millis()})
	return err
}

// UpdateGroup renames, describes, re-policies, archives or approves a
// group (admins, or the group's creator).
func (a *Actions) UpdateGroup(ctx context.Context, cid, gid crdt.ID, g api.GroupSettings) error {
	p, err := parseGroupPolicy(g.Policy)
	if err != nil {
		return err
	}
	if err := a.checkGroup(cid, gid); err != nil {
		return err
	}
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupUpdate, &crdt.GroupUpdateBody{
		Group: idBytes(gid), Name: strings.TrimSpace(g.Name), Description: strings.TrimSpace(lines(g.Description)),
		Policy: p, Archived: g.Archived, Approve: g.Approve, Time: a.millis(),
	})
	return err
}

// OrderGroups sets the order of community cid's groups (admins): groups
// lists them first to last.
func (a *Actions) OrderGroups(ctx context.Context, cid crdt.ID, groups []crdt.ID) error {
	body := &crdt.GroupOrderBody{Groups: make([][]byte, len(groups)), Time: a.millis()}
	for i, g := range groups {
		if err := a.checkGroup(cid, g); err != nil {
			return err
		}
		body.Groups[i] = idBytes(g)
	}
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupOrder, body)
	return err
}

// GroupRequests lists who asked to join approval group gid, oldest first.
func (a *Actions) GroupRequests(cid, gid crdt.ID) ([]api.JoinRequest, error) {
	var out []api.JoinRequest
	err := a.rep.View(cid, func(c *crdt.Community) error {
		g := c.State().Groups[gid]
		if g == nil {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		out = a.requestsOf(c.State(), g.Requests)
		return nil
	})
	return out, err
}

// DecideGroupJoin approves or denies a request to join approval group gid
// (admins).
func (a *Actions) DecideGroupJoin(ctx context.Context, cid, gid crdt.ID, peerID string, approve bool) error {
	var k crdt.PublicKey
	err := a.rep.View(cid, func(c *crdt.Community) (err error) {
		g := c.State().Groups[gid]
		if g == nil {
			return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
		}
		k, err = a.requesterKey(g.Requests, peerID)
		return err
	})
	if err != nil {
		return err
	}
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupDecide, &crdt.GroupDecideBody{Group: idBytes(gid), Member: k[:], Approve: approve, Time: a.millis()})
	return err
}
