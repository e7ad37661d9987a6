package ui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// auditListHeight is how tall the audit log's list is.
const auditListHeight = 380

// auditView is the audit log dialog's widgets and the entries it shows,
// newest first.
type auditView struct {
	a   *App
	cid crdt.ID

	list    *widget.List
	empty   *widget.RichText
	errText *widget.Label
	lines   []string // each entry as shown: "Nov 25, 09:31 — Olivia removed Ben"
	times   []string // each entry's time, dimmed before its sentence
	texts   []string // each entry's sentence
}

// showAudit shows the admin actions that took effect, newest first, each
// as a sentence.
func (a *App) showAudit(cid crdt.ID) {
	d := a.newDialog("Audit log of "+a.communityName(cid), nil)
	d.width = 620
	v := &auditView{a: a, cid: cid}
	d.handles = v
	v.list = widget.NewList(func() int { return len(v.lines) }, func() fyne.CanvasObject {
		rt := widget.NewRichText(
			&widget.TextSegment{Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder}},
			&widget.TextSegment{Style: widget.RichTextStyleInline})
		rt.Truncation = fyne.TextTruncateEllipsis
		return rt
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lines) {
			rt := o.(*widget.RichText)
			rt.Segments[0].(*widget.TextSegment).Text = v.times[i] + " — "
			rt.Segments[1].(*widget.TextSegment).Text = v.texts[i]
			rt.Refresh()
		}
	})
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	v.empty = hint("Nothing yet. Removals, promotions, invite links, approvals, settings changes, pins and deleted messages show up here.")
	v.empty.Hide()
	v.errText = errorLabel()
	intro := hint("Every admin action that took effect in " + a.communityName(cid) + ", newest first. Everyone's app keeps the same log.")
	closeBtn := widget.NewButton("Close", d.hide)
	d.cancel = closeBtn
	v.refresh()
	d.setContent(container.NewBorder(container.NewVBox(intro, v.errText, v.empty), nil, nil, nil,
		withMinHeight(v.list, auditListHeight)), closeBtn)
	d.show()
}

// communityID implements adminView.
func (v *auditView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it re-reads the log.
func (v *auditView) refresh() {
	es, err := v.a.b.Audit(v.cid)
	if err != nil {
		v.errText.SetText("Could not read the audit log: " + explain(err))
		v.errText.Show()
		return
	}
	v.errText.Hide()
	groups := map[crdt.ID]string{}
	if gs, err := v.a.b.Groups(v.cid); err == nil {
		for _, g := range gs {
			groups[g.ID] = g.Name
		}
	}
	es = slices.Clone(es)
	slices.Reverse(es) // the backend lists oldest first
	slices.SortStableFunc(es, func(a, b api.AuditEntry) int { return b.Time.Compare(a.Time) })
	v.lines, v.times, v.texts = v.lines[:0], v.times[:0], v.texts[:0]
	for _, e := range es {
		when, what := v.a.shortTime(e.Time), auditSentence(e, groups, v.a.shortTime)
		v.lines = append(v.lines, when+" — "+what)
		v.times = append(v.times, when)
		v.texts = append(v.texts, what)
	}
	v.empty.Hidden = len(v.lines) > 0
	v.list.Refresh()
}

// auditSentence says in plain words what audit entry e records. groups
// names the community's groups by id; when formats a time. The actions
// are crdt's op kinds (crdt.Kind.String) that the audit lists.
func auditSentence(e api.AuditEntry, groups map[crdt.ID]string, when func(time.Time) string) string {
	actor := e.ActorName
	if actor == "" {
		actor = "An admin"
	}
	target := e.TargetName
	if target == "" {
		target = "someone"
	}
	group := "a group"
	if e.Object != nil && groups[*e.Object] != "" {
		group = groups[*e.Object]
	}
	switch e.Action {
	case "member.remove":
		return actor + " removed " + target
	case "member.role":
		switch e.Role {
		case "owner":
			return actor + " made " + target + " a co-leader"
		case "admin":
			return actor + " promoted " + target + " to admin"
		case "member":
			return actor + " dismissed " + target + " as admin"
		}
		return actor + " changed " + target + "'s role"
	case "member.add":
		switch e.Role {
		case "owner":
			return actor + " added " + target + " as a co-leader"
		case "admin":
			return actor + " added " + target + " as an admin"
		}
		return actor + " added " + target
	case "join.decide":
		if !e.Approved {
			return actor + " turned down " + target + "'s request to join"
		}
		return actor + " approved " + target + "'s request to join"
	case "group.decide":
		if !e.Approved {
			return actor + " turned down " + target + "'s request to join " + group
		}
		return actor + " let " + target + " into " + group
	case "group.add":
		return actor + " added " + target + " to " + cmp.Or(e.Name, group)
	case "group.remove":
		return actor + " removed " + target + " from " + cmp.Or(e.Name, group)
	case "invite":
		return actor + " created an invite link" + inviteLimits(e, when)
	case "invite.revoke":
		return actor + " revoked an invite link"
	case "settings":
		return actor + " changed the community settings"
	case "deactivate":
		return actor + " closed the community for good"
	case "group.create":
		if e.Name != "" {
			return actor + " created the group " + e.Name
		}
		return actor + " created " + group
	case "group.update":
		if e.Name != "" {
			return actor + " changed the group " + e.Name
		}
		return actor + " changed " + group
	case "group.order":
		return actor + " reordered the groups"
	case "steps":
		return actor + " changed the first steps"
	case "delete":
		if e.TargetName != "" {
			return actor + " deleted a message by " + e.TargetName
		}
		return actor + " deleted a message"
	case "poll.close":
		if e.TargetName != "" {
			return actor + " closed a poll by " + e.TargetName
		}
		return actor + " closed a poll"
	case "pin":
		if e.Pinned {
			return actor + " pinned a message"
		}
		return actor + " unpinned a message"
	}
	s := actor + " did “" + e.Action + "”"
	if e.TargetName != "" {
		s += " to " + e.TargetName
	}
	return s
}

// inviteLimits words an invite's audit entry's limits as " (works until
// Dec 2, 09:30, for up to 3 people)".
func inviteLimits(e api.AuditEntry, when func(time.Time) string) string {
	var parts []string
	if e.Expires != nil {
		parts = append(parts, "works until "+when(*e.Expires))
	}
	if e.MaxUses > 0 {
		parts = append(parts, "for up to "+people(e.MaxUses))
	}
	if len(parts) == 0 {
		return " (no expiry, no limit)"
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
