package ui

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Say welcome: at the top of the home, the admins (those who see the
// newcomers, api.FirstSteps.SeesNewcomers) get a prompt for each recent
// newcomer nobody has welcomed yet, with one button that posts the
// community's welcome text, the newcomer mentioned where it says {name},
// in General. The prompt goes once any admin has welcomed them (the node
// reads that from the log: api.Newcomer.Welcomed), or once this admin
// dismisses it (remembered on this computer).

// welcomePromptsMax is how many prompts the home shows at once, the
// newest newcomers first.
const welcomePromptsMax = 3

// welcomeWithin is how long after joining a newcomer is prompted for.
const welcomeWithin = 14 * 24 * 3600 // seconds

// prefWelcomeDismissed keeps the prompts dismissed on this computer,
// "community/peer" each; welcomeDismissedMax bounds it, the oldest
// forgotten first.
const (
	prefWelcomeDismissed = "welcome.dismissed"
	welcomeDismissedMax  = 200
)

// welcomePrompt is one newcomer's prompt, kept for tests.
type welcomePrompt struct {
	peer, name string
	say        *widget.Button
	dismiss    *widget.Button
}

// welcomeSection returns the prompts of community cid for the top of the
// home (fs is the community's first steps as the local member sees them).
func (h *home) welcomeSection(cid crdt.ID, fs api.FirstSteps) []fyne.CanvasObject {
	h.welcomes = nil
	a := h.a
	if !fs.SeesNewcomers {
		return nil
	}
	general := welcomeGroup(a.groups)
	if general.IsZero() {
		return nil
	}
	ns, err := a.newcomers.of(a.b, cid)
	if err != nil {
		a.log("newcomers", err)
		return nil
	}
	dismissed := fyne.CurrentApp().Preferences().StringList(prefWelcomeDismissed)
	now := a.now()
	var objs []fyne.CanvasObject
	for _, n := range ns { // newest first
		key := cid.String() + "/" + n.PeerID
		if n.Welcomed || slices.Contains(dismissed, key) || now.Sub(n.Joined).Seconds() > welcomeWithin {
			continue
		}
		if len(h.welcomes) == welcomePromptsMax {
			break
		}
		p := &welcomePrompt{peer: n.PeerID, name: n.Name}
		who := n.Name
		p.say = widget.NewButton("Say welcome", nil)
		p.say.Importance = widget.HighImportance
		p.say.OnTapped = func() {
			p.say.Disable()
			text := welcomeText(fs.Template, who)
			a.act("Could not post the welcome", func(ctx context.Context) error {
				_, err := a.b.Post(ctx, cid, general, text)
				return err
			}, func() {
				if a.community == cid {
					h.reload()
				}
			})
		}
		p.dismiss = widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
			dismissWelcome(key)
			if a.community == cid {
				h.reload()
			}
		})
		p.dismiss.Importance = widget.LowImportance
		h.welcomes = append(h.welcomes, p)
		name := widget.NewLabelWithStyle("👋 "+n.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Truncation = fyne.TextTruncateEllipsis
		objs = append(objs, container.NewBorder(nil, nil, nil, p.dismiss, name),
			container.NewBorder(nil, nil, nil, p.say, secondary("joined "+a.shortTime(n.Joined))))
	}
	if len(objs) == 0 {
		return nil
	}
	title := widget.NewLabelWithStyle("NEW IN THE TEAM", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameCaptionText
	title.Importance = widget.LowImportance
	return append(append([]fyne.CanvasObject{title}, objs...), widget.NewSeparator())
}

// dismissWelcome remembers on this computer that the prompt key
// ("community/peer") was dismissed.
func dismissWelcome(key string) {
	p := fyne.CurrentApp().Preferences()
	list := append(slices.DeleteFunc(slices.Clone(p.StringList(prefWelcomeDismissed)), func(s string) bool { return s == key }), key)
	if len(list) > welcomeDismissedMax {
		list = list[len(list)-welcomeDismissedMax:]
	}
	p.SetStringList(prefWelcomeDismissed, list)
}

// newcomersCache keeps the newcomers of one community for the home's
// welcome prompts: the home reloads on every message, and listing the
// newcomers of a community of thousands costs, so they are read again
// only after an event that may change them (api.Event.Newcomers, or a
// change of the community: joins, removals, the steps).
type newcomersCache struct {
	cid  crdt.ID
	list []api.Newcomer
	kept bool // list holds cid's newcomers (none is a list too); else read again
}

// of is community cid's newcomers, read from b unless kept.
func (n *newcomersCache) of(b Backend, cid crdt.ID) ([]api.Newcomer, error) {
	if n.cid == cid && n.kept {
		return n.list, nil
	}
	ns, err := b.Newcomers(cid)
	if err != nil {
		return nil, err
	}
	n.cid, n.list, n.kept = cid, ns, true
	return ns, nil
}

// event forgets the newcomers kept when ev may change them.
func (n *newcomersCache) event(ev api.Event) {
	switch {
	case ev.Community != n.cid && !ev.Community.IsZero(), ev.Unread:
	case ev.Kind == api.EventCommunities, ev.Kind == api.EventGroups, ev.Kind == api.EventMessages && ev.Newcomers:
		n.list, n.kept = nil, false
	}
}
