package keys

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestPrivateConversationKeys: a private conversation's keys are wrapped
// to its participants only, and renewed by its participants, admins or
// not, never by an admin outside it.
func TestPrivateConversationKeys(t *testing.T) {
	owner, ben, cal, dee := crdt.PublicKey{1}, crdt.PublicKey{2}, crdt.PublicKey{3}, crdt.PublicKey{4}
	cid, dm := crdt.ID{9}, crdt.ID{8}
	st := &crdt.State{Community: cid, Members: map[crdt.PublicKey]*crdt.Member{}, Prekeys: map[crdt.PublicKey]*crdt.Prekey{},
		Groups: map[crdt.ID]*crdt.Group{}, Epochs: map[crdt.EpochID]*crdt.Epoch{}, Current: map[crdt.ID]*crdt.Epoch{}}
	for k, r := range map[crdt.PublicKey]crdt.Role{owner: crdt.RoleOwner, ben: crdt.RoleMember, cal: crdt.RoleMember, dee: crdt.RoleMember} {
		st.Members[k] = &crdt.Member{Key: k, Role: r}
		st.Prekeys[k] = &crdt.Prekey{Key: make([]byte, 32)}
	}
	st.Groups[dm] = &crdt.Group{ID: dm, Policy: crdt.PolicyPrivate, Creator: ben, Participants: []crdt.PublicKey{ben, cal},
		Members: map[crdt.PublicKey]crdt.ID{ben: dm, cal: dm}}
	var got []crdt.PublicKey
	for _, tg := range Targets(st, dm, nil) {
		got = append(got, tg.Member)
	}
	if len(got) != 2 || got[0] != ben || got[1] != cal {
		t.Fatalf("wrapped to %v, want the two participants", got)
	}
	e := &crdt.Epoch{ID: crdt.EpochID{1}, Log: dm}
	st.Current[dm] = e
	if AdminTurn(st, dm, e, owner) >= 0 {
		t.Fatal("the owner, outside the conversation, takes a turn at its keys")
	}
	turns := map[int]bool{}
	for _, k := range []crdt.PublicKey{ben, cal} {
		n := AdminTurn(st, dm, e, k)
		if n < 0 || turns[n] {
			t.Fatalf("participant %x: turn %d", k[:1], n)
		}
		turns[n] = true
	}
}
