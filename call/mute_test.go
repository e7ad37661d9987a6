package call

import (
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// participant returns participant name as who's status of call id shows
// it, and whether it lists name at all.
func (w *testNet) participant(who *Manager, id crdt.ID, name string) (api.CallParticipant, bool) {
	w.t.Helper()
	st, err := who.Status(w.cid, id)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range st.Participants {
		if p.PeerID == peerID(w.keys[name]) {
			return p, true
		}
	}
	return api.CallParticipant{}, false
}

// mutedIn returns whether who's status of call id shows participant
// name muted, and whether it lists name at all.
func (w *testNet) mutedIn(who *Manager, id crdt.ID, name string) (muted, listed bool) {
	w.t.Helper()
	p, listed := w.participant(who, id, name)
	return p.Muted, listed
}

// TestMuteShowsToTheOthers: a participant's mute reaches the others'
// Status, and a newcomer's on its join; its unmute too.
func TestMuteShowsToTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, ann, id := w.oliviaCallsAnn()
		synctest.Wait()
		if muted, listed := w.mutedIn(olivia, id, "ann"); muted || !listed {
			t.Fatalf("before any mute olivia shows ann muted %v, listed %v", muted, listed)
		}
		if err := ann.SetMuted(w.cid, id, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // every goroutine idle: the state was sent and taken
		if muted, _ := w.mutedIn(olivia, id, "ann"); !muted {
			t.Fatal("ann muted, olivia does not show it")
		}
		if muted, _ := w.mutedIn(ann, id, "ann"); !muted {
			t.Fatal("ann muted, her own status does not show it")
		}
		carl := w.node("carl", true, false, false)
		if err := carl.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if muted, listed := w.mutedIn(carl, id, "ann"); !muted || !listed {
			t.Fatalf("newcomer carl shows ann muted %v, listed %v", muted, listed)
		}
		if muted, _ := w.mutedIn(carl, id, "olivia"); muted {
			t.Fatal("carl shows olivia muted, who never muted")
		}
		if err := ann.SetMuted(w.cid, id, false); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for name, m := range map[string]*Manager{"olivia": olivia, "carl": carl} {
			if muted, _ := w.mutedIn(m, id, "ann"); muted {
				t.Fatalf("ann unmuted, %s still shows her muted", name)
			}
		}
	})
}

// TestStateFromANonParticipantIsRefused: a state message from a member
// not in the call, or from one not in the group, is refused and shows
// nowhere; one that leaves is no longer shown muted when it comes back.
func TestStateFromANonParticipantIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, ann, id := w.oliviaCallsAnn()
		w.node("mallory", true, false, false) // a member, not in the call
		w.node("eve", false, false, false)    // not a member
		synctest.Wait()
		for _, name := range []string{"mallory", "eve"} {
			msg := &Message{Type: TypeState, Community: w.cid[:], Call: id[:], Muted: true}
			r := olivia.Answer(t.Context(), w.keys[name], msg)
			if r.Error == "" {
				t.Fatalf("%s's state taken", name)
			}
			if _, listed := w.mutedIn(olivia, id, name); listed {
				t.Fatalf("%s listed after its state message", name)
			}
		}
		// ann's own state, from eve's stream, is eve's: ann stays unmuted.
		if muted, _ := w.mutedIn(olivia, id, "ann"); muted {
			t.Fatal("ann shown muted")
		}
		if err := ann.SetMuted(w.cid, id, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := ann.Leave(t.Context(), w.cid, id); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := ann.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if muted, listed := w.mutedIn(olivia, id, "ann"); muted || !listed {
			t.Fatalf("ann rejoined unmuted: olivia shows her muted %v, listed %v", muted, listed)
		}
		if muted, _ := w.mutedIn(ann, id, "ann"); muted {
			t.Fatal("ann rejoined: her own status still says muted")
		}
	})
}

// TestCameraShowsToTheOthers: whether a participant's camera is on shows
// as it says (its join, then its state messages), not as a video track
// once arrived: the fake media measures no video at all.
func TestCameraShowsToTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, ann, id := w.oliviaCallsAnn()
		carl := w.node("carl", true, false, false)
		if err := carl.Join(t.Context(), w.cid, id, true, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for name, m := range map[string]*Manager{"olivia": olivia, "ann": ann} {
			if p, _ := w.participant(m, id, "carl"); !p.Video {
				t.Fatalf("carl joined with video; %s shows none", name)
			}
		}
		if err := carl.SetVideo(w.cid, id, false); err != nil {
			t.Fatal(err)
		}
		if err := ann.SetVideo(w.cid, id, true); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if p, _ := w.participant(olivia, id, "carl"); p.Video {
			t.Fatal("carl turned his camera off; olivia still shows video")
		}
		for name, m := range map[string]*Manager{"olivia": olivia, "carl": carl} {
			if p, _ := w.participant(m, id, "ann"); !p.Video || p.Muted {
				t.Fatalf("ann turned her camera on; %s shows %+v", name, p)
			}
		}
	})
}
