package node

import (
	"fmt"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// The local member's departure: the departed node shows it
// (Community.Removed, RemovedBy, Left, JoinUndone) and refuses to write
// there (ErrRemoved, ErrLeft, ErrJoinUndone). Pulls from and to former
// members are package sync/pull's (former.go there).

// departedError says who removed the local member from which community;
// it is ErrRemoved or ErrLeft.
type departedError struct {
	community string
	by        string // who removed the member; empty when it left
	undone    bool   // its join was undone
}

func (e *departedError) Error() string {
	if e.undone {
		return fmt.Sprintf("your join of %s was undone: the link you joined by was revoked, or whoever made it lost the right to invite, while you joined; ask an admin for a new link", e.community)
	}
	if e.by == "" {
		return fmt.Sprintf("you left %s; what it said before stays readable, but you can no longer write in it", e.community)
	}
	return fmt.Sprintf("you were removed from %s by %s; what it said before stays readable, but you can no longer write in it", e.community, e.by)
}

func (e *departedError) Is(target error) bool {
	if e.undone {
		return target == api.ErrJoinUndone
	}
	return target == api.ErrRemoved && e.by != "" || target == api.ErrLeft && e.by == ""
}

// departed describes how the local member went from community cid, or is
// nil while it is a member (or never was one).
func departed(st *crdt.State, self crdt.PublicKey) *departedError {
	d := st.Departed[self]
	if d == nil {
		return nil
	}
	e := &departedError{community: st.Name, undone: !d.Join.IsZero()}
	if d.By != self && !e.undone {
		e.by = nameOf(st, d.By)
	}
	return e
}

// checkStillMember fails with ErrRemoved or ErrLeft if the local member
// went from community cid.
func (n *Node) checkStillMember(cid crdt.ID) error {
	self := n.selfKey()
	var err error
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		if e := departed(c.State(), self); e != nil {
			err = e
		}
		return nil
	})
	return err
}
