package view

import (
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/view/safety"
)

// onlineSet says who is online.
type onlineSet map[crdt.PublicKey]bool

func (o onlineSet) Online(k crdt.PublicKey) bool { return o[k] }

// fakeSafety numbers each key by its first byte.
type fakeSafety struct{}

func (fakeSafety) List(keys []crdt.PublicKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "safety-" + k.String()[:4]
	}
	return out
}

var _ SafetyNumbers = (*safety.Cache)(nil)

func (w *world) directory(self signer, online onlineSet) *Directory {
	w.tb.Helper()
	d, err := NewDirectory(w.views(self), online, fakeSafety{})
	if err != nil {
		w.tb.Fatal(err)
	}
	return d
}

// TestMembersList: members come owners first, then by name ignoring case,
// each with its name, role, safety number, presence and what the viewer
// may do to it (as crdt says); a group lists only its members.
func TestMembersList(t *testing.T) {
	w := newWorld(t, "Team")
	bob, ann := member(1), member(2)
	w.join(bob, "Bob")
	w.join(ann, "ann")
	d := w.directory(w.owner, onlineSet{ann.Key(): true})
	got, err := d.Members(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Member{
		{PeerID: testNames{}.PeerID(w.owner.Key()), Name: "Olivia", Role: crdt.RoleOwner.String()},
		{PeerID: testNames{}.PeerID(ann.Key()), Name: "ann", Role: crdt.RoleMember.String(), Online: true, CanRemove: true},
		{PeerID: testNames{}.PeerID(bob.Key()), Name: "Bob", Role: crdt.RoleMember.String(), CanRemove: true},
	}
	if len(got) != len(want) {
		t.Fatalf("%d members, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.PeerID != want[i].PeerID || g.Name != want[i].Name || g.Role != want[i].Role || g.Online != want[i].Online || g.CanRemove != want[i].CanRemove {
			t.Errorf("member %d: %+v, want %+v", i, g, want[i])
		}
		if g.SafetyNumber == "" {
			t.Errorf("member %d has no safety number", i)
		}
	}
	if len(got[1].Grantable) == 0 || len(got[0].Grantable) != 0 {
		t.Errorf("grantable roles: owner %v, member %v; want none for the owner and some for a member", got[0].Grantable, got[1].Grantable)
	}
	asBob, err := w.directory(bob, nil).Members(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range asBob {
		if m.CanRemove || len(m.Grantable) > 0 {
			t.Errorf("a member may act on %s: %+v", m.Name, m)
		}
	}

	closed := w.write(w.owner, crdt.ZeroID, crdt.KindGroupCreate, &crdt.GroupCreateBody{Name: "Leads", Policy: crdt.PolicyApproval, Time: w.now()})
	in, err := d.GroupMembers(w.cid, closed)
	if err != nil || len(in) != 1 || in[0].Name != "Olivia" {
		t.Fatalf("members of a new closed group: %+v, %v; want the owner alone", in, err)
	}
	if _, err := d.GroupMembers(w.cid, crdt.ID{9}); !errors.Is(err, api.ErrUnknownGroup) {
		t.Fatalf("unknown group: %v", err)
	}
}

// TestCommunitiesAndDeparture: the community summary and StillMember say
// whether, and how, the local member went.
func TestCommunitiesAndDeparture(t *testing.T) {
	w := newWorld(t, "Team")
	bob, ann := member(1), member(2)
	w.join(bob, "Bob")
	w.join(ann, "Ann")
	if err := w.directory(bob, nil).StillMember(w.cid); err != nil {
		t.Fatalf("a member: %v", err)
	}
	w.write(w.owner, crdt.ZeroID, crdt.KindRemove, &crdt.RemoveBody{Member: []byte(bob.PublicKey()), Time: w.now()})
	w.write(ann, crdt.ZeroID, crdt.KindLeave, &crdt.LeaveBody{Time: w.now()})

	cs := w.directory(bob, nil).Communities()
	if len(cs) != 1 || cs[0].Name != "Team" || !cs[0].Removed || cs[0].RemovedBy != "Olivia" || cs[0].Left {
		t.Fatalf("removed member's summary: %+v", cs)
	}
	if err := w.directory(bob, nil).StillMember(w.cid); !errors.Is(err, api.ErrRemoved) || errors.Is(err, api.ErrLeft) {
		t.Fatalf("removed member: %v", err)
	}
	c, err := w.directory(ann, nil).Community(w.cid)
	if err != nil || !c.Left || c.Removed {
		t.Fatalf("member who left: %+v, %v", c, err)
	}
	if err := w.directory(ann, nil).StillMember(w.cid); !errors.Is(err, api.ErrLeft) {
		t.Fatalf("member who left: %v", err)
	}
	c, err = w.directory(w.owner, nil).Community(w.cid)
	if err != nil || c.Removed || c.Left || c.Members != 1 || c.Role != crdt.RoleOwner.String() {
		t.Fatalf("owner: %+v, %v", c, err)
	}
}

// TestMembersWhileJoining lists members from snapshots, without the
// replica's lock, while members join and post (run it with -race): every
// list is whole, and the last one has everyone.
func TestMembersWhileJoining(t *testing.T) {
	w := newWorld(t, "Team")
	d := w.directory(w.owner, nil)
	const joins = 12
	done := make(chan struct{})
	listed := make(chan error, 1)
	go func() {
		defer close(listed)
		for {
			select {
			case <-done:
				return
			default:
			}
			ms, err := d.Members(w.cid)
			if err == nil && (len(ms) == 0 || ms[0].Role != crdt.RoleOwner.String()) {
				err = errors.New("a list without its owner first")
			}
			if err == nil {
				_, err = d.GroupMembers(w.cid, w.general)
			}
			if err != nil {
				listed <- err
				return
			}
		}
	}()
	for i := range joins {
		w.join(member(i+1), "m")
		w.post(member(i+1), w.general, "hi")
	}
	close(done)
	if err := <-listed; err != nil {
		t.Fatal(err)
	}
	ms, err := d.Members(w.cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != joins+1 {
		t.Fatalf("%d members listed, want %d", len(ms), joins+1)
	}
}
