package act

import (
	"context"
	"fmt"
	"strings"

	"lukechampine.com/blake3"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// SetSteps replaces community cid's first steps and welcome text
// (admins; crdt judges). A step's id follows from its title (and, for a
// title used twice, which use it is), so a step that keeps its title
// keeps the ticks members gave it, and one put back counts them again.
func (a *Actions) SetSteps(ctx context.Context, cid crdt.ID, steps []api.StepDraft, welcome string) error {
	b := &crdt.StepsBody{Welcome: strings.TrimSpace(lines(welcome)), Time: a.millis()}
	seen := map[string]int{}
	for _, s := range steps {
		title := strings.TrimSpace(s.Title)
		it := crdt.StepItem{ID: stepID(title, seen[title]), Title: title, Text: strings.TrimSpace(lines(s.Text))}
		seen[title]++
		if s.Message != nil && s.Group == nil {
			return fmt.Errorf("%w: step %q links a message without its group", crdt.ErrInvalid, title)
		}
		if s.Group != nil {
			it.Group = idBytes(*s.Group)
		}
		if s.Message != nil {
			if err := a.target(cid, *s.Group, *s.Message); err != nil {
				return fmt.Errorf("step %q: %w", title, err)
			}
			it.Message = idBytes(*s.Message)
		}
		b.Steps = append(b.Steps, it)
	}
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindSteps, b)
	return err
}

// stepID is the id of the step titled title, its nth use in the list.
func stepID(title string, nth int) []byte {
	h := blake3.Sum256(fmt.Appendf(nil, "umbrella/step/v1\x00%d\x00%s", nth, title))
	return h[:crdt.StepIDSize]
}

// TickStep ticks (done) or unticks the local member's first step n
// (1-based) in community cid. The first tick opens the member's progress
// log, readable by it and the admins only, and gives it its first keys.
func (a *Actions) TickStep(ctx context.Context, cid crdt.ID, n int, done bool) error {
	var step crdt.StepID
	var log crdt.ID
	var needKeys bool
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Steps == nil || n < 1 || n > len(st.Steps.List) {
			total := 0
			if st.Steps != nil {
				total = len(st.Steps.List)
			}
			return fmt.Errorf("%w: no step %d: the community has %d first steps", crdt.ErrInvalid, n, total)
		}
		step = st.Steps.List[n-1].ID
		log = st.Progress[a.self]
		needKeys = !log.IsZero() && st.Current[log] == nil && st.MayRotate(a.self, log)
		return nil
	})
	if err != nil {
		return err
	}
	if log.IsZero() {
		if log, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindProgress, &crdt.ProgressBody{Time: a.millis()}); err != nil {
			return err
		}
		needKeys = true
	}
	if needKeys {
		if err := a.keys.Rotate(ctx, cid, log, crdt.RekeyInitial, nil); err != nil {
			return fmt.Errorf("first steps keys: %w", err)
		}
	}
	_, err = a.write(ctx, cid, log, crdt.KindStep, &crdt.StepBody{Step: step[:], Done: done, Time: a.millis()})
	return err
}
