package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// callSegments is the body of the row of a call (a message of kind
// "call"): "📞 Voice call · Olivia" (🎥 for video), then "in progress" and
// how many take part now when the call strip knows it (joined ≥ 0), or
// "ended", how long it ran and how many joined.
func callSegments(m api.Message, joined int) []widget.RichTextSegment {
	c := m.Call
	head := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true}}
	dim := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNamePlaceHolder}
	title := "📞 Voice call · "
	if c.Video {
		title = "🎥 Video call · "
	}
	var info string
	switch {
	case c.Active && joined >= 0:
		info = "in progress · " + joinedText(joined)
	case c.Active:
		info = "in progress"
	case c.Lapsed && len(c.Joined) == 0:
		info = "ended · nobody joined"
	default:
		info = "ended · " + callLength(time.Duration(c.Duration)) + " · " + joinedText(len(c.Joined))
	}
	return splitEmoji([]widget.RichTextSegment{
		&widget.TextSegment{Text: title + m.AuthorName, Style: head},
		&widget.TextSegment{Text: "\n", Style: widget.RichTextStyleInline},
		&widget.TextSegment{Text: info, Style: dim},
	})
}

// callLength says how long a call ran, in whole minutes ("23 min"), or
// under a minute.
func callLength(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// callJoinLabel is what the Join of a running call says: Open call when
// the member takes part in it (in).
func callJoinLabel(in bool) string {
	if in {
		return "Open call"
	}
	return "Join"
}

// joinOrOpen joins call c of community cid, or opens its window when the
// member takes part in it.
func (k *calls) joinOrOpen(cid crdt.ID, c api.Call) {
	if c.Joined {
		k.openWindow()
		return
	}
	k.join(cid, c)
}

// joinStrip is the call strip's Join.
func (k *calls) joinStrip() { k.joinOrOpen(k.a.community, k.stripCall) }

// joinCall implements rowActions: the Join of an active call's row does
// what the call strip's does, for the call of that row.
func (c *conversation) joinCall(i int) {
	m, ok := c.message(i)
	k := c.a.calls
	if !ok || m.Call == nil || k.stripCall.ID != m.ID {
		return
	}
	k.joinStrip()
}
