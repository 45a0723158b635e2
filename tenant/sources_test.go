package tenant

import (
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// sourcesSpecPath maps /v2025/sources… onto the spec's /sources….
func sourcesSpecPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v2025/sources")
	if !ok || (rest != "" && rest[0] != '/') {
		return "", false
	}
	return "/sources" + rest, true
}

// TestSourceRequestsAndAnswersMatchTheSpec drives the three Sources
// operations, successes and refusals, through a transport that validates
// every request and answer against testdata/spec/sources-subset-v2025.yaml.
func TestSourceRequestsAndAnswersMatchTheSpec(t *testing.T) {
	v := loadSpecValidator(t, "../testdata/spec/sources-subset-v2025.yaml", sourcesSpecPath, nil)
	sim, url := startSim(t, tenantsim.Options{Seed: 41, Connectors: 20})
	c := newTestClient(t, url, func(o *Options) { o.Transport = v })
	ctx := t.Context()

	all, err := c.ListAllSources(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(sim.Dump().Sources); len(all) != want || want == 0 {
		t.Fatalf("listed %d sources, the tenant has %d", len(all), want)
	}
	page, err := c.ListSources(ctx, SourceListOptions{Filters: Sw("name", all[0].Name[:2]).String(), Sorters: "name,-created", Limit: 5, Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total < 1 || len(page.Items) == 0 {
		t.Errorf("filtered page: %d items of %d", len(page.Items), page.Total)
	}
	got, err := c.GetSource(ctx, all[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Connector == "" || got.Connector != all[0].Connector || got.ConnectorClass == "" {
		t.Errorf("source %+v: no connector", got)
	}
	up, err := c.UploadConnectorFile(ctx, got.ID, "ojdbc11.jar", []byte("PK jar"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(up.UploadedFiles(), "ojdbc11.jar") {
		t.Errorf("after the upload the source lists files %v", up.UploadedFiles())
	}

	if _, err := c.GetSource(ctx, "missing"); !IsNotFound(err) {
		t.Errorf("missing source: %v", err)
	}
	if _, err := c.ListSources(ctx, SourceListOptions{Filters: Eq("connector", "x").String()}); !IsStatus(err, 400) {
		t.Errorf("filter on connector: %v, want 400", err)
	}
	sim.SetScopes("idn:connector-config:manage")
	if _, err := c.ListAllSources(ctx, ""); !IsForbidden(err) {
		t.Errorf("list without a source scope: %v, want 403", err)
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range v.problems {
		t.Error(p)
	}
	for _, op := range []string{opListSources, opGetSource, opImportConnectorFile} {
		if v.checked[op] == 0 {
			t.Errorf("operation %s was never checked", op)
		}
	}
}

// TestListAllSourcesReadsEveryPage: more than one page, each source once,
// and no request beyond the announced total.
func TestListAllSourcesReadsEveryPage(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 42, Connectors: 300})
	c := newTestClient(t, url, nil)
	all, err := c.ListAllSources(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := sim.Dump().Sources
	if len(want) <= 250 {
		t.Fatalf("the test needs more than one page; the tenant has %d sources", len(want))
	}
	ids := map[string]bool{}
	for _, s := range all {
		ids[s.ID] = true
	}
	for _, s := range want {
		if !ids[s.ID] {
			t.Errorf("source %q (%s) not listed", s.Name, s.ID)
		}
	}
	if len(all) != len(want) {
		t.Errorf("listed %d, tenant has %d", len(all), len(want))
	}
	pages := (len(want) + 249) / 250
	if n := statusCount(sim.Stats(), "listSources", 200); n != pages {
		t.Errorf("%d list requests for %d sources, want %d", n, len(want), pages)
	}
}

// TestListAllSourcesUnderPageCaps: a tenant serving pages shorter than the
// limit, and refusing offsets past the end, still gives every source.
func TestListAllSourcesUnderPageCaps(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 43, Connectors: 30, PageCap: 7, RejectOffsetPastEnd: true})
	c := newTestClient(t, url, nil)
	all, err := c.ListAllSources(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(sim.Dump().Sources); len(all) != want {
		t.Errorf("listed %d of %d sources", len(all), want)
	}
}
