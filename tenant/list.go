package tenant

import (
	"context"
	"errors"
	"fmt"
)

// ErrListIncomplete is wrapped by the error of ListAllConnectors when the
// connectors collected did not match the tenant's own count twice in a row;
// errors.As with *ListGapError gives what was collected.
var ErrListIncomplete = errors.New("connector list incomplete")

// ListGapError says that listing did not collect what the tenant counted
// (X-Total-Count), on a first pass and again on a second one. Connectors holds
// every connector seen in either pass, each scriptName once; Listed is how
// many that is, the number an export records as listed (bundle.Coverage),
// so that the error and the coverage state the same count.
type ListGapError struct {
	Total      int         // the tenant's count on the second pass
	Listed     int         // distinct scriptNames seen over both passes: len(Connectors)
	Passes     [2]int      // distinct scriptNames each pass collected
	Connectors []Connector // the union of both passes
}

// Error reads like `listed 498 of the 500 connectors the tenant counted
// (X-Total-Count), over two passes (497 and 496 on each): 2 missing`.
func (e *ListGapError) Error() string {
	var gap string
	switch {
	case e.Listed < e.Total:
		gap = fmt.Sprintf("%d missing", e.Total-e.Listed)
	case e.Listed > e.Total:
		gap = fmt.Sprintf("%d more than counted (connectors created or deleted meanwhile?)", e.Listed-e.Total)
	default:
		gap = "neither pass alone matched the count, so the list changed or shifted while it was read, and a connector may be missing"
	}
	return fmt.Sprintf("listed %d of the %d connectors the tenant counted (X-Total-Count), over two passes (%d and %d on each): %s",
		e.Listed, e.Total, e.Passes[0], e.Passes[1], gap)
}

// Unwrap returns ErrListIncomplete.
func (e *ListGapError) Unwrap() error { return ErrListIncomplete }

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
//   - when the connectors collected do not match the total (pages shifted
//     under concurrent creates or deletes), the list is read once more. If the
//     second pass does not match either, the error is a *ListGapError
//     (wrapping ErrListIncomplete) holding everything seen.
//
// Without a total (no X-Total-Count), pages are read until an empty one; a
// full page of connectors already seen is an error (the tenant ignores offset).
func (c *Client) ListAllConnectors(ctx context.Context, filters string, onTotal func(total int)) ([]Connector, error) {
	first, err := c.listPass(ctx, filters, onTotal)
	if err != nil {
		return nil, err
	}
	if first.matches() {
		return first.items, nil
	}
	c.log.Info("the connector list did not match the tenant's count; listing again",
		"listed", len(first.items), "total", first.total)
	second, err := c.listPass(ctx, filters, nil)
	if err != nil {
		return nil, err
	}
	if second.matches() {
		return second.items, nil
	}
	union := second.items
	seen := make(map[string]bool, len(union))
	for _, conn := range union {
		seen[conn.ScriptName] = true
	}
	for _, conn := range first.items {
		if !seen[conn.ScriptName] {
			seen[conn.ScriptName] = true
			union = append(union, conn)
		}
	}
	return nil, &ListGapError{Total: second.total, Listed: len(union), Passes: [2]int{len(first.items), len(second.items)}, Connectors: union}
}

// listPass is one reading of the whole list.
type listPass struct {
	items []Connector
	total int // -1 when the tenant sent no X-Total-Count
}

// matches reports whether the pass collected what the tenant counted (always
// true without a count).
func (p listPass) matches() bool { return p.total < 0 || len(p.items) == p.total }

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
