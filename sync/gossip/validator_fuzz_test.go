package gossip

import (
	"bytes"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// FuzzValidator: whatever a peer gossips on a topic (any bytes, or a real
// op with its tail replaced), the validator accepts only a well-signed op
// of that topic's community and log, exactly the bytes sent, and hands it
// on; everything else it rejects or ignores, and nothing crashes it.
func FuzzValidator(f *testing.F) {
	olivia := newMember(f, 1, "Olivia")
	cid := crdt.ID{0xc0}
	good := profileOp(f, olivia, cid, cid).Bytes()
	f.Add(good, 0)
	f.Add(good, len(good)/2)
	f.Add([]byte("not an op"), -1)
	f.Fuzz(func(t *testing.T, raw []byte, cut int) {
		mallory := newMember(t, 2, "Mallory")
		rep := newFakeReplica()
		rep.community(cid, olivia.key, mallory.key)
		s := bare(t, rep, &fakePuller{}, time.Now, olivia.pid)
		data := raw
		if cut >= 0 { // the real op, its tail from cut on replaced by raw
			data = append(bytes.Clone(good[:cut%(len(good)+1)]), raw...)
		}
		m := message(data)
		got := s.Validator(cid, crdt.ZeroID)(t.Context(), mallory.pid, m)
		if got != pubsub.ValidationAccept {
			return
		}
		op, ok := m.ValidatorData.(*crdt.Op)
		if !ok || !bytes.Equal(op.Bytes(), data) || op.CommunityID() != cid || op.Log != crdt.ZeroID {
			t.Fatalf("accepted %x and handed on %v", data, m.ValidatorData)
		}
		if _, err := crdt.DecodeOp(data); err != nil {
			t.Fatalf("accepted an op that does not decode: %v", err)
		}
	})
}
