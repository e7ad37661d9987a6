package crdt

import (
	"fmt"
	"slices"
	"strings"
)

// Wins. A member celebrates another member (or themself) with a win op in
// a group: a recognition card with one badge of a small fixed set and a
// line of text. Anyone who may post in the group may celebrate, unless
// the community's team settings (team.settings, an admin's control op)
// say only admins may; in the announcement group only admins post, as
// always. The setting is judged at receipt against the state the win was
// written on, like every content rule: a win that was allowed when
// written stands when the setting changes later. The rank a win needs
// is a member's (an admin's in the announcement group), so the win of a
// member removed concurrently is hidden. The member celebrated must be a
// member in the win's causal past. The author or an admin deletes a win
// with delete; others react to it like to any post.

// Badges a win may carry: a small fixed set the app shows with clear
// icons. A badge outside the set makes the op malformed.
const (
	BadgeRank      = "rank"       // rank advancement
	BadgeFirstSale = "first-sale" // first sale
	BadgeNewMember = "new-member" // brought a new team member
	BadgeGoal      = "goal"       // goal reached
	BadgeStreak    = "streak"     // a streak
)

// Badges lists the badges, in the order the app offers them.
var Badges = []string{BadgeRank, BadgeFirstSale, BadgeNewMember, BadgeGoal, BadgeStreak}

// CheckBadge reports whether b is one of Badges.
func CheckBadge(b string) error {
	if !slices.Contains(Badges, b) {
		return fmt.Errorf("badge %q is not one of %s", b, strings.Join(Badges, ", "))
	}
	return nil
}

// TeamSettingsBody holds the community's team settings (admins): for
// now, whether only admins may celebrate wins. Each replaces the one
// before it in the replay order.
type TeamSettingsBody struct {
	AdminsCelebrate bool  `cbor:"1,keyasint,omitempty"`
	Time            int64 `cbor:"2,keyasint,omitempty"`
}

func (b *TeamSettingsBody) check() error { return nil }

// WinBody celebrates Member's win with Badge and Text.
type WinBody struct {
	Member []byte `cbor:"1,keyasint"` // the member celebrated
	Badge  string `cbor:"2,keyasint"` // one of Badges
	Text   string `cbor:"3,keyasint,omitempty"`
	Time   int64  `cbor:"4,keyasint"` // author's clock, unix milliseconds; shown only
}

func (b *WinBody) check() error {
	if err := checkID("member", b.Member); err != nil {
		return err
	}
	if err := CheckBadge(b.Badge); err != nil {
		return err
	}
	return checkText("win text", b.Text, MaxCardTextLen, false)
}

// WinView is a win card as people see it.
type WinView struct {
	Member PublicKey
	Badge  string
}

// checkWin judges win o, whose author holds role, in state s.
func (s *State) checkWin(o *Op, b *WinBody, role Role) error {
	if s.Role(keyOf(b.Member)) == RoleNone {
		return invalid("the member celebrated, %s, is not a member", s.who(keyOf(b.Member)))
	}
	if s.AdminsCelebrate && role < RoleAdmin {
		return fmt.Errorf("%w: %w", ErrAdminsCelebrate, ErrUnauthorized)
	}
	return nil
}

// ErrAdminsCelebrate: the community's team settings let only admins
// celebrate wins (it wraps ErrUnauthorized in a verdict).
var ErrAdminsCelebrate = fmt.Errorf("only admins celebrate wins in this community")
