// Package collation orders connector names as people read them, for every
// list connvault prints: by the Unicode Collation Algorithm's root order
// (golang.org/x/text/collate), so "Århus" sorts among the A names and "éclair"
// before "Zürich", instead of by bytes, which puts every accented capital
// after Z. Names equal under collation fall back to byte order, so the order
// is total and stable between runs.
package collation

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

var (
	mu sync.Mutex // a Collator is not safe for concurrent use
	c  = collate.New(language.Und)
)

// Compare returns -1, 0 or +1 as a sorts before, with or after b.
func Compare(a, b string) int {
	mu.Lock()
	r := c.CompareString(a, b)
	mu.Unlock()
	if r != 0 {
		return r
	}
	return strings.Compare(a, b)
}

// Sort sorts names in place by Compare.
func Sort(names []string) { slices.SortFunc(names, Compare) }
