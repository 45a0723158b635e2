package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// newClientVia returns a client of the simulated tenant at url with no rate
// limit and tiny backoffs, sending through rt (nil: the default transport).
func newClientVia(t *testing.T, url string, rt http.RoundTripper) *tenant.Client {
	t.Helper()
	c, err := tenant.New(tenant.Options{BaseURL: url, ClientID: "sim-client", ClientSecret: "sim-secret",
		Rate: tenant.Unlimited(), MaxAttempts: 20, BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond, Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// leftOut returns "reason scriptName" of each connector left out.
func leftOut(cov bundle.Coverage) []string {
	var out []string
	for _, lo := range cov.LeftOut {
		out = append(out, string(lo.Reason)+" "+lo.ScriptName)
	}
	return out
}

// The tenant lists exactly a multiple of the page size, and ISC answers an
// offset at the total with 400: the export is complete all the same.
func TestExportOfExactlyAPageOfConnectors(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{RejectOffsetPastEnd: true})
	d := sim.Dump()
	for i := len(d.Connectors); i < 250; i++ {
		d.Connectors = append(d.Connectors, tenantsim.DumpConnector{ScriptName: fmt.Sprintf("c%03d-x1", i), Name: fmt.Sprintf("C %03d", i),
			Type: "custom", ClassName: "x.Y", Status: "RELEASED"})
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	res := mustExport(t, newClient(t, url), filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Locales: []string{"detail"}})
	if !res.Manifest.Complete || res.Coverage.Listed != 250 || res.Coverage.ListTotal != 250 {
		t.Fatalf("complete %v, coverage %+v; want all 250 listed", res.Manifest.Complete, res.Coverage)
	}
}

// A list that loses a connector on both passes makes the export incomplete,
// and the manifest names the gap.
func TestListGapMakesTheExportIncomplete(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{RejectOffsetPastEnd: true, PageCap: 5, Seed: 3, Connectors: 10})
	_ = sim
	lose := http.RoundTripper(roundTrip(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || req.URL.Path != "/v2025/connectors" || req.URL.Query().Get("offset") != "5" {
			return resp, err
		}
		defer resp.Body.Close()
		var items []json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(items[1:])
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return resp, nil
	}))
	res := mustExport(t, newClientVia(t, url, lose), filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Locales: []string{"detail"}})
	m := res.Manifest
	if m.Complete || m.Coverage == nil || m.Coverage.ListGap == "" || !strings.Contains(m.Coverage.ListGap, "1 missing") {
		t.Fatalf("complete %v, coverage %+v: want an incomplete bundle naming the gap", m.Complete, m.Coverage)
	}
	if len(m.Errors) != 1 || m.Errors[0].Part != "list" || m.Errors[0].Error != m.Coverage.ListGap {
		t.Errorf("errors %+v, want one for the list naming the gap", m.Errors)
	}
	if m.Coverage.Listed != m.Coverage.ListTotal-1 {
		t.Errorf("coverage listed %d, counted %d", m.Coverage.Listed, m.Coverage.ListTotal)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The coverage lists every connector known but not exported, with the
// reason, and counts the listed and the hidden named ones.
func TestCoverageNamesEveryConnectorLeftOut(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 11, Connectors: 30})
	d := sim.Dump()
	named := hidden(d)[:2]
	listed := scriptNames(d, func(c tenantsim.DumpConnector) bool { return c.Status == "RELEASED" })
	var excluded tenantsim.DumpConnector
	for _, c := range d.Connectors {
		if listedCustom(c) {
			excluded = c
			break
		}
	}
	res := mustExport(t, newClient(t, url), filepath.Join(t.TempDir(), "a.tar.gz"),
		export.Options{ScriptNames: named, Exclude: []string{excluded.Name}, Locales: []string{"detail"}})
	cov := res.Manifest.Coverage
	if cov == nil {
		t.Fatal("the manifest has no coverage")
	}
	if cov.Listed != len(listed) || cov.ListTotal != len(listed) || !slices.Equal(cov.Hidden, slices.Sorted(slices.Values(named))) {
		t.Errorf("coverage listed %d (counted %d), hidden %q; want %d listed, hidden %q", cov.Listed, cov.ListTotal, cov.Hidden, len(listed), named)
	}
	var want []string
	for _, c := range d.Connectors {
		switch {
		case c.BuiltIn:
			want = append(want, "sailpoint-owned "+c.ScriptName)
		case c.ScriptName == excluded.ScriptName:
			want = append(want, "filtered "+c.ScriptName)
		}
	}
	slices.Sort(want)
	got := leftOut(*cov)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("left out %q,\nwant %q", got, want)
	}
	for _, lo := range cov.LeftOut {
		if lo.Reason == bundle.LeftOutFiltered && !strings.Contains(lo.Rule, "--exclude") {
			t.Errorf("filtered %s: rule %q does not name the filter", lo.ScriptName, lo.Rule)
		}
	}
	// Every connector the tenant has is accounted for: exported or left
	// out, but for the hidden ones nobody named.
	accounted := len(res.Manifest.Connectors) + len(cov.LeftOut) + len(hidden(d)) - len(named)
	if accounted != len(d.Connectors) {
		t.Errorf("%d exported + %d left out + %d hidden unnamed = %d, the tenant has %d",
			len(res.Manifest.Connectors), len(cov.LeftOut), len(hidden(d))-len(named), accounted, len(d.Connectors))
	}
}

// Hidden connectors named once are carried forward by later exports that
// are given the earlier bundle, without naming them again; one deleted from
// the tenant since is left out as gone, and the backup stays complete.
func TestHiddenConnectorsCarryForward(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 12, Connectors: 60})
	d := sim.Dump()
	named := hidden(d)
	if len(named) < 2 {
		t.Fatalf("the tenant has %d hidden connectors, want at least 2", len(named))
	}
	c := newClient(t, url)
	dir := t.TempDir()
	first := mustExport(t, c, filepath.Join(dir, "mon.tar.gz"), export.Options{ScriptNames: named, Locales: []string{"detail"}})

	carried := export.CarryForward(first.Manifest)
	var got []string
	for _, h := range carried {
		got = append(got, h.ScriptName)
		if h.Name == "" {
			t.Errorf("carried %s without its name", h.ScriptName)
		}
	}
	if !slices.Equal(got, slices.Sorted(slices.Values(named))) {
		t.Fatalf("carried %q, want the hidden connectors named %q", got, named)
	}
	second := mustExport(t, c, filepath.Join(dir, "tue.tar.gz"),
		export.Options{CarryForward: carried, CarriedFrom: []string{"mon.tar.gz"}, Locales: []string{"detail"}})
	if !slices.Equal(entryNames(second.Manifest), entryNames(first.Manifest)) {
		t.Errorf("the carried export holds %q, the first %q", entryNames(second.Manifest), entryNames(first.Manifest))
	}
	if !slices.Equal(second.Coverage.Hidden, first.Coverage.Hidden) || !slices.Equal(second.Coverage.CarriedFrom, []string{"mon.tar.gz"}) {
		t.Errorf("coverage %+v, want the hidden ones carried from mon.tar.gz", second.Coverage)
	}

	// A bundle written before coverage existed carries its non-RELEASED
	// connectors.
	old := second.Manifest
	old.Coverage = nil
	if n := len(export.CarryForward(old)); n != len(named) {
		t.Errorf("a manifest without coverage carries %d connectors, want %d", n, len(named))
	}

	// Delete one hidden connector: the next export leaves it out as gone.
	d.Connectors = slices.DeleteFunc(d.Connectors, func(c tenantsim.DumpConnector) bool { return c.ScriptName == named[0] })
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	third := mustExport(t, c, filepath.Join(dir, "wed.tar.gz"), export.Options{CarryForward: export.CarryForward(second.Manifest), Locales: []string{"detail"}})
	if !third.Manifest.Complete || slices.Contains(third.Coverage.Hidden, named[0]) {
		t.Errorf("complete %v, hidden %q: want complete, %s no longer carried", third.Manifest.Complete, third.Coverage.Hidden, named[0])
	}
	if !slices.Contains(leftOut(third.Coverage), "gone "+named[0]) {
		t.Errorf("left out %q, want %s as gone", leftOut(third.Coverage), named[0])
	}
}

// Under a list order that changes between calls (list-order=unstable, with
// pages capped), the export lists again until the passes joined reach the
// tenant's count, and is complete. When a connector never shows (here the
// list always loses one), the gap message, the coverage's counts and the
// bundle agree: listed is the number of distinct scriptNames collected over
// every pass, which are exactly those the bundle holds or leaves out, and the
// message states that number against the tenant's count.
func TestListGapCountsAgreeUnderUnstableOrder(t *testing.T) {
	t.Parallel()
	for _, pageCap := range []int{3, 7} {
		for _, lose := range []bool{false, true} {
			t.Run(fmt.Sprintf("page-cap=%d/lose=%t", pageCap, lose), func(t *testing.T) {
				t.Parallel()
				sim, url := newSim(t, tenantsim.Options{Seed: 21, Connectors: 40, MaxLocales: 1,
					Variants: tenantsim.Variants{ListOrder: "unstable", PageCap: pageCap}})
				var rt http.RoundTripper
				if lose {
					lost := scriptNames(sim.Dump(), listedCustom)[0]
					rt = roundTrip(func(req *http.Request) (*http.Response, error) {
						resp, err := http.DefaultTransport.RoundTrip(req)
						if err != nil || req.URL.Path != "/v2025/connectors" {
							return resp, err
						}
						defer resp.Body.Close()
						var items []map[string]any
						if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
							return nil, err
						}
						b, _ := json.Marshal(slices.DeleteFunc(items, func(it map[string]any) bool { return it["scriptName"] == lost }))
						resp.Body = io.NopCloser(bytes.NewReader(b))
						resp.ContentLength = int64(len(b))
						resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
						return resp, nil
					})
				}
				res := mustExport(t, newClientVia(t, url, rt), filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Locales: []string{"detail"}})
				m, cov := res.Manifest, res.Coverage
				if m.Coverage == nil || !reflect.DeepEqual(*m.Coverage, cov) {
					t.Fatalf("manifest coverage %+v, result coverage %+v: want the same", m.Coverage, cov)
				}
				if got := len(m.Connectors) + len(cov.LeftOut); cov.Listed != got {
					t.Errorf("coverage listed %d, but the bundle holds %d and leaves out %d: %d distinct connectors were listed",
						cov.Listed, len(m.Connectors), len(cov.LeftOut), got)
				}
				if !lose {
					if cov.ListGap != "" || cov.Listed != cov.ListTotal || !m.Complete {
						t.Errorf("gap %q, listed %d of %d, complete %v: want every connector listed over several passes", cov.ListGap, cov.Listed, cov.ListTotal, m.Complete)
					}
					return
				}
				if want := fmt.Sprintf("listed %d of the %d connectors", cov.Listed, cov.ListTotal); cov.ListGap == "" || !strings.Contains(cov.ListGap, want) || cov.Listed != cov.ListTotal-1 {
					t.Errorf("gap %q does not state the coverage's counts (%q), or more than the lost connector is missing", cov.ListGap, want)
				}
				if m.Complete || len(m.Errors) != 1 || m.Errors[0].Part != bundle.PartList || m.Errors[0].Error != cov.ListGap {
					t.Errorf("complete %v, errors %+v: want incomplete with the gap as its one error", m.Complete, m.Errors)
				}
			})
		}
	}
}
