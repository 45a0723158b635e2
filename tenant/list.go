package tenant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrListIncomplete is wrapped by the error of ListAllConnectors when the
// connectors collected over every pass it read did not reach the tenant's
// own count; errors.As with *ListGapError gives what was collected.
var ErrListIncomplete = errors.New("connector list incomplete")

// ListGapError says that listing did not collect what the tenant counted
// (X-Total-Count), over every pass ListAllConnectors read. Connectors holds
// every connector seen in any pass, each scriptName once; Listed is how many
// that is, the number an export records as listed (bundle.Coverage), so
// that the error and the coverage state the same count.
type ListGapError struct {
	Total      int         // the tenant's count on the last pass
	Listed     int         // distinct scriptNames seen over all passes: len(Connectors)
	Passes     []int       // distinct scriptNames each pass collected, in order
	Connectors []Connector // the union of all passes
}

// Error reads like `listed 498 of the 500 connectors the tenant counted
// (X-Total-Count), over 2 passes (497 and 496 on each): 2 missing`.
func (e *ListGapError) Error() string {
	gap := fmt.Sprintf("%d missing", e.Total-e.Listed)
	if e.Listed > e.Total {
		gap = fmt.Sprintf("%d more than counted (connectors created or deleted meanwhile?)", e.Listed-e.Total)
	}
	each := make([]string, len(e.Passes))
	for i, n := range e.Passes {
		each[i] = strconv.Itoa(n)
	}
	counts := strings.Join(each, ", ")
	if n := len(each); n > 1 {
		counts = strings.Join(each[:n-1], ", ") + " and " + each[n-1]
	}
	return fmt.Sprintf("listed %d of the %d connectors the tenant counted (X-Total-Count), over %d passes (%s on each): %s",
		e.Listed, e.Total, len(e.Passes), counts, gap)
}

// Unwrap returns ErrListIncomplete.
func (e *ListGapError) Unwrap() error { return ErrListIncomplete }

// maxListPasses is how many times ListAllConnectors reads a list of total
// connectors before it gives up on reaching the count. A tenant whose order
// changes between calls serves each page as a fresh draw: one pass then
// misses each connector with a probability of about 1/e, so k passes miss
// one of n with about n·e^-k; 3 + 2·ln(n) passes make that below 1 in
// 1,000 for any n (11 passes at 50 connectors, 22 at 10,000). A tenant of
// stable order stops after two passes that see the same connectors.
func maxListPasses(total int) int {
	return max(4, 3+2*int(math.Ceil(math.Log(float64(total+1)))))
}

// ListAllConnectors returns every RELEASED connector matching filters, each
// scriptName once, complete by construction:
//
//   - the first request asks for the total (count=true); onTotal, if not nil,
//     hears it (when the tenant sends one);
//   - pages are read until an empty page or until the offset reaches the
//     total: an offset at or beyond the total is never asked for (ISC has been
//     reported to answer such an offset with 400);
//   - a page shorter than the limit is not taken as the end (a tenant may cap
//     pages below the limit asked for); the next offset is the number of items
//     received so far;
//   - when a pass does not collect the total (pages shifted under concurrent
//     creates or deletes, or an order that changes between calls, so that
//     offset paging skips some connectors and repeats others), the list is
//     read again, and the passes are joined by scriptName, until a pass
//     alone or the union of all passes holds as many connectors as the
//     tenant counts. It stops early, with an error, when two passes in a row
//     see the same connectors (a stable list that will not change by being
//     read again) or after maxListPasses; the error is then a *ListGapError
//     (wrapping ErrListIncomplete) holding everything seen.
//
// Without a total (no X-Total-Count), pages are read until an empty one; a
// full page of connectors already seen is an error (the tenant ignores offset).
func (c *Client) ListAllConnectors(ctx context.Context, filters string, onTotal func(total int)) ([]Connector, error) {
	pass, err := c.listPass(ctx, filters, onTotal)
	if err != nil {
		return nil, err
	}
	if pass.matches() {
		return pass.items, nil
	}
	union := slices.Clone(pass.items)
	seen := make(map[string]bool, len(union))
	for _, conn := range union {
		seen[conn.ScriptName] = true
	}
	passes := []int{len(pass.items)}
	for {
		c.log.Info("the connector list did not match the tenant's count; listing again",
			"listed", len(union), "total", pass.total, "passes", len(passes))
		prev := pass
		if pass, err = c.listPass(ctx, filters, nil); err != nil {
			return nil, err
		}
		if pass.matches() {
			return pass.items, nil
		}
		passes = append(passes, len(pass.items))
		for _, conn := range pass.items {
			if !seen[conn.ScriptName] {
				seen[conn.ScriptName] = true
				union = append(union, conn)
			}
		}
		if len(union) == pass.total {
			c.log.Info("the connector list reached the tenant's count over several passes", "total", pass.total, "passes", len(passes))
			return union, nil
		}
		if prev.same(pass) || len(passes) >= maxListPasses(pass.total) {
			return nil, &ListGapError{Total: pass.total, Listed: len(union), Passes: passes, Connectors: union}
		}
	}
}

// listPass is one reading of the whole list.
type listPass struct {
	items []Connector
	total int // -1 when the tenant sent no X-Total-Count
}

// matches reports whether the pass collected what the tenant counted (always
// true without a count).
func (p listPass) matches() bool { return p.total < 0 || len(p.items) == p.total }

// same reports whether p and q saw the same count and the same connectors.
func (p listPass) same(q listPass) bool {
	if p.total != q.total || len(p.items) != len(q.items) {
		return false
	}
	in := make(map[string]bool, len(p.items))
	for _, conn := range p.items {
		in[conn.ScriptName] = true
	}
	for _, conn := range q.items {
		if !in[conn.ScriptName] {
			return false
		}
	}
	return true
}

func (c *Client) listPass(ctx context.Context, filters string, onTotal func(int)) (listPass, error) {
	pass := listPass{total: -1}
	seen := map[string]bool{}
	for offset := 0; pass.total < 0 || offset < pass.total; {
		page, err := c.ListConnectors(ctx, ListOptions{Filters: filters, Limit: pageLimit, Offset: offset, Count: offset == 0})
		if err != nil {
			return listPass{}, fmt.Errorf("list connectors from offset %d: %w", offset, err)
		}
		if offset == 0 {
			pass.total = page.Total
			if onTotal != nil && page.Total >= 0 {
				onTotal(page.Total)
			}
		}
		if len(page.Items) == 0 {
			break
		}
		added := 0
		for _, conn := range page.Items {
			if seen[conn.ScriptName] {
				continue
			}
			seen[conn.ScriptName] = true
			pass.items = append(pass.items, conn)
			added++
		}
		if added == 0 && pass.total < 0 {
			return listPass{}, fmt.Errorf("list connectors from offset %d: the tenant returned a page of connectors already listed (is offset ignored?)", offset)
		}
		offset += len(page.Items)
	}
	return pass, nil
}
