package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
)

// Search within the open group (Ctrl+F): the bar above the list, moving
// from match to match, newest first.

// toggleSearch opens (or closes) the search bar (Ctrl+F).
func (c *conversation) toggleSearch() {
	if c.win == nil {
		return
	}
	if c.searching {
		c.closeSearch()
		return
	}
	c.searching = true
	c.searchBar.Show()
	c.relayout()
	c.searchStatus.SetText("")
	c.a.focus(c.searchEntry)
}

func (c *conversation) closeSearch() {
	if !c.searching {
		return
	}
	c.searching, c.query, c.results = false, "", nil
	c.searchEntry.SetText("")
	c.searchBar.Hide()
	c.relayout()
	c.highlight = -1
	c.list.reload(true)
	if c.openGroup.CanPost {
		c.a.focus(c.composer)
	}
}

// search moves to the next older (dir 1) or newer (dir -1) match of the
// search entry's text, searching afresh when the text changed.
func (c *conversation) search(dir int) {
	q := strings.TrimSpace(c.searchEntry.Text)
	if q == "" {
		c.searchStatus.SetText("")
		return
	}
	if q != c.query {
		c.query = q
		c.resultAt = -1
		if !c.refreshResults() {
			return
		}
	}
	if len(c.results) == 0 {
		return
	}
	c.resultAt = min(max(c.resultAt+dir, 0), len(c.results)-1)
	c.searchStatus.SetText(fmt.Sprintf("%d of %d", c.resultAt+1, len(c.results)))
	c.jumpTo(c.results[c.resultAt].Index)
}

// maxResults bounds one search.
const maxResults = 200

func (c *conversation) refreshResults() bool {
	rs, err := c.a.b.Search(c.a.community, c.a.group, c.query, maxResults)
	if err != nil {
		c.searchStatus.SetText("Search failed: " + explain(err))
		c.results = nil
		return false
	}
	c.results = rs
	if len(rs) == 0 {
		c.searchStatus.SetText("No messages match")
		c.highlight = -1
		c.list.reload(true)
	} else if c.resultAt >= 0 {
		c.resultAt = min(c.resultAt, len(rs)-1)
		c.searchStatus.SetText(fmt.Sprintf("%d of %d", c.resultAt+1, len(rs)))
	}
	return true
}

// relayout lays the open conversation out again after a bar above the
// list was shown or hidden: showing or hiding an object does not lay out
// its parent, so the list kept the room of a closed search bar.
func (c *conversation) relayout() {
	for _, o := range c.root.Objects {
		if box, ok := o.(*fyne.Container); ok {
			box.Refresh()
		}
	}
}
