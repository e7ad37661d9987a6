package gossip

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestGraftedAfterPublishIsNudged: a peer gossipsub grafts into a topic's
// mesh within meshWindow after this node published there is nudged about
// the topic's community; one grafted later, or into a topic this node did
// not publish on, is not.
func TestGraftedAfterPublishIsNudged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		olivia, ben, chloe := newMember(t, 1, "Olivia"), newMember(t, 2, "Ben"), newMember(t, 3, "Chloe")
		cid := crdt.ID{0xc0}
		pl := &fakePuller{}
		s := bare(t, newFakeReplica(), pl, time.Now, olivia.pid)
		s.wg.Add(1)
		go s.nudgeLoop()
		defer func() { s.cancel(); s.wg.Wait() }()
		s.topicCommunity.Store("published", cid)
		s.topicCommunity.Store("quiet", cid)
		s.notePublished("published")
		s.grafted(chloe.pid, "quiet")
		s.grafted(ben.pid, "published")
		synctest.Wait()
		time.Sleep(meshWindow)
		s.grafted(chloe.pid, "published") // too late
		synctest.Wait()
		pl.mu.Lock()
		defer pl.mu.Unlock()
		if len(pl.nudged) != 1 || pl.nudged[0] != ben.key {
			t.Fatalf("nudged %v, want only Ben", pl.nudged)
		}
	})
}
