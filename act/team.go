package act

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team actions: celebrate wins, post promotions, create events and
// answer them, mark Q&A groups and answers, save to collections (crdt's
// team kinds). Who may do which is crdt's to say when the op is written;
// these check the input and find where an op goes.

// Celebrate posts a win for the member with peer id member, with one of
// crdt.Badges and a line of text, in group gid; a zero gid chooses the
// announcement group when the local member may celebrate there, else the
// first group open to everyone where it may.
func (a *Actions) Celebrate(ctx context.Context, cid, gid crdt.ID, member, badge, text string) (crdt.ID, error) {
	k, err := a.names.Key(member)
	if err != nil {
		return crdt.ID{}, err
	}
	badge = strings.TrimSpace(badge)
	if err := crdt.CheckBadge(badge); err != nil {
		return crdt.ID{}, fmt.Errorf("%w: %v", crdt.ErrInvalid, err)
	}
	err = a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Role(k) == crdt.RoleNone {
			return fmt.Errorf("%s: %w", member, api.ErrUnknownMember)
		}
		if !gid.IsZero() {
			if _, ok := st.Groups[gid]; !ok {
				return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
			}
			return nil
		}
		for _, g := range st.SortedGroups() {
			if (g.Announcement || g.Policy == crdt.PolicyEveryone) && st.Permits(a.self, crdt.Action{Kind: crdt.KindWin, Group: g.ID}) {
				gid = g.ID
				return nil
			}
		}
		return st.Judge(a.self, crdt.Action{Kind: crdt.KindWin, Group: cid})
	})
	if err != nil {
		return crdt.ID{}, err
	}
	return a.write(ctx, cid, gid, crdt.KindWin, &crdt.WinBody{Member: k[:], Badge: badge, Text: strings.TrimSpace(lines(text)), Time: a.millis()})
}

// SetAdminsCelebrate sets whether only admins celebrate wins in community
// cid (admins).
func (a *Actions) SetAdminsCelebrate(ctx context.Context, cid crdt.ID, only bool) error {
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindTeamSettings, &crdt.TeamSettingsBody{AdminsCelebrate: only, Time: a.millis()})
	return err
}

// CreatePromo posts a promotion in the announcement group (admins),
// showing file when it is not nil: a file stored for it (StoreFile; the
// node stores d.File), which the card alone shares — no message carries
// it. A zero start means now; the end must be after the start and not
// past.
func (a *Actions) CreatePromo(ctx context.Context, cid crdt.ID, d api.PromoDraft, file *crdt.FileRef) (crdt.ID, error) {
	now := a.now()
	if d.Starts.IsZero() {
		d.Starts = now
	}
	if !d.Ends.After(now) {
		return crdt.ID{}, fmt.Errorf("%w: the end %s is in the past", crdt.ErrInvalid, d.Ends.Format(time.RFC3339))
	}
	b := &crdt.PromoBody{Title: strings.TrimSpace(d.Title), Text: strings.TrimSpace(lines(d.Text)), Starts: d.Starts.UnixMilli(), Ends: d.Ends.UnixMilli(),
		Code: strings.TrimSpace(d.Code), File: file, Time: now.UnixMilli()}
	return a.write(ctx, cid, cid, crdt.KindPromo, b)
}

// EditPromo replaces a promotion's title, text, start, end and code
// (admins), and its file with file when that is not nil (stored as for
// CreatePromo), or drops it with d.DropFile. A promotion that has ended
// stays ended (crdt ignores an edit written after its end), so that is
// refused here: post a new one.
func (a *Actions) EditPromo(ctx context.Context, cid, promo crdt.ID, d api.PromoDraft, file *crdt.FileRef) error {
	gid, err := a.postGroup(cid, promo, crdt.KindPromo)
	if err != nil {
		return err
	}
	m, err := a.views.Message(cid, gid, promo)
	if err != nil {
		return err
	}
	now := a.now()
	if m.Promo == nil || !now.Before(m.Promo.Ends) {
		return fmt.Errorf("%w: the promotion has ended; post a new one", crdt.ErrInvalid)
	}
	if d.Starts.IsZero() {
		d.Starts = m.Promo.Starts
	}
	if !d.Ends.After(now) {
		return fmt.Errorf("%w: the end %s is in the past", crdt.ErrInvalid, d.Ends.Format(time.RFC3339))
	}
	if d.DropFile && file != nil {
		return fmt.Errorf("%w: a promotion edit both sets and drops the file", crdt.ErrInvalid)
	}
	return a.onTarget(ctx, cid, gid, promo, crdt.KindPromoEdit, &crdt.PromoEditBody{Target: idBytes(promo), Title: strings.TrimSpace(d.Title),
		Text: strings.TrimSpace(lines(d.Text)), Starts: d.Starts.UnixMilli(), Ends: d.Ends.UnixMilli(), Code: strings.TrimSpace(d.Code), Time: now.UnixMilli(),
		File: file, DropFile: d.DropFile})
}

// EndPromo ends a running promotion now (admins).
func (a *Actions) EndPromo(ctx context.Context, cid, promo crdt.ID) error {
	gid, err := a.postGroup(cid, promo, crdt.KindPromo)
	if err != nil {
		return err
	}
	m, err := a.views.Message(cid, gid, promo)
	if err != nil {
		return err
	}
	now := a.now()
	if m.Promo == nil || !m.Promo.ActiveAt(now) {
		return fmt.Errorf("%w: the promotion is not running", crdt.ErrInvalid)
	}
	p := m.Promo
	return a.onTarget(ctx, cid, gid, promo, crdt.KindPromoEdit, &crdt.PromoEditBody{Target: idBytes(promo), Title: p.Title, Text: p.Text,
		Starts: p.Starts.UnixMilli(), Ends: max(now.UnixMilli(), p.Starts.UnixMilli()+1), Code: p.Code, Time: now.UnixMilli()})
}

// CreateEvent creates an event in group gid (anyone who may post there).
func (a *Actions) CreateEvent(ctx context.Context, cid, gid crdt.ID, d api.EventDraft) (crdt.ID, error) {
	if err := a.checkGroup(cid, gid); err != nil {
		return crdt.ID{}, err
	}
	if d.Starts.IsZero() {
		return crdt.ID{}, fmt.Errorf("%w: an event needs a start", crdt.ErrInvalid)
	}
	if d.Duration < 0 || d.Duration%time.Millisecond != 0 {
		return crdt.ID{}, fmt.Errorf("%w: duration %s", crdt.ErrInvalid, d.Duration)
	}
	call, err := eventCall(d.Call)
	if err != nil {
		return crdt.ID{}, err
	}
	b := &crdt.EventBody{Title: strings.TrimSpace(d.Title), Starts: d.Starts.UnixMilli(), Duration: d.Duration.Milliseconds(),
		Where: strings.TrimSpace(d.Where), Text: strings.TrimSpace(lines(d.Text)), Call: call, Time: a.millis()}
	return a.write(ctx, cid, gid, crdt.KindEvent, b)
}

// EditEvent replaces an event's title, start, duration, place and text
// (its creator or an admin).
func (a *Actions) EditEvent(ctx context.Context, cid, event crdt.ID, d api.EventDraft) error {
	gid, err := a.postGroup(cid, event, crdt.KindEvent)
	if err != nil {
		return err
	}
	if d.Starts.IsZero() || d.Duration < 0 {
		return fmt.Errorf("%w: an event needs a start and a duration of 0 or more", crdt.ErrInvalid)
	}
	call, err := eventCall(d.Call)
	if err != nil {
		return err
	}
	return a.onTarget(ctx, cid, gid, event, crdt.KindEventEdit, &crdt.EventEditBody{Target: idBytes(event), Title: strings.TrimSpace(d.Title),
		Starts: d.Starts.UnixMilli(), Duration: d.Duration.Milliseconds(), Where: strings.TrimSpace(d.Where), Text: strings.TrimSpace(lines(d.Text)), Call: call, Time: a.millis()})
}

// eventCall reads an event draft's call: "voice", "video", or "" (or
// "none") for none.
func eventCall(s string) (uint8, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return crdt.EventCallNone, nil
	case "voice":
		return crdt.EventCallVoice, nil
	case "video":
		return crdt.EventCallVideo, nil
	}
	return 0, fmt.Errorf("%w: event call %q: want voice, video or none", crdt.ErrInvalid, s)
}

// RSVP answers an event: "going", "maybe" or "no"; "" withdraws the
// answer.
func (a *Actions) RSVP(ctx context.Context, cid, event crdt.ID, answer string) error {
	var ans uint8
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "going", "yes":
		ans = crdt.RSVPGoing
	case "maybe":
		ans = crdt.RSVPMaybe
	case "no", "can't go", "cant":
		ans = crdt.RSVPNo
	case "", "none":
	default:
		return fmt.Errorf("%w: answer %q: want going, maybe, no or none (none withdraws the answer)", crdt.ErrInvalid, answer)
	}
	gid, err := a.postGroup(cid, event, crdt.KindEvent)
	if err != nil {
		return err
	}
	return a.onTarget(ctx, cid, gid, event, crdt.KindRSVP, &crdt.RSVPBody{Event: idBytes(event), Answer: ans, Time: a.millis()})
}

// SetQA marks group gid as a Q&A group, or unmarks it (admins).
func (a *Actions) SetQA(ctx context.Context, cid, gid crdt.ID, on bool) error {
	if err := a.checkGroup(cid, gid); err != nil {
		return err
	}
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindGroupQA, &crdt.GroupQABody{Group: idBytes(gid), On: on, Time: a.millis()})
	return err
}

// MarkAnswer marks reply answer as the answer to question in Q&A group
// gid (the asker or an admin); a zero answer takes the mark back.
func (a *Actions) MarkAnswer(ctx context.Context, cid, gid, question, answer crdt.ID) error {
	b := &crdt.AnswerBody{Question: idBytes(question), Time: a.millis()}
	if !answer.IsZero() {
		m, err := a.views.Message(cid, gid, answer)
		if err != nil {
			return err
		}
		if m.ReplyTo == nil || *m.ReplyTo != question || m.Kind != "message" && m.Kind != "file" {
			return fmt.Errorf("%w: message %s is not a reply to question %s", crdt.ErrInvalid, answer.Short(), question.Short())
		}
		b.Answer = idBytes(answer)
	}
	return a.onTarget(ctx, cid, gid, question, crdt.KindAnswer, b)
}

// Collect saves message msg into the named collection, or takes it out
// (admins).
func (a *Actions) Collect(ctx context.Context, cid, msg crdt.ID, collection string, on bool) error {
	gid, err := a.postGroup(cid, msg, 0)
	if err != nil {
		return err
	}
	return a.onTarget(ctx, cid, gid, msg, crdt.KindCollect, &crdt.CollectBody{Target: idBytes(msg), Collection: strings.TrimSpace(collection), On: on, Time: a.millis()})
}

// postGroup returns the group of post id in community cid, which must be
// of kind (any post when kind is 0).
func (a *Actions) postGroup(cid, id crdt.ID, kind crdt.Kind) (crdt.ID, error) {
	var gid crdt.ID
	err := a.rep.View(cid, func(c *crdt.Community) error {
		o := c.Op(id)
		switch {
		case o == nil || !o.Kind.IsContent():
			return fmt.Errorf("message %s: %w", id.Short(), api.ErrUnknownMessage)
		case kind != 0 && o.Kind != kind:
			return fmt.Errorf("%w: %s is a %s, not a %s", crdt.ErrInvalid, id.Short(), o.Kind, kind)
		case !crdt.IsPostKind(o.Kind):
			return fmt.Errorf("%w: %s is a %s, not a post", crdt.ErrInvalid, id.Short(), o.Kind)
		}
		gid = o.Log
		return nil
	})
	return gid, err
}
