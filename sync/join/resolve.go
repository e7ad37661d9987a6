package join

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// errUnknownInvite: a peer a short link names does not know its invite.
var errUnknownInvite = errors.New("does not know this invite")

// Resolve reads an invite link of either form and checks its signature
// and its key, not its expiry. A long link holds its invite; a short one
// is looked up from the peers it names, all at once (a link names at most
// MaxShortPeers), so an inviter that is offline costs no dial timeout: the
// first answer that checks out wins and the other lookups are cancelled.
// The peers of a short link come first in the invite's addresses, the one
// that answered first of all — a member before a relay: a relay's answer
// waits up to RelayGrace for a member's.
func (j *Joiner) Resolve(ctx context.Context, link string) (*Invite, error) {
	if !IsShort(link) {
		return Read(link)
	}
	l, err := ParseShortLink(link)
	if err != nil {
		return nil, err
	}
	type answer struct {
		i   int
		inv *Invite
		err error
	}
	lctx, cancel := context.WithCancel(ctx)
	answers := make(chan answer, len(l.Peers)) // never blocks a lookup
	var wg sync.WaitGroup
	asked := 0
	for i, ai := range l.Peers {
		if ai.ID == j.cfg.Self {
			continue
		}
		asked++
		wg.Go(func() {
			inv, err := j.lookup(lctx, ai, l)
			answers <- answer{i, inv, err}
		})
	}
	errs := make([]error, len(l.Peers)) // in the link's order, whatever the answers' order
	// A relay's answer waits up to RelayGrace for a member's: a member
	// admits the join and hands keys itself; a relay is for when none is
	// online (its join reads only what the link was given).
	var won *answer
	var grace <-chan time.Time
	for got := 0; got < asked; {
		select {
		case a := <-answers:
			got++
			if a.err != nil {
				errs[a.i] = a.err
				continue
			}
			if !isRelay(a.inv, l.Peers[a.i].ID) {
				won, got = &a, asked
				continue
			}
			if won == nil {
				won = &a
				t := time.NewTimer(RelayGrace)
				defer t.Stop()
				grace = t.C
			}
		case <-grace:
			got = asked
		}
	}
	cancel()
	wg.Wait()
	if won != nil {
		peers := append([]peer.AddrInfo{l.Peers[won.i]}, slices.Delete(slices.Clone(l.Peers), won.i, won.i+1)...)
		won.inv.Addrs = mergePeers(append(peers, won.inv.Addrs...))
		return won.inv, nil
	}
	errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil })
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: the link names no peer to ask for the invite", api.ErrNoPeer)
	}
	if !slices.ContainsFunc(errs, func(err error) bool { return !errors.Is(err, errUnknownInvite) }) {
		return nil, fmt.Errorf("%w: no one it names knows the invite (was it revoked, or made on another device?): %w", identity.ErrBadLink, errors.Join(errs...))
	}
	return nil, fmt.Errorf("%w: could not fetch the invite: %w", api.ErrNoPeer, errors.Join(errs...))
}

// lookup asks ai for the invite of short link l and checks it: signed,
// with l's key, and with details that l's secret opens (a peer that saw
// the key in the lookup could sign an invite with it, but not seal its
// details).
func (j *Joiner) lookup(ctx context.Context, ai peer.AddrInfo, l ShortLink) (*Invite, error) {
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	if err := j.cfg.Dialer.Connect(ctx, ai); err != nil {
		return nil, fmt.Errorf("dial %s: %w", ai.ID.ShortString(), err)
	}
	resp, err := j.cfg.Dialer.Join(ctx, ai.ID, &wire.JoinRequest{Lookup: l.InviteKey()})
	if err != nil {
		return nil, fmt.Errorf("ask %s for the invite: %w", ai.ID.ShortString(), err)
	}
	if resp.Error != "" || len(resp.Invite) == 0 {
		return nil, fmt.Errorf("%s %w (it says %q)", ai.ID.ShortString(), errUnknownInvite, resp.Error)
	}
	inv, err := FromLink(identity.InviteLink{Capability: resp.Invite, Secret: l.Secret})
	if err == nil && !inv.sealed {
		err = errors.New("its details are not sealed")
	}
	if err != nil {
		return nil, fmt.Errorf("%s sent an invite that does not check out: %w", ai.ID.ShortString(), err)
	}
	return inv, nil
}

// isRelay reports whether p is one of inv's relays.
func isRelay(inv *Invite, p peer.ID) bool {
	return slices.ContainsFunc(inv.Relays, func(ai peer.AddrInfo) bool { return ai.ID == p })
}

// mergePeers merges the addresses of each peer into its first entry.
func mergePeers(ais []peer.AddrInfo) []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, ai := range ais {
		i := slices.IndexFunc(out, func(o peer.AddrInfo) bool { return o.ID == ai.ID })
		if i < 0 {
			out = append(out, peer.AddrInfo{ID: ai.ID, Addrs: slices.Clone(ai.Addrs)})
			continue
		}
		for _, a := range ai.Addrs {
			if !slices.ContainsFunc(out[i].Addrs, a.Equal) {
				out[i].Addrs = append(out[i].Addrs, a)
			}
		}
	}
	return out
}
