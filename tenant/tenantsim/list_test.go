package tenantsim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestListShowsReleasedOnlyInStableOrder(t *testing.T) {
	h := newHarness(t, Options{Seed: 3, Connectors: 60})
	got := h.list("")
	var want []string
	for _, c := range h.sim.Dump().Connectors {
		if c.Status == "RELEASED" {
			want = append(want, c.Name+"\x00"+c.ScriptName)
		}
	}
	slices.Sort(want)
	var names []string
	for _, c := range got {
		if c.Status != "RELEASED" {
			t.Errorf("listed %s with status %s", c.ScriptName, c.Status)
		}
		names = append(names, c.Name+"\x00"+c.ScriptName)
	}
	if !slices.Equal(names, want) {
		t.Errorf("list = %q,\nwant the RELEASED connectors sorted by name, scriptName: %q", names, want)
	}
	if len(got) == len(h.sim.Dump().Connectors) {
		t.Error("every connector is listed; the seed should make some unlisted")
	}
	builtins := 0
	for _, c := range got {
		if strings.HasPrefix(c.Type, "custom ") {
			continue
		}
		builtins++
	}
	if builtins != len(catalog()) {
		t.Errorf("%d built-in connectors listed, want the catalog's %d", builtins, len(catalog()))
	}
}

func TestListPaging(t *testing.T) {
	h := newHarness(t, Options{Seed: 5, Connectors: 40})
	all := h.list("")
	if len(all) < 30 {
		t.Fatalf("only %d connectors listed", len(all))
	}
	var paged []connectorDto
	for off := 0; ; off += 7 {
		page := h.list("limit=7&offset=" + strconv.Itoa(off))
		paged = append(paged, page...)
		if len(page) < 7 {
			break
		}
	}
	if len(paged) != len(all) {
		t.Fatalf("paging by 7 gave %d connectors, one page gave %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i].ScriptName != all[i].ScriptName {
			t.Fatalf("item %d: paged %s, whole %s", i, paged[i].ScriptName, all[i].ScriptName)
		}
	}

	tests := []struct {
		query     string
		wantLen   int
		wantTotal string // X-Total-Count, "" = absent
	}{
		{"limit=0", 0, ""},
		{"limit=0&count=true", 0, strconv.Itoa(len(all))},
		{"limit=3&offset=2&count=true", 3, strconv.Itoa(len(all))},
		{"offset=" + strconv.Itoa(len(all)-1) + "&count=false", 1, ""},
		{"offset=100000", 0, ""},
		{"limit=250", len(all), ""},
		{"filters=" + url.QueryEscape(`type sw "custom"`) + "&count=true&limit=1", 1, strconv.Itoa(len(all) - len(catalog()))},
		{"locale=de", len(all), ""},
		{"locale=xx", len(all), ""}, // an unknown locale falls back to en
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := h.get("?" + tt.query).mustOK(t)
			var got []connectorDto
			res.decode(t, &got)
			if len(got) != tt.wantLen {
				t.Errorf("%d items, want %d", len(got), tt.wantLen)
			}
			if tc := res.header.Get("X-Total-Count"); tc != tt.wantTotal {
				t.Errorf("X-Total-Count = %q, want %q", tc, tt.wantTotal)
			}
		})
	}
}

func TestListManyConnectors(t *testing.T) {
	h := newHarness(t, Options{Seed: 9, Connectors: 2000})
	seen := map[string]bool{}
	total := -1
	for off := 0; ; off += 250 {
		res := h.get("?count=true&offset=" + strconv.Itoa(off)).mustOK(t)
		total, _ = strconv.Atoi(res.header.Get("X-Total-Count"))
		var page []connectorDto
		res.decode(t, &page)
		for _, c := range page {
			if seen[c.ScriptName] {
				t.Fatalf("%s listed twice", c.ScriptName)
			}
			seen[c.ScriptName] = true
		}
		if len(page) < 250 {
			break
		}
	}
	if len(seen) != total || total < 1500 {
		t.Errorf("paged %d connectors, X-Total-Count %d", len(seen), total)
	}
}

func TestListPageCapAndOffsetPastEnd(t *testing.T) {
	h := newHarness(t, Options{Seed: 5, Connectors: 40, PageCap: 10, RejectOffsetPastEnd: true})
	total := len(h.list("offset=0&limit=0")) // limit=0: an empty page
	if total != 0 {
		t.Fatalf("limit=0 gave %d items", total)
	}
	first := h.list("limit=250")
	if len(first) != 10 {
		t.Fatalf("PageCap 10: a page of limit 250 has %d items", len(first))
	}
	res := h.get("?count=true&limit=1")
	n, err := strconv.Atoi(res.mustOK(t).header.Get("X-Total-Count"))
	if err != nil {
		t.Fatal(err)
	}
	if last := h.list("limit=250&offset=" + strconv.Itoa(n-1)); len(last) != 1 {
		t.Fatalf("the last item's offset gave %d items", len(last))
	}
	for _, off := range []int{n, n + 1, 100000} {
		res := h.get("?offset=" + strconv.Itoa(off))
		if res.status != 400 || !strings.Contains(string(res.body), "offset is invalid") {
			t.Errorf("offset %d of %d: status %d %s, want 400 offset is invalid", off, n, res.status, res.body)
		}
	}
}
