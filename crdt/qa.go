package crdt

// Q&A. An admin marks a group as a Q&A group with group.qa (and unmarks
// it the same way; the last one replayed wins). In a Q&A group every
// top-level message is a question. The asker, or an admin, marks a reply
// to a question as its answer with an answer op, or takes the mark back
// with an answer op naming no reply; the last mark of a question (by
// height then id) is the one that counts. Marking needs the group to be
// a Q&A group in the state the mark was written on, and an admin's rank
// unless the marker asked the question, so the mark of an admin demoted
// or removed concurrently is hidden and the question is unanswered
// again. A mark that names something other than a standing reply to the
// question, folded before it, is ignored; an answer that is deleted or
// hidden later leaves its question unanswered. Answered questions of the
// Q&A groups make the community's FAQ.

// GroupQABody marks group Group as a Q&A group (On) or unmarks it (admins).
type GroupQABody struct {
	Group []byte `cbor:"1,keyasint"`
	On    bool   `cbor:"2,keyasint,omitempty"`
	Time  int64  `cbor:"3,keyasint,omitempty"`
}

func (b *GroupQABody) check() error { return checkID("group", b.Group) }

// AnswerBody marks reply Answer as the answer to Question, a top-level
// message of a Q&A group; an empty Answer takes the mark back.
type AnswerBody struct {
	Question []byte `cbor:"1,keyasint"`
	Answer   []byte `cbor:"2,keyasint,omitempty"`
	Time     int64  `cbor:"3,keyasint"`
}

func (b *AnswerBody) check() error {
	if err := checkID("question", b.Question); err != nil {
		return err
	}
	return checkOptID("answer", b.Answer)
}

// checkGroupQA judges group.qa b.
func (s *State) checkGroupQA(b *GroupQABody) error {
	g, ok := s.Groups[idOf(b.Group)]
	switch {
	case !ok:
		return invalid("group %x does not exist", b.Group[:4])
	case g.Announcement:
		return invalid("the announcement group, where only admins post, is not a Q&A group")
	case g.Private():
		return invalid("a private conversation is not a Q&A group")
	case g.QA == b.On:
		if b.On {
			return invalid("group %q is already a Q&A group", g.Name)
		}
		return invalid("group %q is not a Q&A group", g.Name)
	}
	return nil
}

// checkAnswer judges answer mark o in group g: g is a Q&A group and the
// question a top-level message.
func checkAnswer(g *Group, targetOp *Op, target any) error {
	if !g.QA {
		return invalid("group %q is not a Q&A group", g.Name)
	}
	m, ok := target.(*MessageBody)
	if targetOp.Kind != KindMessage || !ok || len(m.ReplyTo) > 0 {
		return invalid("only a top-level message of a Q&A group is a question")
	}
	return nil
}
