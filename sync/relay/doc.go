// Package relay is the store-and-forward policy of a relay node (`umbrellad
// relay`): a blind, always-on replica that keeps the op logs of the
// communities that registered it, exactly as members hold them — clear
// envelopes and sealed bodies, nothing decrypted, no keys — and serves
// them to members over the same reconcile and fetch protocols members use
// with each other (package sync/p2p's handlers, with a Relay behind the
// SyncResponder and ReconcileResponder interfaces).
//
// It must never decrypt, hold a key, or store anything for a community no
// admin registered it with; and a peer it cannot tell is a member must not
// be able to make it store or serve more than a small bounded amount.
//
// # What a blind relay can check
//
// A relay reads envelopes (community, log, author, parents, height, deps,
// signature) and the bodies of the clear kinds: genesis's author, invite,
// join, prekey, rekey and relay ops. Roles, additions, removals, groups
// and everything members write are sealed. From what it sees it checks,
// before it stores an op:
//
//  1. Signature and encoding: the op decodes strictly (crdt.DecodeOp,
//     which refuses anything over crdt.MaxOpSize) and its author signed it.
//  2. Routing: it belongs to the community it was offered for.
//  3. Hash links: every parent is held, in the same log, and the height is
//     one more than the highest parent's (one for an op without parents);
//     a content op's deps are held control ops. So what it stores is
//     always a closed, linked history that members can replay.
//  4. Registration: the community's control log, from its genesis, holds
//     a relay op naming this relay's key, by an author it knows (rule 5),
//     and no later one (by height, then id) that counts removes it (on an
//     open relay only the genesis's author and the registrant can; see
//     "Who may take a relay off" below). A relay cannot
//     read roles, so it cannot tell an admin from a member here; members
//     judge the op strictly (crdt: admins only), so a registration by a
//     plain member never makes members dial the relay, and all it opens
//     is this relay's store, to ops a member signs, within the quota.
//     A relay taken off a community drops the content it holds (at once,
//     Relay.DropUnregistered, run by the Puller; dropped ops keep their
//     place as retention's do, see below) and takes no more content, but
//     keeps its control log and keeps taking it (offline members learn
//     their removal from it, and an admin may register it again, after
//     which new content links to the dropped ops). With Config.Allow
//     set, only a relay op authored by one of the allowed admins registers
//     (or unregisters) the relay; see "Who may register" below.
//  5. Authorship: the author is known to have been a member. Known are the
//     genesis author (the first owner); a joiner whose join proof verifies
//     under an invite key published, in a clear invite op, by a known
//     author; and every member a clear rekey op by a known author wraps
//     an epoch secret to (rotations wrap to every reader, and an admin's
//     add shares the existing epochs with a clear rekey op of reason
//     share). A member that an admin added directly (member.add is
//     sealed) is therefore known from the add's share on (and nudged
//     about the community when it connects, see "Nudging newcomers"
//     below); when the admin
//     held no prekey of it, it becomes known at the first rotation that
//     wraps to it, its ops are refused until then and members offer them
//     again on every sync. The relay never forgets a known author (it
//     sees that a removal happened and by whom, not whom it removes): "is
//     or was a member". What a
//     removed member can still make it store is bounded by the quota and
//     is never accepted by members (they judge every op they fetch).
//  6. Quota: the bytes of stored op encodings, in all (Config.Quota) and
//     per community (Config.CommunityShare). An op over either is refused
//     with ErrQuota and a reason saying which (a probe whose control log
//     alone is over the share says so, and, when the part that fits does
//     not register the relay, that the relay holds nothing of the
//     community); a nudge for a community at
//     its share is answered with that reason, so the member knows its
//     pushes are not being kept. An op once stored is never dropped to
//     make room (only retention drops ops, by age; see below).
//
// A store write that fails (a full disk) keeps nothing of its batch: the
// ops are forgotten in memory too and refused with ErrStore and the
// store's reason, the relay goes on serving what it holds, and the
// member's nudge is answered with that reason; the member offers the ops
// again on its next sync, and they are taken once the disk has room.
//
// A community the relay does not keep yet is taken in one probe: its
// control log from the genesis, at most MaxProbeOps ops and
// MaxProbeBytes bytes, checked as above in memory; only if the probe
// holds a registration of this relay is it stored, otherwise it is
// dropped whole. So a non-member can make the relay hold at most one
// probe in memory for the length of one pull, and store nothing.
//
// # Memory
//
// The relay keeps nothing in memory per op it holds, only per community
// (counts of ops and bytes, the authors it knows, its invites and
// registration) and a bounded cache of where the logs' newest ops are
// (MaxRecent). Everything else it asks its store (OpStore): where a parent or
// dep is, to check links (Locate), and every op's log and height, to build a
// reconciliation set when a member or its own pull reconciles (Index, keys
// only). At start it reads the store's keys once for the counts and decodes
// only the control log's clear ops. So its heap does not grow with the ops
// it holds; a reconciliation costs a scan of the community's keys instead.
//
// # Who may register
//
// Anyone who creates a community is its admin, and a relay's address is in
// every invite link that names it. So an open relay (no Config.Allow, the
// default, `umbrellad relay` without --allow) can be filled by strangers: one
// creates communities, registers the relay in each and pushes up to the
// per-community share in each until the global quota is full, after which
// the relay refuses real communities' pushes and joins ("relay quota
// reached"). An operator who runs a relay for a team should list the team's
// admins (`umbrellad relay --allow PEER_ID`, repeatable; Config.Allow): a
// relay op by anyone else is then ignored, so a stranger's community stays
// unregistered and is refused whole as a probe (reason "not_registered"),
// and a stranger cannot take the relay off a community either. The list is
// the operator's and lives only in the flags: a relay restarted without an
// admin it listed before treats that admin's communities as taken off (it
// drops their content, keeps their control log and takes no more content).
//
// # Who may take a relay off
//
// A blind relay knows only one admin for sure, the genesis's author (the
// first owner); a plain member, a removed one (the relay sees that a
// removal happened and by whom, not whom it removes) and a stranger who
// joined by a leaked invite link all look alike to it, as authors it
// knows. So on an open relay, while a community is registered, a relay
// op naming this relay counts only if its author is the genesis's author
// or the author of the registration in effect (the registrant): only they
// can take the relay off the community (it then drops the content, as in
// rule 4) or register it anew, which makes the new op's author the
// registrant. Anyone else's relay op is stored (members judge it and
// ignore it, crdt: admins only) and changes nothing: a later registration
// by someone else does not replace the genesis author's, and a member's
// removal does not make the relay drop anything. What an open relay can
// still be made to do: while a community is not registered (never, or
// taken off), any author it knows can register it, and then, as the
// registrant, take it off again; and the registrant stays the registrant
// after the community removes it, so a removed admin that registered the
// relay can still take it off, until the genesis's author registers it
// anew. An admin other than the genesis's author who did not register
// the relay cannot take it off an open relay (they remove it from the
// community, and members stop dialling it, but the relay keeps the
// content until the owner or the registrant takes it off, or retention
// drops it). With Config.Allow (`--allow`) none of this applies: only the
// listed admins' relay ops count, the newest wins, and no one else can
// register the relay or take it off.
//
// # Retention
//
// With Config.Retention set (`umbrellad relay --retention 180d`), the
// relay drops the content ops it stored longer ago than that, checked at
// start and every ExpireEvery. It never drops a control op: the control
// log is what an offline member needs to learn of its removal, of key
// rotations and of the relays themselves, and it is small. Age is the
// time the relay stored the op (the envelope carries no clock, and
// authors' clocks are sealed): the store stamps each content op when it
// is written (package sync/store, prune.go).
//
// A dropped op keeps its place. The store keeps its keys (about 200
// bytes, not its encoding), which spell its id, log and height, across
// restarts. So:
//
//   - later ops that name it as a parent still link and are taken;
//   - the relay's own pulls (the members' pushes) reconcile over it as
//     held, so members are never asked to push it again, however often
//     they nudge;
//   - members' reconciliations leave it out (ReconcileSet) and fetches
//     skip it (Serve), so a member is not offered what the relay cannot
//     give.
//
// What members see: a member who was away longer than the retention gets
// from the relay alone the control log and what was written in the
// window; ops whose parents were dropped wait in its bounded pending
// buffer (and expire there) until a member who holds the older history is
// online, from whom it pulls the rest as usual. Nothing is lost from the
// community: every member keeps everything it holds. Without a retention
// (the default) the relay keeps everything it stores.
//
// # Why the relay does not follow gossip topics: members push to it
//
// Members get new ops at once over gossipsub, one topic per log, named
// from the community's topic secret (package sync/gossip, TopicName). A
// relay could follow them only if it were given that secret or the topic
// names, and if members grafted it into their meshes:
//
//   - The secret in a relay op (clear, in the control log) would reach
//     everyone who can fetch the control log; the topic names alone
//     (keyed hashes, not the secret) would not let one derive the
//     secret, but a new group is a new topic, so every group created
//     would need another admin op naming its topic to every relay.
//   - Members graft only members (the peer filter, so a removed member
//     is cut off at once); a relay in the mesh would be a non-member that
//     forwards to members, is forwarded everything of every log (the
//     mesh's degree of duplicates on each op), and must be scored and
//     evicted like a member, though it cannot judge authority.
//
// Instead the writer hands its ops to the relay itself: when a member
// writes, it sends the op to each registered relay it is connected to in
// one request (wire.KindPush, Answerer.push), which the relay checks and
// stores at once, as it checks pulled ops; when the relay lacks what the
// op cites (it missed earlier ops), or does not keep the community yet,
// it falls back to pulling from the sender (the nudge). So a push arrives
// in one round trip, the relay learns no topic secret or name, members'
// meshes stay members-only, and each op reaches a relay once, from its
// author. The cost: an op reaches a relay only from its author (or a
// later pull), not from whoever forwards it; an author that is not
// connected to the relay dials it, and its pull and push on connect and
// on every sync tick carry what it wrote. Ops by others that a member
// holds reach the relay when their authors push, or when any member's
// nudge makes the relay pull (it pulls everything the member holds).
//
// # Nudging newcomers
//
// A member added directly while it was offline learns of the add from a
// nudge (package sync/pull, "Direct adds"). The relay cannot read the add,
// but it knows the member from the add's key share (rule 5), and it sees
// the clear prekey ops, which a node publishes as soon as it holds a
// community: a known author with no prekey in a registered community has
// not arrived there. So when a peer connects (its first connection to the
// relay), the relay nudges it (wire.KindNudge) about each such community,
// at most MaxNewcomerNudges of them, sorted, one request after another
// (Relay.NudgeNewcomer); a peer that arrived, the genesis's author and
// peers it does not know are never nudged. The peer's node heeds the
// nudge only if the relay is registered with some community it holds,
// and then pulls the community from the relay, which serves it as any
// known author. What the relay learns is nothing new (it already knows who
// has a prekey where); what it costs is one small request per such
// community and connection, and none once the peer arrived.
//
// # Operations
//
// Stats returns a snapshot of the store and of counters since the start
// (ops and bytes per community, members served, pushes and pulls, ops
// dropped, refusals by Reason): `umbrellad relay stats` prints it and the
// relay's Prometheus endpoint exports it. This package imports no metrics
// library; the command layer turns the snapshot into series when scraped.
//
// # Serving
//
// The relay answers reconciliations and fetches of a community it keeps
// from known authors only, over every log (it cannot tell groups' readers
// apart; every body is sealed to its readers). It serves no keys, topic
// secrets or peer lists. Anyone else is refused with ErrNotMember.
//
// # Joins
//
// A relay answers the join protocol (Joins, wire's "Joins through a
// relay") so that a newcomer joins while the inviter and every other
// member are offline.
//
// Lookup: a short link carries only the invite's secret; the relay
// answers the lookup of an invite key with the clear invite op it holds
// by a known author in a community registered with it, and "unknown
// invite" for anything else.
//
// Keys: everything the joiner needs to read is sealed, and the relay holds
// no key. So when an admin makes an invite link, its node writes, in the
// control log, clear invite-keys ops (crdt.KindInviteKeys): the epoch
// secrets a newcomer may read — every epoch of the control log, of the
// announcement group and of the groups open to everyone — each wrapped
// (HPKE) to a key derived from the link's secret (e2ee.InviteKey). The
// link holds that secret; the relay, which sees only the public key, does
// not, so it stores and hands the ops without being able to open them.
// Every rotation of those logs wraps its new epoch to every live invite
// (not revoked, lapsed, expired or used up, in the rotating admin's
// state), so a revoked or used-up invite stops getting new epochs; and
// revoking an invite renews those logs' keys at once, so a leaked link
// reads nothing written after its revocation. The first keys op of an
// invite is its maker's and fixes the key; crdt lets only admins write
// them, for an invite that stands. The maker's first keys op also wraps
// the community's gossip topic secret to the same key, so the joiner
// follows the community's topics at once, with no member online to hand
// it over; the relay cannot open it either. In a community that admits by
// approval the keys op says so (Approval) and wraps nothing.
//
// Admission: the relay takes a join when the invite is one it holds by a
// known author, with a keys op by a known author; the join is signed by
// the connecting peer and its proof verifies under the invite's key
// (check's rule 5, so the joiner becomes a known author the relay
// serves); the invite has not expired by the relay's clock; and the
// joins through it that the relay holds are fewer than its use limit. It
// stores the join and answers Relayed with the invite's keys ops (or
// Pending for approval: the request waits in its store until an admin
// pulls it). The joiner opens the keys (and the topic secret) with its
// link's secret, pulls the community from the relay and reads what the
// link gives. A member that
// comes online pulls the join and judges it by crdt's rules, as any join:
// a join through a revoked invite, which the relay cannot see (the
// revocation is sealed), is refused by every member and reads nothing
// written after the revocation; a valid one makes the newcomer a member,
// who then gets later epochs the usual way. A relay never holds a key.
package relay
