package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// ErrWrongPassphrase is what an Unlock function returns (wrapped) when the
// passphrase does not open the database key.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// Unlock opens the node with a passphrase.
type Unlock func(ctx context.Context, passphrase []byte) (Backend, error)

// UnlockScreen asks for the passphrase that protects this computer's
// Umbrella database (set with `umbrellad passphrase set`).
type UnlockScreen struct {
	root     fyne.CanvasObject
	entry    *widget.Entry
	button   *widget.Button
	errLabel *widget.Label
}

// NewUnlockScreen builds the screen. On success it calls ready on the UI
// goroutine with the started backend.
func NewUnlockScreen(unlock Unlock, ready func(Backend), spawn func(func())) *UnlockScreen {
	if spawn == nil {
		spawn = func(f func()) { go f() }
	}
	s := &UnlockScreen{}
	title, intro := screenHeader("Unlock Umbrella", "Your messages on this computer are locked with a passphrase. Enter it to open them.")
	s.entry = widget.NewPasswordEntry()
	s.entry.SetPlaceHolder("Passphrase")
	s.errLabel = errorLabel()
	s.button = widget.NewButton("Unlock", nil)
	s.button.Importance = widget.HighImportance
	s.button.OnTapped = func() {
		if s.entry.Text == "" {
			return
		}
		pass := []byte(s.entry.Text)
		s.button.Disable()
		s.entry.Disable()
		spawn(func() {
			b, err := unlock(context.Background(), pass)
			fyne.Do(func() {
				if err != nil {
					if errors.Is(err, ErrWrongPassphrase) {
						s.errLabel.SetText("That passphrase does not open your messages. Check it and try again.")
					} else {
						s.errLabel.SetText("Umbrella could not start: " + err.Error())
					}
					s.errLabel.Show()
					s.entry.SetText("")
					s.button.Enable()
					s.entry.Enable()
					return
				}
				ready(b)
			})
		})
	}
	s.entry.OnSubmitted = func(string) { s.button.OnTapped() }
	s.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(440, 260),
		container.NewVBox(title, intro, s.entry, s.button, s.errLabel)))
	return s
}

// Content returns the screen's root object.
func (s *UnlockScreen) Content() fyne.CanvasObject { return s.root }

// Focus puts the keyboard in the passphrase field; call it once the screen
// is w's content.
func (s *UnlockScreen) Focus(w fyne.Window) { w.Canvas().Focus(s.entry) }
