package call

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestCallMediaGetsCommunityICE: the caller's and a joiner's media get
// the ICE servers (a relay's TURN) of the call's community, asked for
// that community; a source that hangs is given up after ICETimeout and
// the call goes on without.
func TestCallMediaGetsCommunityICE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		turn := ICEServer{URLs: []string{"turn:10.0.0.1:3478?transport=udp"}, Username: "1700000000:ann", Credential: "pw"}
		var asked []crdt.ID
		ann := w.nodeICE("ann", true, false, false, func(_ context.Context, cid crdt.ID) []ICEServer {
			asked = append(asked, cid)
			return []ICEServer{turn}
		})
		ben := w.nodeICE("ben", true, false, false, func(ctx context.Context, cid crdt.ID) []ICEServer {
			<-ctx.Done() // its relay does not answer
			return nil
		})
		id, err := ann.Start(t.Context(), w.cid, w.gid, false, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.media("ann").ice; len(got) != 1 || !slices.Equal(got[0].URLs, turn.URLs) || got[0].Credential != "pw" {
			t.Fatalf("the caller's media got ICE servers %+v", got)
		}
		if !slices.Equal(asked, []crdt.ID{w.cid}) {
			t.Fatalf("asked for the ICE servers of %v", asked)
		}
		synctest.Wait()
		if err := ben.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		if got := w.media("ben").ice; len(got) != 0 {
			t.Fatalf("a joiner whose source hung got %+v", got)
		}
	})
}
