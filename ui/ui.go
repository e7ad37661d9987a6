// Package ui is Umbrella's desktop interface, built with Fyne: the first-run
// and unlock screens, the rail of communities, a community's home with its
// groups, the conversation (a virtualised message list with replies,
// reactions, polls and pins, and its composer), the info pane with members
// and safety numbers, and the admin screens.
//
// It talks to a node only through the Backend interface it declares and the
// node's event stream; it never touches the network or storage itself, so
// tests drive it with an in-memory fake. Widgets are changed only on Fyne's
// UI goroutine: work that may block (joining, sending) runs in the
// background and hands its result back through fyne.Do.
package ui

import (
	"context"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Backend is what the app needs from a node. *node.Node implements it;
// the app sees only the api package, never the network stack.
type Backend interface {
	Self() api.Self
	// SetName changes the member's display name in every community.
	SetName(ctx context.Context, name string) error
	// SetPhoto sets (nil: removes) the member's profile photo in every
	// community; SetIcon a community's icon (admins).
	SetPhoto(ctx context.Context, image []byte) error
	SetIcon(ctx context.Context, community crdt.ID, image []byte) error
	// Status reports the network and sync state for the indicator.
	Status() api.Status
	Subscribe() (<-chan api.Event, func())

	CreateCommunity(ctx context.Context, name string) (api.Community, error)
	Communities() []api.Community
	Settings(community crdt.ID) (api.Settings, error)
	UpdateSettings(ctx context.Context, community crdt.ID, s api.Settings) error
	LeaveCommunity(ctx context.Context, community crdt.ID) error

	Groups(community crdt.ID) ([]api.Group, error)
	CreateGroup(ctx context.Context, community crdt.ID, name, description, policy string) (api.Group, error)
	UpdateGroup(ctx context.Context, community, group crdt.ID, g api.GroupSettings) error
	// OrderGroups sets the order of the groups for every member (admins).
	OrderGroups(ctx context.Context, community crdt.ID, groups []crdt.ID) error
	JoinGroup(ctx context.Context, community, group crdt.ID) error
	LeaveGroup(ctx context.Context, community, group crdt.ID) error
	GroupRequests(community, group crdt.ID) ([]api.JoinRequest, error)
	DecideGroupJoin(ctx context.Context, community, group crdt.ID, peerID string, approve bool) error
	MarkRead(ctx context.Context, community, group crdt.ID) error
	SetMuted(ctx context.Context, community, group crdt.ID, muted bool) error
	// OpenPrivate opens the local member's private conversation with
	// members (the existing one with the same people, else a new one);
	// Privates lists its private conversations, which Groups does not.
	OpenPrivate(ctx context.Context, community crdt.ID, members []string) (crdt.ID, error)
	Privates(community crdt.ID) ([]api.Private, error)

	// Members lists a community's members with their safety numbers.
	Members(community crdt.ID) ([]api.Member, error)
	GroupMembers(community, group crdt.ID) ([]api.Member, error)
	// SafetyNumbers computes the safety numbers a members list left empty,
	// for the rows shown (safetyOf).
	SafetyNumbers(peers []string) ([]string, error)
	SetRole(ctx context.Context, community crdt.ID, peerID, role string) error
	RemoveMember(ctx context.Context, community crdt.ID, peerID string) error
	// AddToGroup and RemoveFromGroup put a member into a group and take
	// one out (admins); GroupCandidates lists the members not in it.
	AddToGroup(ctx context.Context, community, group crdt.ID, peerID string) error
	RemoveFromGroup(ctx context.Context, community, group crdt.ID, peerID string) error
	GroupCandidates(community, group crdt.ID) ([]api.Member, error)
	JoinRequests(community crdt.ID) ([]api.JoinRequest, error)
	DecideJoin(ctx context.Context, community crdt.ID, peerID string, approve bool) error
	Audit(community crdt.ID) ([]api.AuditEntry, error)

	// Contacts lists the people the member shares a community with;
	// AddMember adds one to community directly (admins).
	Contacts() []api.Contact
	AddMember(ctx context.Context, community crdt.ID, peerID string) error
	CreateInvite(ctx context.Context, community crdt.ID, opts api.InviteOptions) (string, error)
	Invites(community crdt.ID) ([]api.InviteInfo, error)
	InviteLinks(community crdt.ID) ([]api.InviteLink, error)
	RevokeInvite(ctx context.Context, community, invite crdt.ID) error
	// ParseInvite reads an invite link to say what it joins and who
	// invited: a long link without the network, a short one by asking the
	// peers it names (so it is called off the UI goroutine).
	ParseInvite(link string) (*api.Invite, error)
	JoinWithProgress(ctx context.Context, link string, progress func(api.JoinProgress)) (api.Community, error)
	// SentRequests lists the member's own requests to join communities
	// that admit by approval: waiting, or declined.
	SentRequests() []api.SentRequest
	// DismissRequest forgets the member's request to join community,
	// once it has read that it was declined.
	DismissRequest(community crdt.ID)

	MessagePage(community, group crdt.ID, from, limit int) (api.Page, error)
	// Message is one message of a group, as MessagePage shows it.
	Message(community, group, id crdt.ID) (api.Message, error)
	Pinned(community, group crdt.ID) ([]api.Message, error)
	Search(community, group crdt.ID, query string, limit int) ([]api.Message, error)
	Post(ctx context.Context, community, group crdt.ID, text string) (crdt.ID, error)
	Reply(ctx context.Context, community, group, replyTo crdt.ID, text string) (crdt.ID, error)
	Edit(ctx context.Context, community, group, msg crdt.ID, text string) error
	Delete(ctx context.Context, community, group, msg crdt.ID) error
	Pin(ctx context.Context, community, group, msg crdt.ID, on bool) error
	React(ctx context.Context, community, group, msg crdt.ID, emoji string, on bool) error
	CreatePoll(ctx context.Context, community, group crdt.ID, question string, options []string, multi bool, closes time.Time) (crdt.ID, error)
	Vote(ctx context.Context, community, group, poll crdt.ID, choices []int) error
	ClosePoll(ctx context.Context, community, group, poll crdt.ID) error

	// Relays lists a community's relays with the state of each;
	// AddRelayAddr registers one by its pasted address and RemoveRelayPeer
	// takes one off (admins: Community.CanManageRelays).
	Relays(community crdt.ID) ([]api.RelayState, error)
	AddRelayAddr(ctx context.Context, community crdt.ID, addr string) error
	RemoveRelayPeer(ctx context.Context, community crdt.ID, peerID string) error
	// SendFileWithProgress shares the file at path in a group, with
	// caption as its text, calling progress as it is encrypted and stored
	// (before its message is posted); GetFile downloads a message's file into out (a directory: under
	// its name), calling progress as chunks arrive, and resumes what an
	// interrupted call left; Files lists a community's (or a group's)
	// files newest first, FileStatus one of them; DeleteLocalFile frees
	// this node's copy.
	SendFileWithProgress(ctx context.Context, community, group crdt.ID, path, caption string, progress func(api.FileProgress)) (api.SentFile, error)
	GetFile(ctx context.Context, community, group, message crdt.ID, out string, progress func(api.FileProgress)) (api.GotFile, error)
	Files(community, group crdt.ID) ([]api.FileEntry, error)
	FileStatus(community, message crdt.ID) (api.FileEntry, error)
	DeleteLocalFile(ctx context.Context, community, message crdt.ID) error
	// Steps, TickStep and Newcomers: the member's first steps, and the
	// newcomers' progress for admins; SetSteps writes them (api.Team;
	// steps.go).
	SetSteps(ctx context.Context, community crdt.ID, steps []api.StepDraft, welcome string) error
	Steps(community crdt.ID) (api.FirstSteps, error)
	TickStep(ctx context.Context, community crdt.ID, n int, done bool) error
	Newcomers(community crdt.ID) ([]api.Newcomer, error)
	// TeamTree lists the members with who invited each.
	TeamTree(community crdt.ID) ([]api.TeamMember, error)

	teamBackend // the team cards (teamcard.go)
}

var _ Backend = (api.API)(nil)

// FirstRun creates an identity with the chosen display name and returns the
// started backend.
type FirstRun func(ctx context.Context, name string) (Backend, error)
