package crdt

import (
	"fmt"
	"strings"
)

// Promotions. An admin posts a promotion card (promo) in a group — the
// app puts them in the announcement group — with a title, a text, an
// optional file, an optional code, and its start and end. When a
// promotion is running is decided by the card alone: it is active at
// time t when Starts ≤ t < Ends, so every node agrees when it ends from
// the card's own times, whatever its clock says about anything else. An
// admin edits a promotion with promo.edit, which replaces its title,
// text, code, start and end (last writer wins, by height then id), and
// its file when the edit carries one (File) or drops it (DropFile); an
// edit with neither keeps the file, as edits written before edits could
// carry files do. Ending
// it early is an edit whose end is now. An edit written (by its author's
// clock) at or after the end the promotion had at that point of the
// replay is ignored, as a vote after a poll's closing time is: an ended
// promotion stays ended, and a new one is posted instead. An admin, or
// its author, deletes a promotion with delete. Both kinds need an
// admin's rank, so a concurrent demotion or removal hides them.

// PromoBody is a promotion card.
type PromoBody struct {
	Title  string   `cbor:"1,keyasint"`
	Text   string   `cbor:"2,keyasint,omitempty"`
	Starts int64    `cbor:"3,keyasint"` // unix milliseconds
	Ends   int64    `cbor:"4,keyasint"` // unix milliseconds, after Starts
	Code   string   `cbor:"5,keyasint,omitempty"`
	File   *FileRef `cbor:"6,keyasint,omitempty"` // an image or file shown with it
	Time   int64    `cbor:"7,keyasint"`           // author's clock, unix milliseconds
}

// PromoEditBody replaces a promotion's title, text, code, start and end,
// and its file when File is set or DropFile is (not both); with neither,
// the promotion keeps its file.
type PromoEditBody struct {
	Target   []byte   `cbor:"1,keyasint"` // the promotion
	Title    string   `cbor:"2,keyasint"`
	Text     string   `cbor:"3,keyasint,omitempty"`
	Starts   int64    `cbor:"4,keyasint"`
	Ends     int64    `cbor:"5,keyasint"`
	Code     string   `cbor:"6,keyasint,omitempty"`
	Time     int64    `cbor:"7,keyasint"`           // author's clock; an edit at or after the end is ignored
	File     *FileRef `cbor:"8,keyasint,omitempty"` // the image or file it shows from now on
	DropFile bool     `cbor:"9,keyasint,omitempty"` // it shows no file from now on
}

func checkTitle(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s is empty", field)
	}
	return checkText(field, s, MaxTitleLen, true)
}

func checkPromo(title, text, code string, starts, ends int64) error {
	if err := checkTitle("promotion title", title); err != nil {
		return err
	}
	if err := checkText("promotion text", text, MaxCardTextLen, false); err != nil {
		return err
	}
	if err := checkText("promotion code", code, MaxCodeLen, true); err != nil {
		return err
	}
	switch {
	case starts < 0:
		return fmt.Errorf("negative start")
	case ends <= starts:
		return fmt.Errorf("a promotion ends after it starts")
	case ends >= MaxCardTime:
		return fmt.Errorf("a promotion ends before the year 2200")
	case ends-starts > MaxPromoSpan:
		return fmt.Errorf("a promotion runs at most %d days", MaxPromoSpan/(24*3600*1000))
	}
	return nil
}

func (b *PromoBody) check() error {
	if b.File != nil {
		if err := b.File.check(); err != nil {
			return err
		}
	}
	return checkPromo(b.Title, b.Text, b.Code, b.Starts, b.Ends)
}

func (b *PromoEditBody) check() error {
	if err := checkID("target", b.Target); err != nil {
		return err
	}
	if b.File != nil {
		if b.DropFile {
			return fmt.Errorf("a promotion edit both sets and drops the file")
		}
		if err := b.File.check(); err != nil {
			return err
		}
	}
	return checkPromo(b.Title, b.Text, b.Code, b.Starts, b.Ends)
}

// PromoView is a promotion card as people see it, edits folded in.
type PromoView struct {
	Title  string
	Starts int64 // unix milliseconds
	Ends   int64 // unix milliseconds
	Code   string
	File   *FileRef
	Edited bool
}

// Active reports whether the promotion runs at now (unix milliseconds):
// from its start, up to but not including its end.
func (p *PromoView) Active(now int64) bool { return p.Starts <= now && now < p.Ends }
