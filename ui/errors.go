package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// explain turns a backend error into a sentence for people: the known
// conditions in plain words, anything else as the backend says it.
func explain(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return "It took too long; check your connection and try again."
	case errors.Is(err, api.ErrInviteExpired):
		return "This invite link has expired. Ask the person who sent it for a new one."
	case errors.Is(err, api.ErrInviteRevoked):
		return "This invite link was turned off by an admin. Ask the person who sent it for a new one."
	case errors.Is(err, api.ErrInviteLapsed):
		return "This invite link no longer works: the admin who made it is no longer an admin. Ask an admin of the community for a new one."
	case errors.Is(err, api.ErrInviteUsedUp):
		return "This invite link has already been used as many times as it allows. Ask the person who sent it for a new one."
	case errors.Is(err, api.ErrNoPeer):
		return "Could not reach anyone in the community. Check your internet connection, or ask the person who invited you to open Umbrella, then try again."
	case errors.Is(err, api.ErrKeysRenewing):
		return "The group's keys are being renewed after someone left; try again in a moment (an admin needs to be online)."
	case errors.Is(err, api.ErrNoKeys):
		return "This computer has not received the group's encryption keys yet; they arrive when you sync with a member. Try again in a moment."
	case errors.Is(err, api.ErrPrivateRestricted):
		return "In this community, members message only admins privately. An admin can change that in the community settings."
	case errors.Is(err, api.ErrPrivateSelf):
		return "A private conversation is with other members; choose someone other than yourself."
	case errors.Is(err, api.ErrNoSource):
		return "No one who has this file is online right now. It downloads when one of them is; try again later."
	case errors.Is(err, api.ErrBadSource):
		return "Those online who have this file sent parts of it that failed the check, or stopped answering; nothing wrong was kept. It downloads when someone else who has it is online; try again later."
	case errors.Is(err, api.ErrDiskFull):
		return "There is not enough free disk space for this file. Free some space (Storage, in the Community menu, deletes local copies) and try again."
	case errors.Is(err, api.ErrFileTooLarge):
		// The refusal names the file's size and the limit in force
		// (the protocol's 2 GiB or the community's own, lower one).
		if d := detail(err, api.ErrFileTooLarge); d != err.Error() {
			return "This file is too large: " + strings.TrimSuffix(d, ".") + "."
		}
		return "This file is too large: files are at most 2 GiB."
	case errors.Is(err, crdt.ErrUnauthorized):
		return "You are not allowed to do that: " + detail(err, crdt.ErrUnauthorized)
	case errors.Is(err, crdt.ErrInvalid):
		return capitalize(detail(err, crdt.ErrInvalid))
	}
	return capitalize(err.Error())
}

// detail is err's text without the sentinel's own words in front.
func detail(err, sentinel error) string {
	s := err.Error()
	if i := strings.Index(s, sentinel.Error()+": "); i >= 0 {
		s = s[i+len(sentinel.Error())+2:]
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func itoa(n int) string { return strconv.Itoa(n) }
