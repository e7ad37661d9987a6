package node

import (
	"github.com/umbrella-p2p/umbrella/node/calls"
	"github.com/umbrella-p2p/umbrella/view"
)

// Node's API is mostly its parts' own methods, promoted from the fields
// that embed them:
//
//   - *act.Actions: posts, edits, polls, groups, settings, the invites'
//     list and revocation, the admin actions and the team actions;
//   - *views (view.Views): MessagePage, Messages, Message, Pinned, Search,
//     MarkRead, SetMuted, Steps, Newcomers, TeamTree, Wins, Event, FAQ,
//     Questions and Collections;
//   - *view.Directory: Communities, Members, GroupMembers and Contacts;
//   - *act.Founder: CreateCommunity; *act.Inviter: CreateInvite and
//     InviteLinks;
//   - *callAPI (calls.API of node/calls): StartCall, JoinCall, LeaveCall, EndCall,
//     RemoveFromCall, RemoveCallPeer, SetCallMuted, AnnounceCallVideo and CallStatus (Calls
//     is Node's own: views has one too).
//
// Node declares a method itself only to wire parts together (AddMember
// hands the contacts to act, Promos and Events the clock to view, the
// file methods the library to act's SendFile) or to settle a name two
// parts share. An ambiguous selector is dropped from the method set
// without a word: `var _ api.API = (*Node)(nil)` (node.go) is what
// catches one.

// views is view.Views under the name of the field that embeds it in Node,
// so that the node's code reads n.views as before.
type views = view.Views

// callAPI is calls.API under an unexported field name in Node.
type callAPI = calls.API
