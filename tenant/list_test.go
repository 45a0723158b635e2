package tenant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// simWithListed starts a simulator whose list shows exactly listed connectors
// (SailPoint's catalog included), plus two hidden DEVELOPMENT ones.
func simWithListed(t *testing.T, listed int, o tenantsim.Options) (*tenantsim.Sim, string) {
	t.Helper()
	sim, u := startSim(t, o)
	builtins := len(sim.Dump().Connectors)
	var d tenantsim.Dump
	for i := range listed - builtins + 2 {
		status := "RELEASED"
		if i < 2 {
			status = "DEVELOPMENT"
		}
		d.Connectors = append(d.Connectors, tenantsim.DumpConnector{
			ScriptName: fmt.Sprintf("c%04d-x1", i), Name: fmt.Sprintf("Connector %04d", i),
			Type: "custom", ClassName: simClassName, Status: status,
		})
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	return sim, u
}

// listOffsets returns the offsets of the list requests rec saw.
func listOffsets(t *testing.T, rec *recorder) []int {
	t.Helper()
	var out []int
	for _, r := range rec.all() {
		if r.path != "/v2025/connectors" || r.method != http.MethodGet {
			continue
		}
		q, err := url.ParseQuery(r.rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		off, _ := strconv.Atoi(q.Get("offset"))
		out = append(out, off)
	}
	return out
}

func TestListAllConnectorsCompleteByConstruction(t *testing.T) {
	tests := []struct {
		name            string
		listed, pageCap int
	}{
		{"exactly one page", 250, 0},
		{"exactly two pages", 500, 0},
		{"one more than a page", 251, 0},
		{"pages capped at 100", 250, 100},
		{"pages capped at 249", 498, 249},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, u := simWithListed(t, tt.listed, tenantsim.Options{PageCap: tt.pageCap, RejectOffsetPastEnd: true})
			rec := newRecorder()
			c := newTestClient(t, u, func(o *Options) { o.Transport = rec })
			all, err := c.ListAllConnectors(t.Context(), "", nil)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if len(all) != tt.listed {
				t.Fatalf("listed %d connectors, the tenant shows %d", len(all), tt.listed)
			}
			for _, off := range listOffsets(t, rec) {
				if off >= tt.listed {
					t.Errorf("asked for offset %d, at or beyond the total %d", off, tt.listed)
				}
			}
		})
	}
}

// dropItem is a transport that removes the item at position drop of every
// list page asked for with offset at (a connector the list loses), passes
// times at most.
func dropItem(at, passes int) http.RoundTripper {
	n := 0
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || req.URL.Path != "/v2025/connectors" || req.URL.Query().Get("offset") != strconv.Itoa(at) || n >= passes {
			return resp, err
		}
		n++
		return rewriteJSONArray(resp, func(items []any) []any { return items[1:] })
	})
}

func TestListAllConnectorsListsAgainOnAGap(t *testing.T) {
	tests := []struct {
		name     string
		passes   int // passes that lose a connector
		wantGap  bool
		wantList int
	}{
		{"one pass loses one", 1, false, 2},
		{"both passes lose one", 2, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, u := simWithListed(t, 300, tenantsim.Options{RejectOffsetPastEnd: true})
			rec := newRecorder()
			rec.next = dropItem(250, tt.passes)
			c := newTestClient(t, u, func(o *Options) { o.Transport = rec })
			all, err := c.ListAllConnectors(t.Context(), "", nil)
			var gap *ListGapError
			switch {
			case tt.wantGap && !errors.As(err, &gap):
				t.Fatalf("err = %v, want a *ListGapError", err)
			case tt.wantGap:
				if !errors.Is(err, ErrListIncomplete) || gap.Total != 300 || gap.Listed != 299 || len(gap.Connectors) != 299 {
					t.Fatalf("gap %+v (%d connectors): want 299 of 300", gap, len(gap.Connectors))
				}
				if !strings.Contains(err.Error(), "299 of the 300") || !strings.Contains(err.Error(), "1 missing") {
					t.Errorf("error %q does not name the gap", err)
				}
			case err != nil:
				t.Fatal(err)
			case len(all) != 300:
				t.Fatalf("listed %d of 300", len(all))
			}
			passes := 0
			for _, off := range listOffsets(t, rec) {
				if off == 0 {
					passes++
				}
			}
			if passes != tt.wantList {
				t.Errorf("the list was read %d times, want %d: offsets %v", passes, tt.wantList, listOffsets(t, rec))
			}
		})
	}
}

// rewriteJSONArray replaces the JSON array body of resp by edit's result.
func rewriteJSONArray(resp *http.Response, edit func([]any) []any) (*http.Response, error) {
	defer resp.Body.Close()
	var items []any
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return nil, err
	}
	b, err := json.Marshal(edit(items))
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return resp, nil
}

// A list gap's message states the distinct connectors seen over every pass
// against the count, and never reads "0 missing".
func TestListGapErrorSaysWhatWasSeen(t *testing.T) {
	for _, tt := range []struct {
		e    ListGapError
		want string
	}{
		{ListGapError{Total: 44, Listed: 42, Passes: []int{30, 27}}, "listed 42 of the 44 connectors the tenant counted (X-Total-Count), over 2 passes (30 and 27 on each): 2 missing"},
		{ListGapError{Total: 44, Listed: 45, Passes: []int{45, 43}}, "listed 45 of the 44 connectors the tenant counted (X-Total-Count), over 2 passes (45 and 43 on each): 1 more than counted (connectors created or deleted meanwhile?)"},
		{ListGapError{Total: 111, Listed: 110, Passes: []int{70, 72, 69}}, "listed 110 of the 111 connectors the tenant counted (X-Total-Count), over 3 passes (70, 72 and 69 on each): 1 missing"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

// Under a list order that changes between calls (list-order=unstable) and
// small pages, no single pass collects every connector; the passes joined
// by scriptName do, within the bound of passes, for every size.
func TestListAllConnectorsUnderUnstableOrder(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ listed, pageCap int }{{48, 20}, {111, 7}, {400, 3}} {
		t.Run(fmt.Sprintf("%d/page-cap=%d", tt.listed, tt.pageCap), func(t *testing.T) {
			t.Parallel()
			_, u := simWithListed(t, tt.listed, tenantsim.Options{Variants: tenantsim.Variants{ListOrder: "unstable", PageCap: tt.pageCap}})
			rec := newRecorder()
			c := newTestClient(t, u, func(o *Options) { o.Transport = rec })
			all, err := c.ListAllConnectors(t.Context(), "", nil)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			seen := map[string]bool{}
			for _, conn := range all {
				seen[conn.ScriptName] = true
			}
			if len(all) != tt.listed || len(seen) != tt.listed {
				t.Fatalf("listed %d connectors (%d distinct), the tenant shows %d", len(all), len(seen), tt.listed)
			}
			passes := 0
			for _, off := range listOffsets(t, rec) {
				if off == 0 {
					passes++
				}
			}
			if passes < 2 || passes > maxListPasses(tt.listed) {
				t.Errorf("read the list %d times, want more than once (no pass alone is complete) and at most %d", passes, maxListPasses(tt.listed))
			}
		})
	}
}

// A connector an unstable list never serves is a gap after the bound of
// passes (never an endless listing), and the error says what was seen.
func TestListAllConnectorsUnderUnstableOrderGivesUp(t *testing.T) {
	_, u := simWithListed(t, 60, tenantsim.Options{Variants: tenantsim.Variants{ListOrder: "unstable", PageCap: 9}})
	hide := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || req.URL.Path != "/v2025/connectors" {
			return resp, err
		}
		return rewriteJSONArray(resp, func(items []any) []any {
			return slices.DeleteFunc(items, func(it any) bool { return it.(map[string]any)["scriptName"] == "c0010-x1" })
		})
	})
	rec := newRecorder()
	rec.next = hide
	c := newTestClient(t, u, func(o *Options) { o.Transport = rec })
	_, err := c.ListAllConnectors(t.Context(), "", nil)
	var gap *ListGapError
	if !errors.As(err, &gap) {
		t.Fatalf("err = %v, want a *ListGapError", err)
	}
	if gap.Listed != 59 || len(gap.Passes) != maxListPasses(60) || !strings.Contains(err.Error(), "59 of the 60") || !strings.Contains(err.Error(), "1 missing") {
		t.Errorf("gap %v over %d passes; want 59 of 60 over %d", err, len(gap.Passes), maxListPasses(60))
	}
}
