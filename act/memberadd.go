package act

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// AddMember adds contact peerID to community cid directly, without a
// link (admins): a member.add op naming their key, with the name they
// go by in a community both share, and in the same action the epochs of
// the logs a newcomer reads (the control log, the announcement group and
// the groups for everyone) wrapped to the prekey they published in a
// community both share (Rotator.Share), so they read from any holder of
// the control log, a relay included. contacts are the local member's
// contacts (view's Directory.Contacts); someone who shares no community
// with the local member but cid fails with api.ErrNotContact: only a link
// brings them in. The added member's node learns of it by a nudge (see
// package sync/pull, "Direct adds").
func (a *Actions) AddMember(ctx context.Context, cid crdt.ID, peerID string, contacts []api.Contact) error {
	peerID = strings.TrimSpace(peerID)
	k, err := a.names.Key(peerID)
	if err != nil {
		return err
	}
	if k == a.self {
		return fmt.Errorf("%w: you are in this community already", crdt.ErrInvalid)
	}
	i := slices.IndexFunc(contacts, func(c api.Contact) bool {
		return c.PeerID == peerID && slices.ContainsFunc(c.Communities, func(id crdt.ID) bool { return id != cid })
	})
	if i < 0 {
		return fmt.Errorf("add %s: %w", peerID, api.ErrNotContact)
	}
	if _, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindAdd, &crdt.AddBody{Member: k[:], Name: contacts[i].Name, Role: crdt.RoleMember, Time: a.millis()}); err != nil {
		return err
	}
	var logs []crdt.ID
	_ = a.rep.View(cid, func(c *crdt.Community) error { logs = c.State().NewcomerLogs(); return nil })
	return a.share(ctx, cid, k, logs)
}
