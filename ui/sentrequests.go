package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// sentRequests is the part of the rail, under the communities, that
// shows the member's own requests to join communities that admit by
// approval: "Waiting for approval" while an admin has not decided, and
// "Your request to join X was declined", with Dismiss, once one declined.
// The node learns of a denial by asking again while it waits.
type sentRequests struct {
	a     *App
	box   *fyne.Container
	shown []api.SentRequest
}

func newSentRequests(a *App) *sentRequests {
	s := &sentRequests{a: a, box: container.NewVBox()}
	s.box.Hide()
	return s
}

// reload shows the requests the backend lists now.
func (s *sentRequests) reload() {
	reqs := s.a.b.SentRequests()
	if sameSent(reqs, s.shown) {
		return
	}
	s.shown = reqs
	var rows []fyne.CanvasObject
	for _, r := range reqs {
		rows = append(rows, s.row(r))
	}
	s.box.Objects = rows
	if len(rows) == 0 { // hidden, it takes no room in the rail
		s.box.Hide()
	} else {
		s.box.Objects = append([]fyne.CanvasObject{widget.NewSeparator()}, rows...)
		s.box.Show()
	}
	s.box.Refresh()
}

// row is one request: its community's name and where it stands.
func (s *sentRequests) row(r api.SentRequest) fyne.CanvasObject {
	if !r.Declined {
		name := widget.NewLabelWithStyle(r.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Truncation = fyne.TextTruncateEllipsis
		return container.NewBorder(nil, nil, newAvatar(r.Name, r.Community.String(), 36), nil,
			container.NewVBox(name, secondary("Waiting for approval")))
	}
	text := widget.NewLabel(declinedText(r.Name))
	text.Wrapping = fyne.TextWrapWord
	dismiss := widget.NewButtonWithIcon("Dismiss", theme.CancelIcon(), func() {
		s.a.b.DismissRequest(r.Community)
		s.reload()
	})
	dismiss.Importance = widget.LowImportance
	return container.NewVBox(text, container.NewHBox(dismiss))
}

// declinedText tells the member an admin declined its request to join.
func declinedText(community string) string {
	return "Your request to join " + community + " was declined"
}

func sameSent(a, b []api.SentRequest) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
