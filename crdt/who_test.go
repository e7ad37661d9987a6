package crdt

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorsNameMembers: a refusal about a member names them by their
// display name, not by bytes of their key; a key nobody named is still
// told apart by its first bytes.
func TestErrorsNameMembers(t *testing.T) {
	w, _ := setup(t, "ben")
	w.promote("olivia", "ben", RoleAdmin)
	_, err := w.try("olivia", ZeroID, KindRole, &RoleBody{Member: w.pk("ben"), Role: RoleAdmin})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "ben is already admin") {
		t.Fatalf("promoting an admin again: %v", err)
	}
	stranger := newKey(77)
	_, err = w.try("olivia", ZeroID, KindRemove, &RemoveBody{Member: stranger.pubBytes()})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "key "+stranger.pub().String()[:8]+" is not a member") {
		t.Fatalf("removing a stranger: %v", err)
	}
}
