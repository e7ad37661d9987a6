package ui

import (
	"html"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// checkCommunity reads community cid's groups to notice what to notify.
func (a *App) checkCommunity(cid crdt.ID) {
	var c api.Community
	for _, x := range a.communities {
		if x.ID == cid {
			c = x
		}
	}
	if c.ID.IsZero() {
		return
	}
	gs, _, err := a.loadGroups(c.ID)
	if err != nil {
		return
	}
	a.checkNotifications(c, gs)
}

// checkNotifications compares groups' unread counts with what was seen
// last and shows a system notification for a new mention, or a new
// announcement — unless the group is muted, or open in the focused
// window. The first look at a group only records its counts.
func (a *App) checkNotifications(c api.Community, gs []api.Group) {
	a.checkRequests(c, gs)
	_, commKnown := a.seen[c.ID] // the announcement group's id
	for _, g := range gs {
		cur := groupCounts{unread: g.Unread, mentions: g.Mentions, joined: g.Joined}
		prev, known := a.seen[g.ID]
		a.seen[g.ID] = cur
		a.addedNotice(c, g, prev, known, commKnown)
		if !known || g.Muted || !g.Joined {
			continue
		}
		if a.foreground && c.ID == a.community && g.ID == a.group {
			continue
		}
		switch {
		case g.Kind == api.GroupPrivate && cur.unread > prev.unread:
			a.privateNotice(c, g)
		case cur.mentions > prev.mentions:
			m, ok := a.latest(c, g, true)
			if ok {
				a.notify(m.AuthorName+" mentioned you in "+g.Name, ellipsize(m.Text, 180))
			}
		case g.Kind == api.GroupAnnouncement && cur.unread > prev.unread:
			m, ok := a.latest(c, g, false)
			if ok {
				text := m.Text
				if m.Poll != nil {
					text = "📊 " + m.Poll.Question
				}
				a.notify("Announcement in "+c.Name, m.AuthorName+": "+ellipsize(text, 180))
			}
		}
	}
}

// latest is group g's newest message by someone else (mentioning the
// member, when mention is set).
func (a *App) latest(c api.Community, g api.Group, mention bool) (api.Message, bool) {
	p, err := a.b.MessagePage(c.ID, g.ID, -1, 20)
	if err != nil {
		return api.Message{}, false
	}
	for i := len(p.Messages) - 1; i >= 0; i-- {
		m := p.Messages[i]
		if !m.Mine && !m.Deleted && m.Hidden == "" && (!mention || m.MentionsMe) {
			return m, true
		}
	}
	return api.Message{}, false
}

// notificationBody is body as a system notification shows it as typed.
// Linux notification servers may read the body as markup (the
// freedesktop spec's body-markup), so a message with "<b>" or "&" in it
// is escaped there; elsewhere the text goes as it is.
func notificationBody(goos, body string) string {
	if goos != "linux" {
		return body
	}
	return html.EscapeString(body)
}
