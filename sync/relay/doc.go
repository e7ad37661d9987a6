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
//     and no later one (by height, then id) removes it. A relay cannot
//     read roles, so it cannot tell an admin from a member here; members
//     judge the op strictly (crdt: admins only), so a registration by a
//     plain member never makes members dial the relay, and all it opens
//     is this relay's store, to ops a member signs, within the quota.
//     A relay taken off a community keeps what it holds and keeps taking
//     its control log (offline members learn their removal from it, and
//     an admin may register it again), but no more content.
//  5. Authorship: the author is known to have been a member. Known are the
//     genesis author (the first owner); a joiner whose join proof verifies
//     under an invite key published, in a clear invite op, by a known
//     author; and every member a clear rekey op by a known author wraps
//     an epoch secret to (rotations wrap to every reader). A member that
//     an admin added directly (member.add is sealed) becomes known at the
//     first rotation that wraps to it; its ops are refused until then and
//     members offer them again on every sync. The relay never forgets a
//     known author (it cannot see removals): "is or was a member". What a
//     removed member can still make it store is bounded by the quota and
//     is never accepted by members (they judge every op they fetch).
//  6. Quota: the bytes of stored op encodings, in all (Config.Quota) and
//     per community (Config.CommunityShare). An op over either is refused
//     with ErrQuota and a reason saying which; a nudge for a community at
//     its share is answered with that reason, so the member knows its
//     pushes are not being kept. An op once stored is never dropped to
//     make room.
//
// A community the relay does not keep yet is taken in one probe: its
// control log from the genesis, at most MaxProbeOps ops and
// MaxProbeBytes bytes, checked as above in memory; only if the probe
// holds a registration of this relay is it stored, otherwise it is
// dropped whole. So a non-member can make the relay hold at most one
// probe in memory for the length of one pull, and store nothing.
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
// them, for an invite that stands. In a community that admits by approval
// the keys op says so (Approval) and wraps nothing.
//
// Admission: the relay takes a join when the invite is one it holds by a
// known author, with a keys op by a known author; the join is signed by
// the connecting peer and its proof verifies under the invite's key
// (check's rule 5, so the joiner becomes a known author the relay
// serves); the invite has not expired by the relay's clock; and the
// joins through it that the relay holds are fewer than its use limit. It
// stores the join and answers Relayed with the invite's keys ops (or
// Pending for approval: the request waits in its store until an admin
// pulls it). The joiner opens the keys with its link's secret, pulls the
// community from the relay and reads what the link gives. A member that
// comes online pulls the join and judges it by crdt's rules, as any join:
// a join through a revoked invite, which the relay cannot see (the
// revocation is sealed), is refused by every member and reads nothing
// written after the revocation; a valid one makes the newcomer a member,
// who then gets later epochs the usual way. A relay never holds a key.
package relay
