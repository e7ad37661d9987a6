package crdt

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/internal/cborshape"
)

// bodyTypes names the body type of every kind.
var bodyTypes = map[Kind]any{
	KindGenesis: GenesisBody{}, KindInvite: InviteBody{}, KindJoin: JoinBody{}, KindProfile: ProfileBody{},
	KindGroupCreate: GroupCreateBody{}, KindSettings: SettingsBody{}, KindDeactivate: DeactivateBody{},
	KindDecide: DecideBody{}, KindAdd: AddBody{}, KindRemove: RemoveBody{}, KindLeave: LeaveBody{},
	KindRole: RoleBody{}, KindInviteRevoke: InviteRevokeBody{}, KindGroupUpdate: GroupUpdateBody{},
	KindGroupJoin: GroupJoinBody{}, KindGroupLeave: GroupLeaveBody{}, KindGroupDecide: GroupDecideBody{},
	KindPrekey: PrekeyBody{}, KindRekey: RekeyBody{}, KindMessage: MessageBody{}, KindEdit: EditBody{},
	KindDelete: DeleteBody{}, KindReaction: ReactionBody{}, KindPoll: PollBody{}, KindVote: VoteBody{},
	KindPollClose: PollCloseBody{}, KindPin: PinBody{}, KindGroupOrder: GroupOrderBody{},
	KindRelay: RelayBody{},
	KindPhoto: PhotoBody{}, KindIcon: IconBody{},
	KindInviteKeys:   InviteKeysBody{},
	KindTeamSettings: TeamSettingsBody{}, KindGroupQA: GroupQABody{}, KindWin: WinBody{}, KindPromo: PromoBody{},
	KindPromoEdit: PromoEditBody{}, KindEvent: EventBody{}, KindEventEdit: EventEditBody{}, KindRSVP: RSVPBody{},
	KindAnswer: AnswerBody{}, KindCollect: CollectBody{},
	KindCall:     CallBody{},
	KindGroupAdd: GroupAddBody{}, KindGroupRemove: GroupRemoveBody{},
	KindSteps: StepsBody{}, KindProgress: ProgressBody{}, KindStep: StepBody{},
}

// arrayCaps names the protocol's bound on every array field of an op, a
// body or invite details, as "Type.Field".
var arrayCaps = map[string]int{
	"wireOp.Parents": MaxParents, "wireOp.Deps": MaxDeps,
	"InviteBody.Addrs": MaxAddrs, "InviteBody.Relays": MaxAddrs,
	"InviteDetails.Addrs": MaxAddrs, "InviteDetails.Relays": MaxAddrs,
	"MessageBody.Mentions": MaxMentions, "PollBody.Options": MaxOptions,
	"RemoveBody.Seen": MaxSeenHeads, "RoleBody.Seen": MaxSeenHeads, "SeenLog.Heads": MaxParents,
	"RekeyBody.Wraps": MaxWraps, "GroupOrderBody.Groups": MaxGroups,
	"GroupCreateBody.Participants": MaxPrivateOthers,
	"RelayBody.Addrs":              MaxAddrs,
	"InviteKeysBody.Keys":          MaxWraps,
	"GroupRemoveBody.Seen":         MaxGroupSeen,
	"StepsBody.Steps":              MaxSteps,
	"CallBody.Joined":              MaxCallParticipants,
}

// TestDecodeLimitsFollowTheProtocol: the strict decoder of ops and bodies
// allows exactly the deepest nesting, the largest map and the longest
// array that an op, a body or invite details may have (raised to the
// library's floor), and every array field has a declared bound.
func TestDecodeLimitsFollowTheProtocol(t *testing.T) {
	for k := range kindNames {
		if bodyTypes[k] == nil {
			t.Errorf("kind %s has no body type in bodyTypes", k)
		}
	}
	s := cborshape.Of(append([]any{wireOp{}, SealedBody{}, InviteDetails{}}, mapValues(bodyTypes)...)...)
	longest := 0
	for _, a := range s.Arrays {
		n, ok := arrayCaps[a]
		if !ok {
			t.Errorf("array field %s has no bound in arrayCaps", a)
		}
		longest = max(longest, n)
	}
	want := DecodeLimits{max(MinDecodeNested, s.Depth), max(MinDecodeArray, longest), max(MinDecodeMap, s.MaxMap)}
	if got := decoder.Limits(); got != want {
		t.Fatalf("decoder limits %+v, want %+v (nesting %d, largest map %d, longest array %d)", got, want, s.Depth, s.MaxMap, longest)
	}
}

func mapValues(m map[Kind]any) []any {
	var out []any
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func repeatID(n int, seed byte) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{seed}, 32)
		out[i][30], out[i][31] = byte(i>>8), byte(i)
	}
	return out
}

func letters(n int, prefix string) string {
	return (prefix + strings.Repeat("x", n))[:n]
}

// largest returns, for every bound a body has, its largest allowed form
// and a form one over the bound.
func largest() map[string]struct {
	kind      Kind
	max, over interface{ check() error }
} {
	key := bytes.Repeat([]byte{7}, 32)
	addrs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = letters(MaxAddrLen, fmt.Sprintf("/dns4/relay%02d.example/tcp/4001/", i))
		}
		return out
	}
	seen := func(heads int) []SeenLog {
		var out []SeenLog
		for g := 0; heads > 0; g++ {
			n := min(heads, MaxParents)
			out = append(out, SeenLog{Group: repeatID(g+1, 9)[g], Heads: repeatID(n, byte(g))})
			heads -= n
		}
		return out
	}
	wraps := func(n int) []Wrap {
		out := make([]Wrap, n)
		for i, m := range repeatID(n, 3) {
			out[i] = Wrap{Member: m, KEM: KEMX25519, Prekey: make([]byte, 8), Secret: []byte{1}}
		}
		return out
	}
	options := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = letters(MaxOptionLen, fmt.Sprintf("option %d ", i))
		}
		return out
	}
	check := bytes.Repeat([]byte{5}, 32)
	epoch := make([]byte, EpochIDSize)
	type pair = struct {
		kind      Kind
		max, over interface{ check() error }
	}
	return map[string]pair{
		"genesis": {KindGenesis,
			&GenesisBody{Name: letters(MaxNameLen, "Glow"), Description: letters(MaxDescLen, "d"), Time: 1},
			&GenesisBody{Name: letters(MaxNameLen, "Glow"), Description: letters(MaxDescLen+1, "d"), Time: 1}},
		"invite addresses": {KindInvite,
			&InviteBody{Key: key, Role: RoleMember, Expires: 1 << 40, MaxUses: 1 << 31, Addrs: addrs(MaxAddrs), Relays: addrs(MaxAddrs), Name: letters(MaxNameLen, "Glow"), Time: 1},
			&InviteBody{Key: key, Role: RoleMember, Addrs: addrs(MaxAddrs + 1), Name: "Glow"}},
		"invite details": {KindInvite,
			&InviteBody{Key: key, Role: RoleMember, Expires: 1 << 40, MaxUses: 1 << 31, Details: make([]byte, MaxDetailsSize), Time: 1},
			&InviteBody{Key: key, Role: RoleMember, Details: make([]byte, MaxDetailsSize+1)}},
		"message": {KindMessage,
			&MessageBody{Text: strings.Repeat("é", MaxTextLen/2), Time: 1, ReplyTo: key, Mentions: repeatID(MaxMentions, 1)},
			&MessageBody{Text: "hi", Time: 1, Mentions: repeatID(MaxMentions+1, 1)}},
		"private conversation": {KindGroupCreate,
			&GroupCreateBody{Name: letters(MaxNameLen, "G"), Description: letters(MaxDescLen, "d"), Policy: PolicyPrivate, Time: 1, Participants: repeatID(MaxPrivateOthers, 1)},
			&GroupCreateBody{Policy: PolicyPrivate, Time: 1, Participants: repeatID(MaxPrivateOthers+1, 1)}},
		"file message": {KindMessage,
			&MessageBody{Text: strings.Repeat("é", MaxTextLen/2), Time: 1, ReplyTo: key, Mentions: repeatID(MaxMentions, 1),
				File: &FileRef{Name: strings.Repeat("é", MaxFileNameLen/2), Size: MaxFileSize, Mime: "application/" + strings.Repeat("x", MaxMimeLen-12), Root: key, Key: key, Thumb: bytes.Repeat([]byte{0xff}, MaxThumbSize)}},
			&MessageBody{Time: 1, File: &FileRef{Name: "a.pdf", Size: MaxFileSize, Root: key, Key: key, Thumb: bytes.Repeat([]byte{0xff}, MaxThumbSize+1)}}},
		"poll": {KindPoll,
			&PollBody{Question: letters(MaxDescLen, "q"), Options: options(MaxOptions), Multi: true, Closes: 1 << 40, Time: 1},
			&PollBody{Question: "q", Options: options(MaxOptions + 1), Time: 1}},
		"vote": {KindVote,
			&VoteBody{Poll: key, Choices: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Time: 1},
			&VoteBody{Poll: key, Choices: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Time: 1}},
		"remove": {KindRemove,
			&RemoveBody{Member: key, Seen: seen(MaxSeenHeads), Time: 1},
			&RemoveBody{Member: key, Seen: seen(MaxSeenHeads + 1), Time: 1}},
		"role": {KindRole,
			&RoleBody{Member: key, Role: RoleAdmin, Seen: seen(MaxSeenHeads), Time: 1},
			&RoleBody{Member: key, Role: RoleAdmin, Seen: seen(MaxSeenHeads + 1), Time: 1}},
		"rekey": {KindRekey,
			&RekeyBody{Log: key, Epoch: epoch, Part: MaxRekeyParts, Parts: MaxRekeyParts, Wraps: wraps(MaxWraps), Reason: RekeyManual, Time: 1, Check: check},
			&RekeyBody{Log: key, Epoch: epoch, Part: 1, Parts: 1, Wraps: wraps(MaxWraps + 1), Check: check}},
		"rekey wrap": {KindRekey,
			&RekeyBody{Epoch: epoch, Part: 1, Parts: 1, Wraps: []Wrap{{Member: key, KEM: KEMMLKEM768X25519, Prekey: make([]byte, 8), Secret: make([]byte, MaxWrapSize)}}, Check: check},
			&RekeyBody{Epoch: epoch, Part: 1, Parts: 1, Wraps: []Wrap{{Member: key, KEM: KEMMLKEM768X25519, Prekey: make([]byte, 8), Secret: make([]byte, MaxWrapSize+1)}}, Check: check}},
		"invite keys": {KindInviteKeys,
			&InviteKeysBody{Invite: key, KEM: KEMX25519, Key: key, Keys: []InviteKey{{Log: key, Epoch: epoch, Secret: make([]byte, MaxWrapSize)}}, Time: 1},
			&InviteKeysBody{Invite: key, KEM: KEMX25519, Key: key, Keys: []InviteKey{{Log: key, Epoch: epoch, Secret: make([]byte, MaxWrapSize+1)}}, Time: 1}},
		"prekey": {KindPrekey,
			&PrekeyBody{KEM: KEMMLKEM768X25519, Key: make([]byte, kemKeySize[KEMMLKEM768X25519]), Time: 1},
			&PrekeyBody{KEM: KEMMLKEM768X25519, Key: make([]byte, kemKeySize[KEMMLKEM768X25519]+1), Time: 1}},
		"first steps": {KindSteps,
			&StepsBody{Welcome: letters(MaxWelcomeLen, "Welcome {name}"), Steps: largestSteps(MaxSteps), Time: 1},
			&StepsBody{Welcome: "hi", Steps: largestSteps(MaxSteps + 1), Time: 1}},
		"reaction": {KindReaction,
			&ReactionBody{Target: key, Emoji: longestEmoji, On: true, Time: 1},
			&ReactionBody{Target: key, Emoji: longestEmoji + "\ufe0f", On: true, Time: 1}},
		// The team cards (wins.go, promo.go, events.go, qa.go, collect.go).
		"win": {KindWin,
			&WinBody{Member: key, Badge: BadgeFirstSale, Text: strings.Repeat("é", MaxCardTextLen/2), Time: 1},
			&WinBody{Member: key, Badge: BadgeFirstSale, Text: letters(MaxCardTextLen+1, "w"), Time: 1}},
		"promo": {KindPromo,
			&PromoBody{Title: letters(MaxTitleLen, "t"), Text: letters(MaxCardTextLen, "p"), Starts: 1, Ends: 1 + MaxPromoSpan, Code: letters(MaxCodeLen, "c"), Time: 1,
				File: &FileRef{Name: strings.Repeat("é", MaxFileNameLen/2), Size: MaxFileSize, Mime: "image/jpeg", Root: key, Key: key, Thumb: bytes.Repeat([]byte{0xff}, MaxThumbSize)}},
			&PromoBody{Title: letters(MaxTitleLen, "t"), Starts: 1, Ends: 2 + MaxPromoSpan, Time: 1}},
		"promo code": {KindPromoEdit,
			&PromoEditBody{Target: key, Title: letters(MaxTitleLen, "t"), Text: letters(MaxCardTextLen, "p"), Starts: 1, Ends: 2, Code: letters(MaxCodeLen, "c"), Time: 1},
			&PromoEditBody{Target: key, Title: letters(MaxTitleLen, "t"), Starts: 1, Ends: 2, Code: letters(MaxCodeLen+1, "c"), Time: 1}},
		"promo edit file": {KindPromoEdit,
			&PromoEditBody{Target: key, Title: "t", Starts: 1, Ends: 2, Time: 1,
				File: &FileRef{Name: strings.Repeat("é", MaxFileNameLen/2), Size: MaxFileSize, Mime: "image/png", Root: key, Key: key, Thumb: bytes.Repeat([]byte{0xff}, MaxThumbSize)}},
			&PromoEditBody{Target: key, Title: "t", Starts: 1, Ends: 2, Time: 1,
				File: &FileRef{Name: "a.png", Size: MaxFileSize, Root: key, Key: key, Thumb: bytes.Repeat([]byte{0xff}, MaxThumbSize+1)}}},
		"event": {KindEvent,
			&EventBody{Title: letters(MaxTitleLen, "t"), Starts: 1, Duration: MaxEventDuration, Where: letters(MaxWhereLen, "w"), Text: letters(MaxCardTextLen, "e"), Time: 1},
			&EventBody{Title: letters(MaxTitleLen, "t"), Starts: 1, Duration: MaxEventDuration + 1, Time: 1}},
		"event title": {KindEventEdit,
			&EventEditBody{Target: key, Title: letters(MaxTitleLen, "t"), Starts: 1, Duration: 1, Where: letters(MaxWhereLen, "w"), Text: letters(MaxCardTextLen, "e"), Time: 1},
			&EventEditBody{Target: key, Title: letters(MaxTitleLen+1, "t"), Starts: 1, Time: 1}},
		"event end": {KindEvent,
			&EventBody{Title: "t", Starts: MaxCardTime - MaxEventDuration - 1, Duration: MaxEventDuration, Time: 1},
			&EventBody{Title: "t", Starts: MaxCardTime - MaxEventDuration, Duration: MaxEventDuration, Time: 1}},
		"promo end": {KindPromoEdit,
			&PromoEditBody{Target: key, Title: "t", Starts: MaxCardTime - 2, Ends: MaxCardTime - 1, Time: 1},
			&PromoEditBody{Target: key, Title: "t", Starts: MaxCardTime - 2, Ends: MaxCardTime, Time: 1}},
		"rsvp": {KindRSVP,
			&RSVPBody{Event: key, Answer: RSVPNo, Time: 1},
			&RSVPBody{Event: key, Answer: RSVPNo + 1, Time: 1}},
		"answer": {KindAnswer,
			&AnswerBody{Question: key, Answer: key, Time: 1},
			&AnswerBody{Question: key, Answer: append(key, 1), Time: 1}},
		"collect": {KindCollect,
			&CollectBody{Target: key, Collection: letters(MaxNameLen, "Tips"), On: true, Time: 1},
			&CollectBody{Target: key, Collection: letters(MaxNameLen+1, "Tips"), On: true, Time: 1}},
		"call": {KindCall,
			&CallBody{Action: CallEnd, Target: key, Duration: MaxCallDuration, Joined: repeatID(MaxCallParticipants, 1), Time: 1},
			&CallBody{Action: CallEnd, Target: key, Duration: MaxCallDuration + 1, Time: 1}},
		"group.qa": {KindGroupQA,
			&GroupQABody{Group: key, On: true, Time: 1},
			&GroupQABody{Group: key[:31], On: true, Time: 1}},
	}
}

// TestLargestBodiesRoundTrip: the largest form of every body the protocol
// allows encodes within MaxBodySize, signs into an op (with the most
// parents and deps) within MaxOpSize, and decodes back equal; one over any
// bound is refused when encoding and when decoding.
func TestLargestBodiesRoundTrip(t *testing.T) {
	k := newKey(8)
	for name, tc := range largest() {
		t.Run(name, func(t *testing.T) {
			raw, err := EncodeBody(tc.max)
			if err != nil {
				t.Fatalf("encode the largest body: %v", err)
			}
			if len(raw) > MaxBodySize {
				t.Fatalf("the largest body is %d bytes, over MaxBodySize %d", len(raw), MaxBodySize)
			}
			o := Op{Community: ID{1}, Kind: tc.kind, Parents: manyIDs(MaxParents), Height: 2, Body: raw}
			switch {
			case tc.kind == KindGenesis:
				o = Op{Kind: KindGenesis, Height: 1, Body: raw}
			case tc.kind.IsContent():
				o.Log, o.Deps = ID{2}, manyIDs(MaxDeps)
			}
			op := mustSign(t, o, k)
			if len(op.Bytes()) > MaxOpSize {
				t.Fatalf("op is %d bytes, over MaxOpSize %d", len(op.Bytes()), MaxOpSize)
			}
			back, err := DecodeOp(op.Bytes())
			if err != nil {
				t.Fatalf("decode the op: %v", err)
			}
			body, err := DecodeBody(back)
			if err != nil {
				t.Fatalf("decode the body: %v", err)
			}
			if !reflect.DeepEqual(body, tc.max) {
				t.Fatalf("body changed in the round trip")
			}

			if _, err := EncodeBody(tc.over); !errors.Is(err, ErrInvalid) {
				t.Fatalf("encode a body over its bound: %v, want ErrInvalid", err)
			}
			over, err := Marshal(tc.over)
			if err != nil {
				t.Fatal(err)
			}
			o.Body = over
			if op, err := Sign(o, k); err == nil {
				if _, err := DecodeBody(op); !errors.Is(err, ErrMalformed) {
					t.Fatalf("decode a body over its bound: %v, want ErrMalformed", err)
				}
			}
		})
	}
}

// TestLargestOpRoundTrips: an op with the most parents and deps and the
// largest body fits MaxOpSize and decodes; a byte more body does not sign.
func TestLargestOpRoundTrips(t *testing.T) {
	k := newKey(8)
	o := Op{Community: ID{1}, Log: ID{2}, Kind: KindMessage, Parents: manyIDs(MaxParents), Deps: manyIDs(MaxDeps), Height: 1 << 62, Body: bytes.Repeat([]byte{0xff}, MaxBodySize)}
	op := mustSign(t, o, k)
	back, err := DecodeOp(op.Bytes())
	if err != nil || back.ID() != op.ID() || !bytes.Equal(back.Body, o.Body) {
		t.Fatalf("the largest op (%d bytes) does not round-trip: %v", len(op.Bytes()), err)
	}
	o.Body = append(o.Body, 0)
	if _, err := Sign(o, k); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("sign a body over MaxBodySize: %v, want ErrTooLarge", err)
	}
}

// TestLargestSealedBodyRoundTrips: a sealed body of MaxBodySize bytes
// parses back to what was sealed.
func TestLargestSealedBodyRoundTrips(t *testing.T) {
	epoch := EpochID{1, 2, 3}
	small, err := EncodeSealed(epoch, 1<<32-1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A ciphertext of 256 to 65,535 bytes has a 3-byte length, the empty one 1.
	ct := bytes.Repeat([]byte{9}, MaxBodySize-len(small)-2)
	body, err := EncodeSealed(epoch, 1<<32-1, ct)
	if err != nil || len(body) != MaxBodySize {
		t.Fatalf("sealed body of %d bytes, want %d: %v", len(body), MaxBodySize, err)
	}
	op := mustSign(t, Op{Community: ID{1}, Log: ID{2}, Kind: KindMessage, Parents: manyIDs(MaxParents), Deps: manyIDs(MaxDeps), Height: 2, Body: body}, newKey(8))
	back, err := DecodeOp(op.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSealed(back)
	if err != nil || s.EpochOf() != epoch || s.Index != 1<<32-1 || !bytes.Equal(s.Ciphertext, ct) {
		t.Fatalf("sealed body does not round-trip: %v", err)
	}
}

// TestLargestInviteFitsALink: a link carrying the largest invite op the
// protocol allows stays within identity.MaxLinkLen and parses back.
func TestLargestInviteFitsALink(t *testing.T) {
	k := newKey(8)
	for _, name := range []string{"invite addresses", "invite details"} {
		raw, err := EncodeBody(largest()[name].max)
		if err != nil {
			t.Fatal(err)
		}
		op := mustSign(t, Op{Community: ID{1}, Kind: KindInvite, Parents: manyIDs(MaxParents), Height: 2, Body: raw}, k)
		link := identity.InviteLink{Capability: op.Bytes(), Secret: bytes.Repeat([]byte{1}, 32)}.String()
		if len(link) > identity.MaxLinkLen {
			t.Fatalf("%s: a link to the largest invite is %d characters, over identity.MaxLinkLen %d", name, len(link), identity.MaxLinkLen)
		}
		back, err := identity.ParseInviteLink(link)
		if err != nil || !bytes.Equal(back.Capability, op.Bytes()) {
			t.Fatalf("%s: link does not parse back: %v", name, err)
		}
	}
}

// FuzzParseSealed: any body either does not parse as sealed or parses to
// a value whose encoding is exactly that body.
func FuzzParseSealed(f *testing.F) {
	good, _ := EncodeSealed(EpochID{1}, 7, []byte("ciphertext"))
	f.Add(good)
	f.Add([]byte{0x83, 0x50})
	f.Add([]byte{0x83, 0x40, 0x00, 0x40})
	f.Add([]byte{0xa1, 0x01, 0x61, 0x41})
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseSealed(&Op{Kind: KindMessage, Body: body})
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := EncodeSealed(s.EpochOf(), s.Index, s.Ciphertext)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("accepted sealed body does not encode back to itself: %v", err)
		}
	})
}

// FuzzInviteDetails: invite details (what a link's secret opens) either
// fail to decode or check, or are canonical and check again after a round
// trip.
func FuzzInviteDetails(f *testing.F) {
	for _, d := range []InviteDetails{
		{Name: "Glow Team"},
		{Name: "Glow Team", Addrs: []string{"/ip4/192.0.2.1/tcp/4001/p2p/12D3KooW"}, Relays: []string{"/dns4/relay.example/udp/4001/quic-v1"}},
		{Name: "Glow Team", Inviter: "Olivia Reyes", Description: "Weekly goals\nand wins"},
	} {
		raw, _ := Marshal(&d)
		f.Add(raw)
	}
	f.Add([]byte{0xa1, 0x01, 0x60})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var d InviteDetails
		if err := Unmarshal(raw, &d); err != nil {
			return
		}
		if d.Check() != nil {
			return
		}
		again, err := Marshal(&d)
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("accepted details do not encode back to themselves: %v", err)
		}
		var d2 InviteDetails
		if err := Unmarshal(again, &d2); err != nil || d2.Check() != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("details change in a round trip: %v", err)
		}
	})
}

// TestInviteDetailsCheckInviter: the inviter's name and the description
// the details carry are checked as names and descriptions are.
func TestInviteDetailsCheckInviter(t *testing.T) {
	ok := InviteDetails{Name: "Glow Team", Inviter: "Olivia Reyes", Description: "Goals\nand wins"}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []InviteDetails{
		{Name: "Glow Team", Inviter: "Olivia\x1b[31m"},
		{Name: "Glow Team", Inviter: " Olivia"},
		{Name: "Glow Team", Inviter: strings.Repeat("o", MaxNameLen+1)},
		{Name: "Glow Team", Description: strings.Repeat("d", MaxDescLen+1)},
		{Name: "Glow Team", Description: "bell\a"},
	} {
		if d.Check() == nil {
			t.Errorf("details %+v checked", d)
		}
	}
}

// largestSteps is a list of n first steps, each as long as allowed, with
// links.
func largestSteps(n int) []StepItem {
	out := make([]StepItem, n)
	for i := range out {
		out[i] = StepItem{ID: []byte{0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)}, Title: letters(MaxStepTitleLen, fmt.Sprintf("Step %d ", i)),
			Text: letters(MaxStepTextLen, "t"), Group: bytes.Repeat([]byte{1}, 32), Message: bytes.Repeat([]byte{2}, 32)}
	}
	return out
}
