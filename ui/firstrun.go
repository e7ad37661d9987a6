package ui

import (
	"context"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxNameLen matches identity.MaxNameLen.
const maxNameLen = 64

// FirstRunScreen asks a new user for a display name and creates their
// identity.
type FirstRunScreen struct {
	root     fyne.CanvasObject
	name     *widget.Entry
	button   *widget.Button
	errLabel *widget.Label
	progress *widget.ProgressBarInfinite
}

// NewFirstRun builds the first-run screen. On success it calls ready on
// the UI goroutine with the started backend.
func NewFirstRun(a fyne.App, create FirstRun, ready func(Backend), spawn func(func())) *FirstRunScreen {
	if spawn == nil {
		spawn = func(f func()) { go f() }
	}
	s := &FirstRunScreen{}
	title, intro := screenHeader("Welcome to Umbrella", "Your team's home for announcements, training and wins. Messages go straight between your team's computers — no server, no ads.\n\nWhat should your team call you?")
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder("Your name, e.g. Maria Lopez")
	s.errLabel = errorLabel()
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Stop()
	s.progress.Hide()
	s.button = widget.NewButton("Continue", nil)
	s.button.Importance = widget.HighImportance
	s.button.Disable()
	s.name.OnChanged = func(t string) {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			s.button.Disable()
			s.errLabel.Hide()
		case len(t) > maxNameLen || !utf8.ValidString(t):
			s.button.Disable()
			s.errLabel.SetText(tooLongName)
			s.errLabel.Show()
		default:
			s.button.Enable()
			s.errLabel.Hide()
		}
	}
	s.button.OnTapped = func() {
		name := strings.TrimSpace(s.name.Text)
		if name == "" {
			return
		}
		s.button.Disable()
		s.name.Disable()
		s.progress.Show()
		s.progress.Start()
		spawn(func() {
			b, err := create(context.Background(), name)
			fyne.Do(func() {
				s.progress.Stop()
				s.progress.Hide()
				if err != nil {
					s.errLabel.SetText("Could not set up Umbrella: " + err.Error())
					s.errLabel.Show()
					s.button.Enable()
					s.name.Enable()
					return
				}
				ready(b)
			})
		})
	}
	s.name.OnSubmitted = func(string) {
		if !s.button.Disabled() {
			s.button.OnTapped()
		}
	}
	s.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(440, 320),
		container.NewVBox(title, intro, s.name, s.button, s.progress, s.errLabel)))
	return s
}

// screenHeader is the centred title and text of a full-window screen.
func screenHeader(title, text string) (*widget.Label, *widget.Label) {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	t.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabel(text)
	intro.Wrapping = fyne.TextWrapWord
	intro.Alignment = fyne.TextAlignCenter
	return t, intro
}

// Content returns the screen's root object.
func (s *FirstRunScreen) Content() fyne.CanvasObject { return s.root }

// Focus puts the keyboard in the name field; call it once the screen is
// w's content.
func (s *FirstRunScreen) Focus(w fyne.Window) { w.Canvas().Focus(s.name) }
