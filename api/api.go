// Package api holds the types a node shows the app and the control socket:
// communities, groups, members, messages, events, their errors, and the API
// interface itself. It is a leaf: it imports crdt's identifiers and the
// standard library, never libp2p, Badger or QUIC, so the desktop app's
// views build and test without the network stack.
package api

import (
	"context"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Self describes the local node.
type Self struct {
	PeerID string   `json:"peer_id"`
	Name   string   `json:"name"`
	Addrs  []string `json:"addrs"` // full multiaddrs including /p2p/<peer id>
	// SafetyNumber is this member's fingerprint, to compare out of band.
	SafetyNumber string `json:"safety_number"`
	// Photo is the local member's profile photo as last set on this
	// device, nil when none (the app shows initials); never modified.
	Photo *crdt.Picture `json:"-"`
}

// GroupKind says whether a group is the community's announcement group.
type GroupKind string

// Group kinds.
const (
	GroupAnnouncement GroupKind = "announcement"
	GroupRegular      GroupKind = "group"
	// GroupPrivate is a private conversation (see Private). Groups never
	// lists one; Privates does.
	GroupPrivate GroupKind = "private"
)

// Community is the summary of one community the local member belongs to.
type Community struct {
	ID      crdt.ID `json:"community"`
	Name    string  `json:"name"`
	Members int     `json:"members"`
	Role    string  `json:"role"` // the local member's role: "owner", "admin" or "member"
	// Description is the community's description, as admins set it.
	Description string `json:"description,omitempty"`
	// Unread counts others' messages not yet read in the unmuted groups
	// the local member is in; Mentions those of them that mention it.
	Unread   int `json:"unread"`
	Mentions int `json:"mentions,omitempty"`
	// Removed: an admin removed the local member (RemovedBy is who, by
	// name); Left: it left. Role is then "none": the node keeps what it
	// had, read-only, and writing in the community fails with ErrRemoved
	// or ErrLeft.
	Removed   bool   `json:"removed,omitempty"`
	RemovedBy string `json:"removed_by,omitempty"`
	Left      bool   `json:"left,omitempty"`
	// JoinUndone: the local member's join took effect and was undone (its
	// link was revoked, or its maker lost the right to invite, while it
	// joined); writing fails with ErrJoinUndone.
	JoinUndone bool `json:"join_undone,omitempty"`

	// What the local member may do in the community now, as crdt judges
	// it (crdt.State.Permits). The app offers exactly these; it never
	// works them out from Role.

	// CanInvite: make and revoke invite links.
	CanInvite bool `json:"can_invite,omitempty"`
	// CanEditSettings: change the community's settings (Settings).
	CanEditSettings bool `json:"can_edit_settings,omitempty"`
	// CanDecideJoins: approve or deny requests to join the community.
	CanDecideJoins bool `json:"can_decide_joins,omitempty"`
	// CanCreateGroups: create groups; CreateSuggests: a group it creates
	// is a suggestion that an admin approves.
	CanCreateGroups bool `json:"can_create_groups,omitempty"`
	CreateSuggests  bool `json:"create_suggests,omitempty"`
	// CanEditGroups: change groups' settings (name, description, policy,
	// archived). Making a group that everyone is in is offered only with
	// this right, since it could give any group that policy.
	CanEditGroups bool `json:"can_edit_groups,omitempty"`
	// CanOrderGroups: set the order in which every member's home lists
	// the groups.
	CanOrderGroups bool `json:"can_order_groups,omitempty"`
	// CanSetIcon: set or remove the community's icon (SetIcon).
	CanSetIcon bool `json:"can_set_icon,omitempty"`
	// Icon is the community's icon, nil when it has none (the app shows
	// initials). Its Data is shared with the node's state: never modify
	// it. Icon.Op changes whenever the picture does, so the app caches
	// the decoded picture by it.
	Icon *crdt.Picture `json:"-"`
	// CanSeeAudit: the audit log of admin actions is for this member (it
	// may change the community's settings).
	CanSeeAudit bool `json:"can_see_audit,omitempty"`
	// CanMessagePrivately: start a private conversation with any member
	// (an admin may always; a member unless the settings limit members to
	// messaging admins, Settings.PrivateToAdminsOnly). Whether it may
	// message one given member is Member.CanMessage.
	CanMessagePrivately bool `json:"can_message_privately,omitempty"`
	// CanManageRelays: add and remove the community's relays.
	CanManageRelays bool `json:"can_manage_relays,omitempty"`
	// Relays are the relays registered with the community (FillRelays).
	Relays []Relay `json:"relays,omitempty"`
	// TeamPermits: the team actions the local member may take (team.go).
	TeamPermits
	// CanAddMembers: add people this node shares another community with
	// directly, without a link (AddMember).
	CanAddMembers bool `json:"can_add_members,omitempty"`
	// AddedBy is the name of the member who added the local member to the
	// community directly (member.add); empty if it joined otherwise.
	AddedBy string `json:"added_by,omitempty"`
}

// Private is one private conversation of the local member in a community:
// a group (PolicyPrivate) whose participants its creator chose, readable
// by them only. Post, Messages, React, MarkRead … take its Group like any
// group's id.
type Private struct {
	Group crdt.ID `json:"group"`
	// With are the other participants still in it, by name; Left those
	// who were in it and are no longer (removed, left the community or
	// the conversation).
	With []Participant `json:"with"`
	Left []Participant `json:"left,omitempty"`
	// Last is the time of its newest message, zero when it has none
	// (then the time it was created); the list is newest first by it.
	Last time.Time `json:"last"`
	// Unread and Mentions count others' messages not read yet (MarkRead).
	Unread   int  `json:"unread"`
	Mentions int  `json:"mentions,omitempty"`
	Muted    bool `json:"muted,omitempty"`
	// Closed: fewer than two participants are left in it, so it takes no
	// new messages; what was said stays readable. Say so instead of
	// offering a composer.
	Closed bool `json:"closed"`
	// Mine: the local member started it.
	Mine bool `json:"mine,omitempty"`
	// Conversation is the conversation as a Group (Kind GroupPrivate,
	// Policy "private"), with what the local member may do in it
	// (CanPost, CanReact; nobody pins or moderates one), for the
	// conversation screen.
	Conversation Group `json:"-"`
}

// Participant is a member of a private conversation.
type Participant struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
}

// Group is one group of a community.
type Group struct {
	ID          crdt.ID   `json:"id"`
	Name        string    `json:"name"`
	Kind        GroupKind `json:"kind"`
	Description string    `json:"description,omitempty"`
	Policy      string    `json:"policy"`              // "open", "approval" or "everyone"
	Joined      bool      `json:"joined"`              // the local member is in it
	Archived    bool      `json:"archived,omitempty"`  // read-only
	Suggested   bool      `json:"suggested,omitempty"` // a member's suggestion awaiting an admin
	Members     int       `json:"members"`             // how many members the group has
	// What the local member may do in the group now, as crdt judges it
	// (crdt.State.Permits); with Message.Mine they decide what the app
	// offers on each message.
	//
	// CanPost: write messages and polls, and reply; edit, delete and
	// close its own (these need what posting needs).
	CanPost bool `json:"can_post"`
	// CanCall: start a call in the group and take part in its calls.
	CanCall bool `json:"can_call,omitempty"`
	// CanReact: react to messages and vote in polls.
	CanReact bool `json:"can_react,omitempty"`
	// CanPin: pin and unpin messages.
	CanPin bool `json:"can_pin,omitempty"`
	// CanModerate: delete others' messages and close others' polls.
	CanModerate bool `json:"can_moderate,omitempty"`
	// CanEdit: change the group's settings; CanApprove: approve the
	// group, a member's suggestion; CanDecideJoins: approve or deny
	// requests to join it.
	CanEdit        bool `json:"can_edit,omitempty"`
	CanApprove     bool `json:"can_approve,omitempty"`
	CanDecideJoins bool `json:"can_decide_joins,omitempty"`
	// CanJoinDirectly: joining makes the local member a member at once;
	// CanAskToJoin: joining asks the group's admins (JoinGroup records a
	// request). At most one is set; neither in a group it is in or may
	// not join.
	CanJoinDirectly bool `json:"can_join_directly,omitempty"`
	CanAskToJoin    bool `json:"can_ask_to_join,omitempty"`
	// GroupTeamPermits: the team actions the local member may take in
	// the group (team.go).
	GroupTeamPermits
	// CanAddMembers: the local member may put community members into
	// the group (AddToGroup), and take them out (RemoveFromGroup).
	CanAddMembers bool `json:"can_add_members,omitempty"`
	// AddedBy names the admin who put the local member into the group
	// (AddToGroup), while it is in it by that add; empty otherwise.
	AddedBy string `json:"added_by,omitempty"`
	// Requested: the local member asked to join and waits for an admin;
	// Denied: an admin denied its latest request (it may ask again).
	Requested bool `json:"requested,omitempty"`
	Denied    bool `json:"denied,omitempty"`
	// Unread counts others' messages the local member has not read (see
	// MarkRead); Mentions those of them that mention it. Both are zero in
	// groups the member is not in.
	Unread   int  `json:"unread"`
	Mentions int  `json:"mentions,omitempty"`
	Muted    bool `json:"muted,omitempty"` // no notifications, not counted in the community's unread
	// Closed: a private conversation (Kind GroupPrivate) that takes no new
	// messages (see Private.Closed); always false for other groups.
	Closed bool `json:"closed,omitempty"`
}

// Member is one member of a community.
type Member struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	// SafetyNumber is the member's fingerprint (identity.SafetyNumber):
	// compare it with what the member's own app shows. A list computes
	// only the first few it misses (a big community's first list since
	// the node started) and leaves the others empty: ask for those shown
	// with API.SafetyNumbers.
	SafetyNumber string `json:"safety_number"`
	// Online: this node is connected to the member right now.
	Online bool `json:"online"`
	// What the local member may do to this member now, as crdt judges it
	// (crdt.State.Permits): CanRemove, remove it from the community;
	// Grantable, the roles ("member", "admin", "owner") it may give it,
	// never the role it has.
	CanRemove bool     `json:"can_remove,omitempty"`
	Grantable []string `json:"grantable,omitempty"`
	// CanMessage: the local member may start a private conversation with
	// this member (OpenPrivate); never for the local member itself.
	CanMessage bool `json:"can_message,omitempty"`
	// In a group's list (GroupMembers, GroupCandidates):
	// CanRemoveFromGroup, the local member may take this member out of
	// the group; CanAddToGroup, it may put this member, not in the group,
	// into it now.
	CanRemoveFromGroup bool `json:"can_remove_from_group,omitempty"`
	CanAddToGroup      bool `json:"can_add_to_group,omitempty"`
	// Photo is the member's profile photo, nil when it has none (the app
	// shows initials); shared, never modified, cached by Photo.Op.
	Photo *crdt.Picture `json:"-"`
}

// Message is one message or poll in a group, as shown to people, with its
// edits, deletion, reactions and votes folded in.
type Message struct {
	ID         crdt.ID   `json:"id"`
	Kind       string    `json:"kind"`   // "message", "file", "poll", "win", "promo", "event" or "call"
	Author     string    `json:"author"` // peer id
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	Time       time.Time `json:"time"` // the author's clock; shown, never used for ordering
	Mine       bool      `json:"mine"`
	ReplyTo    *crdt.ID  `json:"reply_to,omitempty"`
	Mentions   []string  `json:"mentions,omitempty"` // peer ids
	MentionsMe bool      `json:"mentions_me,omitempty"`
	Edited     bool      `json:"edited,omitempty"`
	Deleted    bool      `json:"deleted,omitempty"`
	DeletedBy  string    `json:"deleted_by,omitempty"` // name of who deleted it
	// Hidden says in words why a removal or demotion of the author,
	// concurrent with this message, invalidated it; Text is then empty.
	// HiddenCause says it typed.
	Hidden      string      `json:"hidden,omitempty"`
	HiddenCause HiddenCause `json:"hidden_cause,omitempty"`
	Pinned      bool        `json:"pinned,omitempty"`
	Reactions   []Reaction  `json:"reactions,omitempty"`
	Poll        *Poll       `json:"poll,omitempty"`
	// File is the file a message of kind "file" shares.
	File *File `json:"file,omitempty"`
	// Quote is what a reply answers, to show above it.
	Quote *Quote `json:"quote,omitempty"`
	// Index is the message's position in the group's display order (as in
	// Page); set by Messages, Message, MessagePage, Pinned and Search.
	Index int `json:"-"`
	// AuthorPhoto is the author's profile photo, as Member.Photo.
	AuthorPhoto *crdt.Picture `json:"-"`
	// Group is the message's group in lists that span the community's
	// groups (Collection.Messages); zero in a group's own lists.
	Group crdt.ID `json:"group,omitzero"`
	// Win, Promo and Event are the cards of kinds "win", "promo" and
	// "event" (team.go); Answer, on a question of a Q&A group, is the
	// reply marked as its answer; Collections names the collections the
	// message is saved in.
	Win         *Win           `json:"win,omitempty"`
	Promo       *Promo         `json:"promo,omitempty"`
	Event       *CalendarEvent `json:"event,omitempty"`
	Answer      *crdt.ID       `json:"answer,omitempty"`
	Collections []string       `json:"collections,omitempty"`
	// Call is, on a message of kind "call", the call it records (call.go).
	Call *CallRow `json:"call,omitempty"`
}

// Quote is the replied-to message as a reply shows it.
type Quote struct {
	ID         crdt.ID `json:"id"`
	AuthorName string  `json:"author_name,omitempty"`
	// Text is the start of the quoted text (at most QuoteRunes runes).
	Text    string `json:"text,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
	Hidden  bool   `json:"hidden,omitempty"`
	// Missing: the quoted message is not here (not synced yet, or said
	// before this member came in a community that hides history).
	Missing bool `json:"missing,omitempty"`
	// Index is the quoted message's position in the display order, -1
	// when Missing.
	Index int `json:"-"`
}

// QuoteRunes is how much of a replied-to message a Quote carries.
const QuoteRunes = 160

// Page is a window of a group's messages in display order.
type Page struct {
	// Total is how many messages the group shows this member.
	Total int
	// From is the index of Messages[0].
	From     int
	Messages []Message
	// FirstUnread is the index of the first message by someone else that
	// the local member has not read, or -1.
	FirstUnread int
}

// MaxPage is the most messages one MessagePage call returns.
const MaxPage = 500

// JoinStage is how far a join has come.
type JoinStage int

// Join stages, in the order they happen.
const (
	JoinChecking   JoinStage = iota + 1 // the link's signature and expiry
	JoinConnecting                      // dialling the inviter or a relay (Peer)
	JoinAdmitted                        // a member admitted us; fetching keys
	JoinSyncing                         // pulling the community (Ops so far)
	JoinRequested                       // approval needed: the request was recorded
)

// JoinProgress reports a join's stage to the caller of JoinWithProgress.
type JoinProgress struct {
	Stage JoinStage
	// Community is the name the link carries.
	Community string
	// Peer is the short peer id being dialled (JoinConnecting): its last
	// six characters, as default member names show them.
	Peer string
	// Ops is how many ops have arrived so far (JoinSyncing).
	Ops int
	// ViaRelay: a relay took the join with no member online (the inviter
	// is offline); the history comes from what the link may read.
	ViaRelay bool
}

// Reaction is one emoji under a message.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	By    []string `json:"by"` // display names
	Mine  bool     `json:"mine"`
}

// Poll is a poll's live result.
type Poll struct {
	Question  string       `json:"question"`
	Options   []PollOption `json:"options"`
	Multi     bool         `json:"multi"`
	Closed    bool         `json:"closed"`
	Closes    *time.Time   `json:"closes,omitempty"`
	Voters    int          `json:"voters"`
	MyChoices []int        `json:"my_choices,omitempty"`
}

// PollOption is one option and who chose it.
type PollOption struct {
	Text  string   `json:"text"`
	Votes int      `json:"votes"`
	By    []string `json:"by"` // display names
}

// AuditEntry is one admin action, for the audit log.
type AuditEntry struct {
	Op         crdt.ID  `json:"op"`
	Action     string   `json:"action"` // the op kind, e.g. "member.remove"
	Actor      string   `json:"actor"`
	ActorName  string   `json:"actor_name"`
	Target     string   `json:"target,omitempty"`
	TargetName string   `json:"target_name,omitempty"`
	Object     *crdt.ID `json:"object,omitempty"`
	// Detail says the details below in words, as the CLI prints them.
	Detail string    `json:"detail,omitempty"`
	Time   time.Time `json:"time"`

	// The details, typed; which are set depends on Action.

	// Role: member.role and member.add, the role given ("member",
	// "admin" or "owner").
	Role string `json:"role,omitempty"`
	// Approved: join.decide and group.decide approved (else denied).
	Approved bool `json:"approved,omitempty"`
	// Name: group.create and group.update, the group's name; settings,
	// the community's.
	Name string `json:"name,omitempty"`
	// Expires and MaxUses: invite, when it stops working (nil: never)
	// and how many people it admits (0: no limit).
	Expires *time.Time `json:"expires,omitempty"`
	MaxUses int        `json:"max_uses,omitempty"`
	// MaxFileSize: settings, the largest file members may share, in
	// bytes (0: the protocol's bound, 2 GiB).
	MaxFileSize int64 `json:"max_file_size,omitempty"`
	// Addrs: relay, where the relay (Target) added is dialled; none when
	// it was taken off.
	Addrs []string `json:"addrs,omitempty"`
	// Pinned: pin pinned the message (else unpinned it).
	Pinned bool `json:"pinned,omitempty"`
}

// EventKind says what changed.
type EventKind int

// Event kinds.
const (
	// EventCommunities: the set of communities, or a community's name or members, changed.
	EventCommunities EventKind = iota + 1
	// EventGroups: a community's groups changed.
	EventGroups
	// EventMessages: a group's messages changed.
	EventMessages
	// EventPeers: the set of connected peers changed.
	EventPeers
	// EventAdded: a member added the local member to Community directly
	// (Community.AddedBy says who), and this node now holds it.
	EventAdded
	// EventCalls: a call rang, changed who takes part, or ended.
	EventCalls
)

// Event tells a subscriber that something changed; it carries ids, not data,
// so a slow subscriber that misses events still reads the latest state.
type Event struct {
	Kind      EventKind
	Community crdt.ID
	Group     crdt.ID
	// Private: an EventMessages event of a private conversation. The app
	// notifies for every new message in one (not only for mentions),
	// unless it is muted.
	Private bool
	// Newcomers: an EventMessages event that may change what Newcomers
	// lists (a step ticked in a progress log, an admin's post mentioning
	// members, which welcomes them, a deletion); the other messages of
	// groups never do, so the app rereads the newcomers only on these.
	// Joins, removals and the steps themselves come as EventCommunities.
	Newcomers bool
	// Unread: an EventGroups or EventCommunities event for a change of
	// what is unread alone (a read mark, a mute): of the community and its
	// groups only their unread counts changed, so lists kept of them (the
	// home's, the newcomers) stay as they are.
	Unread bool
	// Home: the lists of the community's home an EventMessages event may
	// change; an ordinary message changes none, so the app reads again
	// only these. Every list may change on EventCommunities and
	// EventGroups.
	Home HomeParts
}

// HomeParts names lists of a community's home (Event.Home).
type HomeParts uint8

// The lists of a community's home.
const (
	// HomeSteps: the member's own first steps (a tick in its progress log).
	HomeSteps HomeParts = 1 << iota
	// HomePromos: the promotions (one posted or edited).
	HomePromos
	// HomeEvents: the upcoming events and their answers.
	HomeEvents
	// HomeWins: the Wall of wins.
	HomeWins
	// HomeQA: the unanswered questions and the FAQ (a question asked in a
	// Q&A group, an edit there, an answer marked).
	HomeQA
	// HomeCollections: the collections.
	HomeCollections
	// HomeAll is every list.
	HomeAll = HomeSteps | HomePromos | HomeEvents | HomeWins | HomeQA | HomeCollections
)

// API is what both binaries need from a node. *Node implements it; the
// desktop app declares its own narrower interface over these methods.
type API interface {
	Self() Self
	TeamAPI // the team cards (team.go)
	// Status reports connected peers (direct or relayed) and how up to
	// date each community is.
	Status() Status
	CreateCommunity(ctx context.Context, name string) (Community, error)
	Communities() []Community
	Groups(community crdt.ID) ([]Group, error)
	Members(community crdt.ID) ([]Member, error)
	// SafetyNumbers returns the safety numbers of the members with these
	// peer ids, in order, computing those not known yet (about 1 ms
	// each): a members list carries only the first few a window shows,
	// and the rows shown ask for theirs.
	SafetyNumbers(peers []string) ([]string, error)
	// RotatePrekey draws a new encryption prekey and publishes it.
	RotatePrekey(ctx context.Context) error
	CreateInvite(ctx context.Context, community crdt.ID, opts InviteOptions) (string, error)
	Invites(community crdt.ID) ([]InviteInfo, error)
	// InviteLinks lists the invites like Invites, each with its link when
	// this node made it, still holds its secret and it admits people.
	InviteLinks(community crdt.ID) ([]InviteLink, error)
	RevokeInvite(ctx context.Context, community, invite crdt.ID) error
	Settings(community crdt.ID) (Settings, error)
	UpdateSettings(ctx context.Context, community crdt.ID, s Settings) error
	Deactivate(ctx context.Context, community crdt.ID) error
	LeaveCommunity(ctx context.Context, community crdt.ID) error
	JoinRequests(community crdt.ID) ([]JoinRequest, error)
	DecideJoin(ctx context.Context, community crdt.ID, peerID string, approve bool) error
	UpdateGroup(ctx context.Context, community, group crdt.ID, g GroupSettings) error
	GroupRequests(community, group crdt.ID) ([]JoinRequest, error)
	DecideGroupJoin(ctx context.Context, community, group crdt.ID, peerID string, approve bool) error
	// ParseInvite decodes and checks an invite link without joining, to
	// say what it joins before the member agrees.
	ParseInvite(link string) (*Invite, error)
	Join(ctx context.Context, link string) (Community, error)
	// JoinWithProgress is Join, calling progress (from the joining
	// goroutine) as each stage begins. progress may be nil.
	JoinWithProgress(ctx context.Context, link string, progress func(JoinProgress)) (Community, error)
	// SentRequests lists the member's own requests to join communities
	// that admit by approval: waiting, or declined.
	SentRequests() []SentRequest
	// DismissRequest forgets the member's request to join community.
	DismissRequest(community crdt.ID)
	Post(ctx context.Context, community, group crdt.ID, text string) (crdt.ID, error)
	Messages(community, group crdt.ID) ([]Message, error)
	Message(community, group, id crdt.ID) (Message, error)
	// MessagePage returns up to limit (≤ MaxPage) messages from index
	// from; a negative from means the last limit messages.
	MessagePage(community, group crdt.ID, from, limit int) (Page, error)
	// Pinned returns a group's pinned messages, oldest pin first.
	Pinned(community, group crdt.ID) ([]Message, error)
	// Search returns up to limit messages of a group whose text (or poll
	// question or options, or author name) contains query, ignoring case,
	// newest first.
	Search(community, group crdt.ID, query string, limit int) ([]Message, error)
	// MarkRead records that the local member has read every message of
	// the group (this device only).
	MarkRead(ctx context.Context, community, group crdt.ID) error
	// SetMuted silences a group's notifications (this device only).
	SetMuted(ctx context.Context, community, group crdt.ID, muted bool) error
	// GroupMembers lists a group's members, like Members.
	GroupMembers(community, group crdt.ID) ([]Member, error)
	Reply(ctx context.Context, community, group, replyTo crdt.ID, text string) (crdt.ID, error)
	Edit(ctx context.Context, community, group, msg crdt.ID, text string) error
	Delete(ctx context.Context, community, group, msg crdt.ID) error
	Pin(ctx context.Context, community, group, msg crdt.ID, on bool) error
	React(ctx context.Context, community, group, msg crdt.ID, emoji string, on bool) error
	CreatePoll(ctx context.Context, community, group crdt.ID, question string, options []string, multi bool, closes time.Time) (crdt.ID, error)
	Vote(ctx context.Context, community, group, poll crdt.ID, choices []int) error
	ClosePoll(ctx context.Context, community, group, poll crdt.ID) error
	CreateGroup(ctx context.Context, community crdt.ID, name, description, policy string) (Group, error)
	JoinGroup(ctx context.Context, community, group crdt.ID) error
	LeaveGroup(ctx context.Context, community, group crdt.ID) error
	RemoveMember(ctx context.Context, community crdt.ID, peerID string) error
	// AddToGroup puts a community member into a group (admins);
	// RemoveFromGroup takes one out of it, renewing the group's keys
	// first; GroupCandidates lists the community's members not in the
	// group, each with CanAddToGroup.
	AddToGroup(ctx context.Context, community, group crdt.ID, peerID string) error
	RemoveFromGroup(ctx context.Context, community, group crdt.ID, peerID string) error
	GroupCandidates(community, group crdt.ID) ([]Member, error)
	SetRole(ctx context.Context, community crdt.ID, peerID, role string) error
	Audit(community crdt.ID) ([]AuditEntry, error)
	SetName(ctx context.Context, name string) error
	// SetPhoto sets the local member's profile photo in every community it
	// is in: a JPEG or PNG that crdt.CheckImage accepts (act.PreparePicture
	// makes one from any photo), or nil to remove it.
	SetPhoto(ctx context.Context, image []byte) error
	// SetIcon sets community's icon (admins), a picture as for SetPhoto,
	// or removes it with nil.
	SetIcon(ctx context.Context, community crdt.ID, image []byte) error
	// OrderGroups sets the order of community's groups for every member
	// (admins): groups lists group ids first to last; groups it leaves out
	// follow by name, and the announcement group always comes first.
	OrderGroups(ctx context.Context, community crdt.ID, groups []crdt.ID) error
	// OpenPrivate returns the private conversation of the local member
	// with the members given by peer id (at most 31, the local member not
	// among them): the open one they already share if there is one (the
	// lowest id if several were started at once), else a new one. It fails
	// with ErrPrivateRestricted when the settings forbid it, with
	// ErrUnknownMember for a peer that is not a member, and with
	// ErrPrivateSelf when the local member is among them.
	OpenPrivate(ctx context.Context, community crdt.ID, members []string) (crdt.ID, error)
	// Privates lists the local member's private conversations in a
	// community, newest message first.
	Privates(community crdt.ID) ([]Private, error)
	// SendFile shares the file at path (at most 2 GiB) in a group, with
	// caption as its text, once it is stored here to serve.
	SendFile(ctx context.Context, community, group crdt.ID, path, caption string) (SentFile, error)
	// SendFileWithProgress is SendFile, calling progress (may be nil) as
	// the file is encrypted and hashed into the local store: Have of Size
	// clear bytes, one call at a time; the message is posted after the
	// last.
	SendFileWithProgress(ctx context.Context, community, group crdt.ID, path, caption string, progress func(FileProgress)) (SentFile, error)
	// GetFile downloads the file a message shares from the members online
	// who hold it, verifies it and writes it to out; progress (may be nil)
	// is called as chunks arrive. Interrupted, a second call resumes.
	GetFile(ctx context.Context, community, group, message crdt.ID, out string, progress func(FileProgress)) (GotFile, error)
	// Files lists the files shared in a community (in one group if group
	// is not zero), newest first, with how much of each is here.
	Files(community, group crdt.ID) ([]FileEntry, error)
	// FileStatus is the entry of Files for one file message.
	FileStatus(community, message crdt.ID) (FileEntry, error)
	// DeleteLocalFile frees this node's copy of the file a message shares.
	DeleteLocalFile(ctx context.Context, community, message crdt.ID) error
	// Relays lists the relays registered with community, each as this
	// node sees it: online, its last sync, a refusal.
	Relays(community crdt.ID) ([]RelayState, error)
	// AddRelayAddr registers the relay at addr, its address as `umbrellad
	// relay` prints it (a multiaddr ending in /p2p/ID), with community
	// (admins); a bad address fails with a crdt.ErrInvalid that says why.
	AddRelayAddr(ctx context.Context, community crdt.ID, addr string) error
	// RemoveRelayPeer takes the relay with peer id peerID off community
	// (admins).
	RemoveRelayPeer(ctx context.Context, community crdt.ID, peerID string) error
	// Team: first steps, newcomers' progress and the team tree (team.go).
	Team
	// Contacts lists the people the local member shares at least one
	// community with, by name.
	Contacts() []Contact
	// AddMember adds a contact to community directly, without a link
	// (admins); someone the local member shares no other community with
	// fails with ErrNotContact. Their node learns of it and pulls the
	// community (EventAdded there).
	AddMember(ctx context.Context, community crdt.ID, peerID string) error
	// Subscribe returns a channel of events and a function that ends the
	// subscription. The channel is buffered; when it is full, events are
	// coalesced, never blocking the node.
	Subscribe() (<-chan Event, func())
}
