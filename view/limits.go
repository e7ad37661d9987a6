package view

// The display lists kept: at most maxShownLists, and beyond the one read
// last no more than maxShownPosts posts in all (a list of 100,000 posts
// holds about 40 MB).
const (
	maxShownLists = 4
	maxShownPosts = 200_000
)
