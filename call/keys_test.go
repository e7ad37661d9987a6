package call

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// keyCount is how many times receiver's media was given sender's current
// key (0 when receiver never had media).
func (w *testNet) keyCount(receiver, sender string) int {
	w.mu.Lock()
	had := len(w.medias[w.keys[receiver]]) > 0
	w.mu.Unlock()
	if !had {
		return 0
	}
	kid := w.media(sender).lastSend()
	n := 0
	for _, k := range w.media(receiver).recvFrom(peerID(w.keys[sender])) {
		if k == kid {
			n++
		}
	}
	return n
}

// keyLostOnce has olivia call ann, then renew her key while the key
// message to ann fails (a resend waits KeyRetryMin). It returns olivia
// and the call.
func (w *testNet) keyLostOnce() (*Manager, crdt.ID) {
	olivia, _, id := w.oliviaCallsAnn()
	synctest.Wait()
	c := olivia.calls[callKey{w.cid, id}]
	w.setSlow([]string{"olivia"}, []string{"ann"}, true)
	olivia.rekey(c) // returns once the send failed
	w.setSlow([]string{"olivia"}, []string{"ann"}, false)
	return olivia, id
}

// TestKeyAskIsAnsweredWhileAResendWaits: olivia's new key did not reach
// ann and its resend waits on its backoff; ann's key ask, accepted, has
// the key go at once, not when the backoff ends.
func TestKeyAskIsAnsweredWhileAResendWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, id := w.keyLostOnce()
		w.checkNoKey("ann", "olivia")
		msg := &Message{Type: TypeKeyAsk, Community: w.cid[:], Call: id[:]}
		if r := olivia.Answer(t.Context(), w.keys["ann"], msg); r.Error != "" {
			t.Fatalf("ann's key ask: %s", r.Error)
		}
		synctest.Wait() // no time passes: the resend's backoff has not ended
		w.checkHasKey("ann", "olivia")
	})
}

// TestLostKeyIsSentAgain: olivia's new key does not reach ann once (the
// stream fails); she encrypts with it anyway, and it reaches ann again
// within the first retry, not at the next rekey.
func TestLostKeyIsSentAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		w.keyLostOnce()
		w.checkNoKey("ann", "olivia")
		time.Sleep(KeyRetryMin)
		synctest.Wait()
		w.checkHasKey("ann", "olivia")
	})
}

// TestKeyIsNotSentAgainToTheRemoved: a key that did not reach ann is not
// sent again once crdt no longer lets her in the call, even before the
// others dropped her.
func TestKeyIsNotSentAgainToTheRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		w.keyLostOnce()
		w.setMember("ann", false)
		time.Sleep(2 * KeyRetryMax)
		synctest.Wait()
		w.checkNoKey("ann", "olivia")
	})
}

// TestKeyAskedWhenFramesDoNotDecrypt: ann's media loses olivia's key
// (her frames fail to decrypt): ann asks olivia, who sends her current
// key again.
func TestKeyAskedWhenFramesDoNotDecrypt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		w.oliviaCallsAnn()
		synctest.Wait()
		time.Sleep(KeyCheckEvery)
		synctest.Wait()
		before := w.keyCount("ann", "olivia")
		f := w.media("ann")
		f.mu.Lock()
		f.failing = map[string]bool{peerID(w.keys["olivia"]): true}
		f.mu.Unlock()
		time.Sleep(2 * KeyCheckEvery)
		synctest.Wait()
		if got := w.keyCount("ann", "olivia"); got != before+1 {
			t.Fatalf("ann was given olivia's current key %d times, want %d", got, before+1)
		}
	})
}

// TestKeyAsksAreJudgedAndBounded: a member no longer allowed in the call,
// and one not in it, asking for olivia's key get nothing; a participant
// flooding asks gets the key once per KeyAskEvery, and one refusing it
// gets it with backoff.
func TestKeyAsksAreJudgedAndBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newTestNet(t)
		olivia, _, id := w.oliviaCallsAnn()
		ben := w.node("ben", true, false, false)
		if err := ben.Join(t.Context(), w.cid, id, false, true); err != nil {
			t.Fatal(err)
		}
		w.node("cat", true, false, false) // a member, not in the call
		synctest.Wait()
		ask := func(who string) *Reply {
			msg := &Message{Type: TypeKeyAsk, Community: w.cid[:], Call: id[:]}
			if err := msg.Check(); err != nil {
				t.Fatal(err)
			}
			return olivia.Answer(t.Context(), w.keys[who], msg)
		}

		w.setMember("ben", false) // removed from the group; nobody rechecked yet
		if r := ask("ben"); r.Error == "" {
			t.Fatal("a removed member's key ask was answered")
		}
		if r := ask("cat"); r.Error == "" {
			t.Fatal("a non-participant's key ask was answered")
		}
		synctest.Wait()
		for _, who := range []string{"ben", "cat"} {
			if got := w.keyCount(who, "olivia"); got != 0 {
				t.Fatalf("%s was given olivia's key after asking", who)
			}
		}

		before := w.keyCount("ann", "olivia")
		refused := 0
		for range 50 {
			if r := ask("ann"); r.Error != "" {
				refused++
			}
			synctest.Wait()
		}
		if got := w.keyCount("ann", "olivia"); got != before+1 || refused != 49 {
			t.Fatalf("50 asks at once: the key went %d times, %d asks refused; want once, 49", got-before, refused)
		}
		time.Sleep(KeyAskEvery)
		if r := ask("ann"); r.Error != "" {
			t.Fatalf("an ask a while later: %s", r.Error)
		}
		synctest.Wait()
		if got := w.keyCount("ann", "olivia"); got != before+2 {
			t.Fatalf("the ask a while later: the key went %d times in all, want 2", got-before)
		}

		// An ask whose key ann then refuses (her media is gone) is
		// answered with backoff, not in a loop.
		f := w.media("ann")
		f.mu.Lock()
		f.closed, f.keyTries = true, 0
		f.mu.Unlock()
		time.Sleep(KeyAskEvery)
		if r := ask("ann"); r.Error != "" {
			t.Fatalf("an ask before the refusals: %s", r.Error)
		}
		time.Sleep(10 * time.Second)
		f.mu.Lock()
		tries := f.keyTries
		f.mu.Unlock()
		if tries < 2 || tries > 6 { // at 0, 0.25, 0.75, 1.75, 3.75 and 7.75 s
			t.Fatalf("the key went %d times in 10 s to a participant refusing it, want 2 to 6", tries)
		}
	})
}
