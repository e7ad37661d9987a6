package crdt

// Limits of ops and their bodies. They bound what a peer can make a
// replica hold, and the strict decoder's own limits follow from them, so
// nothing the protocol allows is refused by the decoder and nothing much
// larger gets past it (limits_test.go checks both).

// Limits of the op envelope.
const (
	// MaxOpSize bounds an op's whole encoding, in bytes: the largest body
	// with the most parents and deps and a signature fits in it.
	MaxOpSize = 64 << 10
	// MaxBodySize bounds an op's body (sealed or clear), in bytes.
	MaxBodySize = 60 << 10
	// MaxParents bounds an op's parents, and the heads of one log in a
	// removal's or demotion's Seen.
	MaxParents = 16
	// MaxDeps bounds the control heads a content op names.
	MaxDeps = 16
)

// Limits of bodies; lengths of text are in bytes of UTF-8.
const (
	// MaxNameLen bounds a community, group or display name.
	MaxNameLen = 64
	// MaxTextLen bounds a message's text.
	MaxTextLen = 16 << 10
	// MaxAddrs bounds the inviter addresses, and the relay addresses, of
	// an invite.
	MaxAddrs = 16
	// MaxAddrLen bounds one multiaddr in its text form.
	MaxAddrLen = 256
	// MaxDescLen bounds a description and a poll's question.
	MaxDescLen = 1024
	// MaxMentions bounds the members one message mentions.
	MaxMentions = 32
	// MaxEmojiLen bounds one reaction's emoji (emoji.go): the longest
	// emoji Unicode 15 recommends, a kiss with two skin tones, is 63.
	MaxEmojiLen = 64
	// MaxOptions bounds a poll's options, and so a vote's choices.
	MaxOptions = 12
	// MinOptions is the fewest options a poll has.
	MinOptions = 2
	// MaxOptionLen bounds one poll option.
	MaxOptionLen = 200
	// MaxGroups bounds the groups of a community, the announcement group
	// included.
	MaxGroups = 200
	// MaxSeenHeads bounds the heads, over all groups, that one removal or
	// demotion records as seen; every group it names has at least one, so
	// it also bounds the groups it names.
	MaxSeenHeads = 1024
	// MaxGroupSeen bounds the groups a group removal records as seen: its
	// own group only.
	MaxGroupSeen = 1
	// MaxPrivateOthers bounds the participants a private conversation's
	// creator names besides itself: a private conversation holds at most
	// 32 people.
	MaxPrivateOthers = 31
	// MaxPrivates bounds the private conversations of a community. They
	// do not count towards MaxGroups, which bounds the groups everyone
	// sees in the community's home.
	MaxPrivates = 20000
	// MaxPins bounds the pinned messages of one group.
	MaxPins = 3
	// MaxRelays bounds the relays registered with one community at once.
	MaxRelays = 8
	// MaxDetailsSize bounds an invite's sealed details, in bytes.
	MaxDetailsSize = 8 << 10
	// MaxFileSize bounds a shared file's clear size: 2 GiB.
	MaxFileSize = 2 << 30
	// MaxFileNameLen bounds a shared file's name.
	MaxFileNameLen = 255
	// MaxMimeLen bounds a shared file's media type.
	MaxMimeLen = 127
	// MaxThumbSize bounds a shared file's thumbnail: with the longest
	// text it keeps a message body well under MaxBodySize once sealed.
	MaxThumbSize = 16 << 10
	// MaxImageSize bounds a profile photo or community icon (image.go),
	// in bytes: a 160-pixel square JPEG the app makes takes 5 to 12 KiB.
	// Every member's photo is held in the control state, so this bounds
	// what 5,000 members' photos cost each node (at most 80 MiB).
	MaxImageSize = 16 << 10
	// MaxImageSide bounds a photo's or icon's width and height, in
	// pixels, checked in its header before any pixel is decoded.
	MaxImageSide = 512
	// MaxSteps bounds the community's first steps (steps.go).
	MaxSteps = 20
	// MaxStepTitleLen bounds one first step's title, MaxStepTextLen its
	// text, and MaxWelcomeLen the welcome text.
	MaxStepTitleLen = 100
	MaxStepTextLen  = 500
	MaxWelcomeLen   = 1024
)

// Limits of the team cards: wins, promotions, events, Q&A and
// collections (wins.go, promo.go, events.go, qa.go, collect.go).
const (
	// MaxTitleLen bounds a promotion's or an event's title.
	MaxTitleLen = 120
	// MaxCardTextLen bounds the text of a win, a promotion or an event.
	MaxCardTextLen = 4096
	// MaxCodeLen bounds a promotion's code.
	MaxCodeLen = 64
	// MaxWhereLen bounds where an event takes place: an address or a link.
	MaxWhereLen = 512
	// MaxPromoSpan bounds how long a promotion runs, in milliseconds: a year.
	MaxPromoSpan = 366 * 24 * 3600 * 1000
	// MaxEventDuration bounds an event's duration, in milliseconds: a week.
	MaxEventDuration = 7 * 24 * 3600 * 1000
	// MaxCardTime bounds the times of events and promotions, in unix
	// milliseconds: before 2200-01-01 UTC. A year of five digits makes
	// calendar files no calendar reads.
	MaxCardTime = 7258118400000
	// MaxCollections bounds the collections one post is saved in.
	MaxCollections = 16
)

// Limits of the call record (call.go).
const (
	// MaxCallParticipants bounds who takes part in one call, and so the
	// participants its end names.
	MaxCallParticipants = 32
	// MaxCallDuration bounds a call's recorded duration, in milliseconds:
	// a day.
	MaxCallDuration = 24 * 3600 * 1000
)

// Limits of key management.
const (
	// MaxRekeyParts bounds how many ops one rotation spans.
	MaxRekeyParts = 1024
	// MaxWraps bounds the wraps of one rekey part. A wrap to an X25519
	// prekey takes about 150 bytes, so an honest part, held under
	// MaxBodySize, carries about 400; the bound is what the decoder has
	// always allowed.
	MaxWraps = 1024
	// MaxWrapSize bounds one wrapped secret (an HPKE encapsulation and
	// ciphertext: 80 bytes with X25519, about 1,170 with the hybrid KEM).
	MaxWrapSize = 4096
)

// Limits of what a resolution keeps to extend itself (incremental.go).
const (
	// ResolveCheckpointEvery is how many replayed control ops apart the
	// resolution's checkpoints are.
	ResolveCheckpointEvery = 256
	// ResolveCheckpoints bounds how many checkpoints one resolution keeps,
	// the latest ones: a checkpoint holds a copy of the control state.
	ResolveCheckpoints = 8
)

// decodeLimits are the strict decoder's limits, from the shapes above:
//   - nesting: a RemoveBody or RoleBody map holds the Seen array of SeenLog
//     maps, each holding an array of heads: 4 levels;
//   - arrays: the longest any op or body may hold;
//   - maps: the envelope's 10 keys, more than any body's (the library's
//     floor of 16 is above both).
var decodeLimits = DecodeLimits{
	MaxNested: 4,
	MaxArray:  max(MaxParents, MaxDeps, MaxAddrs, MaxMentions, MaxPrivateOthers, MaxOptions, MaxSeenHeads, MaxWraps, MaxGroups, MaxSteps),
	MaxMap:    10,
}
