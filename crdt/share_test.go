package crdt

import (
	"bytes"
	"errors"
	"testing"
)

// share is a RekeyShare of epoch e of log, under commitment check,
// wrapping to names.
func (w *world) share(by string, log ID, e EpochID, check []byte, names ...string) (*Op, error) {
	w.t.Helper()
	b := &RekeyBody{Epoch: e[:], Part: 1, Parts: 1, Reason: RekeyShare, Check: check}
	if !log.IsZero() {
		b.Log = log[:]
	}
	for _, n := range names {
		b.Wraps = append(b.Wraps, Wrap{Member: w.pk(n), KEM: KEMX25519, Prekey: make([]byte, 8), Secret: []byte{1}})
	}
	return w.try(by, ZeroID, KindRekey, b)
}

// TestShareKeys: an admin who adds a member to a group hands it the
// group's epochs in a share, which adds the member's wrap to the epoch
// (current or past) without changing which epoch is current. A share
// reaches only readers of the log, never replaces a wrap, is an admin's
// who reads the log, and names a complete epoch under its commitment.
func TestShareKeys(t *testing.T) {
	w, _, leaders := groupSetup(t, PolicyApproval, "ann", "ben", "cat")
	w.promote("olivia", "cat", RoleAdmin) // an admin outside the group
	first := w.rekey("olivia", leaders, RekeyInitial, 1)
	second := w.rekey("olivia", leaders, RekeyTimer, 2)
	check := make([]byte, 32)
	if _, err := w.groupAdd("olivia", leaders, "ann", 10); err != nil {
		t.Fatal(err)
	}
	w.syncAll()

	other := bytes.Repeat([]byte{9}, 32)
	var unknown EpochID
	unknown[0] = 99
	for name, tc := range map[string]struct {
		by    string
		e     EpochID
		check []byte
		to    []string
		want  error
	}{
		"to one not in the group":       {"olivia", first, check, []string{"ben"}, ErrInvalid},
		"by a member":                   {"ann", first, check, []string{"ann"}, ErrUnauthorized},
		"by an admin outside the group": {"cat", first, check, []string{"ann"}, ErrInvalid},
		"of an epoch that is not there": {"olivia", unknown, check, []string{"ann"}, ErrInvalid},
		"under another commitment":      {"olivia", first, other, []string{"ann"}, ErrInvalid},
	} {
		if _, err := w.share(tc.by, leaders, tc.e, tc.check, tc.to...); !errors.Is(err, tc.want) {
			t.Errorf("a share %s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := w.try("olivia", ZeroID, KindRekey, &RekeyBody{Log: leaders[:], Epoch: first[:], Part: 1, Parts: 2, Reason: RekeyShare, Check: check,
		Wraps: []Wrap{{Member: w.pk("ann"), KEM: KEMX25519, Prekey: make([]byte, 8), Secret: []byte{1}}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a share in two parts: %v, want ErrInvalid", err)
	}

	for _, e := range []EpochID{first, second} {
		if _, err := w.share("olivia", leaders, e, check, "ann"); err != nil {
			t.Fatalf("share of epoch %s to the added member: %v", e, err)
		}
	}
	if _, err := w.share("olivia", leaders, first, check, "ann"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a second share of the same epoch to the same member: %v", err)
	}
	w.syncAll()
	for _, n := range []string{"olivia", "ann", "ben"} {
		st := w.reps[n].State()
		if cur := st.Current[leaders]; cur == nil || cur.ID != second {
			t.Fatalf("%s: a share changed the current epoch: %+v", n, cur)
		}
		for _, e := range []EpochID{first, second} {
			if _, ok := st.Epochs[e].Wraps[w.pub("ann")]; !ok {
				t.Fatalf("%s: epoch %s not wrapped to ann after the share", n, e)
			}
		}
		if _, ok := st.Current[leaders].Wraps[w.pub("ann")]; !ok {
			t.Fatalf("%s: the current epoch, as current, lacks the share's wrap", n)
		}
		if st.Stale(leaders) {
			t.Fatalf("%s: a share to a reader made the group stale", n)
		}
	}
}

// TestShareFallsWithItsAuthor: a share by an admin demoted concurrently
// needs the rank it lost, so strong removal undoes it: its wrap is gone in
// every replica; a share ordered after its target's removal from the group
// is invalid.
func TestShareFallsWithItsAuthor(t *testing.T) {
	w, _, leaders := groupSetup(t, PolicyApproval, "ann", "ben")
	w.promote("olivia", "ann", RoleAdmin)
	e := w.rekey("olivia", leaders, RekeyInitial, 1)
	for _, n := range []string{"ann", "ben"} {
		if _, err := w.groupAdd("olivia", leaders, n, 10); err != nil {
			t.Fatal(err)
		}
	}
	w.syncAll()
	if _, err := w.share("ann", leaders, e, make([]byte, 32), "ben"); err != nil {
		t.Fatal(err)
	}
	w.promote("olivia", "ann", RoleMember) // concurrently: olivia has not seen the share
	w.syncAll()
	for _, n := range []string{"olivia", "ann", "ben"} {
		if _, ok := w.reps[n].State().Epochs[e].Wraps[w.pub("ben")]; ok {
			t.Fatalf("%s: the share of a concurrently demoted admin still wraps to ben", n)
		}
	}

	if _, err := w.groupRemove("olivia", leaders, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.share("olivia", leaders, e, make([]byte, 32), "ben"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a share to a member taken out of the group: %v, want ErrInvalid", err)
	}
}
