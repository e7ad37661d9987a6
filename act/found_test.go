package act

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/store"
)

// founderKeys journals the key work of founding; it seals nothing (the
// replica under test has no sealer), so the genesis stays clear.
type founderKeys struct {
	fakeKeys
	journal *[]string
}

func (f founderKeys) SealGenesis(draft *crdt.Op) (crdt.EpochID, []byte, error) {
	*f.journal = append(*f.journal, fmt.Sprintf("seal genesis by %s", draft.Author.String()[:8]))
	return crdt.EpochID{1}, []byte("secret"), nil
}

func (f founderKeys) Bind(_ context.Context, id crdt.EpochID, _ crdt.ID) error {
	*f.journal = append(*f.journal, fmt.Sprintf("bind epoch %x", id[0]))
	return nil
}

func (f founderKeys) PublishPrekey(context.Context, crdt.ID) error {
	*f.journal = append(*f.journal, "prekey")
	return nil
}

func (f founderKeys) WriteEpoch(_ context.Context, _, _ crdt.ID, id crdt.EpochID, secret []byte, reason uint8, _ *crdt.PublicKey) error {
	*f.journal = append(*f.journal, fmt.Sprintf("wrap epoch %x secret %s reason %d", id[0], secret, reason))
	return nil
}

func (f founderKeys) NewSecret(context.Context, crdt.ID) error {
	*f.journal = append(*f.journal, "topic secret")
	return nil
}

// replicaGenesis founds on a replica as the node does.
type replicaGenesis struct{ rep *replica.Replica }

func (g replicaGenesis) Found(ctx context.Context, x crdt.Opened) error {
	g.rep.Expect(x.Op.ID())
	_, err := g.rep.IngestOpened(ctx, x)
	return err
}

// stateSummary summarises a community by its state's name.
type stateSummary struct{ rep *replica.Replica }

func (s stateSummary) Community(cid crdt.ID) (api.Community, error) {
	c := api.Community{ID: cid}
	err := s.rep.View(cid, func(cm *crdt.Community) error { c.Name = cm.State().Name; return nil })
	return c, err
}

var (
	_ FounderKeys = founderKeys{}
	_ Genesis     = replicaGenesis{}
	_ Summary     = stateSummary{}
)

// TestCreateCommunity: founding signs a genesis of the trimmed name by the
// local member, does the key work in order (the genesis sealed before the
// community exists, its epoch wrapped after), writes the founder's name
// and a General group open to everyone, tells subscribers, and returns the
// community's summary.
func TestCreateCommunity(t *testing.T) {
	ctx := t.Context()
	rep, err := replica.Open(ctx, store.NewMemory(), nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := member(0)
	var journal []string
	var events []api.Event
	now := time.UnixMilli(1_000_000_000)
	author := fakeAuthor{rep, owner, &journal}
	prof, err := NewProfile(ProfileConfig{Name: "Ann", Saver: &fakeSaver{}, Author: author, Held: rep, Member: memberOf{}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFounder(FounderConfig{Signer: owner, Keys: founderKeys{fakeKeys{&journal}, &journal}, Genesis: replicaGenesis{rep},
		Author: author, Profile: prof, Summary: stateSummary{rep}, Emit: func(e api.Event) { events = append(events, e) },
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.CreateCommunity(ctx, "  Club \t")
	if err != nil {
		t.Fatal(err)
	}
	cid := c.ID
	if c.Name != "Club" {
		t.Errorf("summary = %+v, want the name Club", c)
	}
	var general crdt.ID
	err = rep.View(cid, func(cm *crdt.Community) error {
		st := cm.State()
		if st.Role(owner.Key()) != crdt.RoleOwner || st.Names[owner.Key()] != "Ann" {
			t.Errorf("founder: role %v, name %q", st.Role(owner.Key()), st.Names[owner.Key()])
		}
		for id, g := range st.Groups {
			if g.Name == api.DefaultGroupName && g.Policy == crdt.PolicyEveryone {
				general = id
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if general == (crdt.ID{}) {
		t.Fatal("no General group open to everyone")
	}
	want := []string{
		"seal genesis by " + owner.Key().String()[:8],
		"bind epoch 1",
		"prekey",
		"wrap epoch 1 secret secret reason " + fmt.Sprint(crdt.RekeyInitial),
		fmt.Sprintf("rotate %s reason %d excluding false", cid.Short(), crdt.RekeyInitial),
		"topic secret",
		crdt.KindProfile.String(),
		crdt.KindGroupCreate.String(),
		fmt.Sprintf("rotate %s reason %d excluding false", general.Short(), crdt.RekeyInitial),
	}
	if !slices.Equal(journal, want) {
		t.Errorf("founding did\n%q\nwant\n%q", journal, want)
	}
	if !slices.Equal(events, []api.Event{{Kind: api.EventCommunities, Community: cid}}) {
		t.Errorf("events = %+v", events)
	}
}
