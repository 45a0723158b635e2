package tenantsim

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sourcesHarness is a harness whose requests go to the Sources API.
func sourcesHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := newHarness(t, opts)
	h.prefix = "/v2025/sources"
	return h
}

func (h *harness) sources(query string) []sourceDto {
	h.t.Helper()
	var out []sourceDto
	h.get("?"+query).mustOK(h.t).decode(h.t, &out)
	return out
}

func sourceNames(ss []sourceDto) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// TestSeededSourcesUseTheTenantsConnectors: every hidden custom connector has
// a source, some connectors have none, and each source names an existing
// connector with its className.
func TestSeededSourcesUseTheTenantsConnectors(t *testing.T) {
	s := New(Options{Seed: 22, Connectors: 12})
	d := s.Dump()
	byScript := map[string]DumpConnector{}
	for _, c := range d.Connectors {
		byScript[c.ScriptName] = c
	}
	used := map[string]int{}
	for _, src := range d.Sources {
		c, ok := byScript[src.Connector]
		if !ok {
			t.Fatalf("source %q names connector %q, which the tenant lacks", src.Name, src.Connector)
		}
		if src.ConnectorClass != c.ClassName {
			t.Errorf("source %q: connectorClass %q, connector's className %q", src.Name, src.ConnectorClass, c.ClassName)
		}
		used[src.Connector]++
	}
	hidden, unused := 0, 0
	for _, c := range d.Connectors {
		if c.BuiltIn {
			continue
		}
		if c.Status != "RELEASED" {
			hidden++
			if used[c.ScriptName] == 0 {
				t.Errorf("hidden connector %q (%s) has no source", c.Name, c.Status)
			}
		}
		if used[c.ScriptName] == 0 {
			unused++
		}
	}
	if hidden == 0 || unused == 0 {
		t.Errorf("seed 22 should have hidden connectors (%d) and connectors without a source (%d)", hidden, unused)
	}
	if !reflectEqualSources(d.Sources, New(Options{Seed: 22, Connectors: 12}).Dump().Sources) {
		t.Error("the same seed gave other sources")
	}
}

func reflectEqualSources(a, b []DumpSource) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestListSourcesPagesFiltersAndSorts(t *testing.T) {
	h := sourcesHarness(t, Options{Seed: 3, Connectors: 60})
	all := h.sources("")
	if len(all) < 40 {
		t.Fatalf("only %d sources for 60 connectors", len(all))
	}
	res := h.get("?limit=10&offset=5&count=true").mustOK(t)
	var page []sourceDto
	res.decode(t, &page)
	if got := res.header.Get("X-Total-Count"); got != strconv.Itoa(len(all)) {
		t.Errorf("X-Total-Count %q, want %d", got, len(all))
	}
	if !slices.Equal(sourceNames(page), sourceNames(all[5:15])) {
		t.Errorf("page 5..15 = %v, want %v", sourceNames(page), sourceNames(all[5:15]))
	}
	name := all[7].Name
	for _, tt := range []struct {
		filter string
		want   func(sourceDto) bool
	}{
		{`name eq "` + name + `"`, func(s sourceDto) bool { return strings.EqualFold(s.Name, name) }},
		{`name sw "` + name[:3] + `"`, func(s sourceDto) bool { return strings.HasPrefix(strings.ToLower(s.Name), strings.ToLower(name[:3])) }},
		{`authoritative eq true`, func(s sourceDto) bool { return s.Authoritative }},
		{`id in ("` + all[0].ID + `","` + all[1].ID + `")`, func(s sourceDto) bool { return s.ID == all[0].ID || s.ID == all[1].ID }},
		{`connectionType eq "file" or not (healthy isnull)`, func(sourceDto) bool { return true }},
		{`created gt 2024-06-30T00:00:00Z`, func(s sourceDto) bool { return s.Created > "2024-06-30" }},
		{`features ca ("PROVISIONING")`, func(s sourceDto) bool { return slices.Contains(s.Features, "PROVISIONING") }},
	} {
		got := h.sources("filters=" + url.QueryEscape(tt.filter))
		var want []string
		for _, s := range all {
			if tt.want(s) {
				want = append(want, s.Name)
			}
		}
		if !slices.Equal(sourceNames(got), want) || len(want) == 0 {
			t.Errorf("filter %s: got %d %v, want %d", tt.filter, len(got), sourceNames(got), len(want))
		}
	}
	byID := h.sources("sorters=-id")
	if len(byID) != len(all) || !slices.IsSortedFunc(byID, func(a, b sourceDto) int { return strings.Compare(b.ID, a.ID) }) {
		t.Error("sorters=-id did not sort by id, descending")
	}
	for _, bad := range []string{"filters=" + url.QueryEscape(`connector eq "x"`), "filters=" + url.QueryEscape(`healthy eq true`),
		"sorters=connector", "limit=251", "count=yes"} {
		res := h.get("?" + bad)
		if res.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, res.status)
			continue
		}
		if txt := res.errorText(t); bad[0] == 'f' && !strings.Contains(txt, "no filter on connector") {
			t.Errorf("%s: the error does not list the filterable fields: %s", bad, txt)
		}
	}
}

func TestSourceCannotBeRepointed(t *testing.T) {
	h := sourcesHarness(t, Options{Seed: 4, Connectors: 10})
	src := h.sources("limit=1")[0]
	body := func(connector, class string) []byte {
		b, _ := json.Marshal(map[string]any{"name": "Renamed", "owner": src.Owner, "connector": connector, "connectorClass": class})
		return b
	}
	for _, tt := range []struct {
		what string
		res  result
	}{
		{"PUT connector", h.api(http.MethodPut, "/"+src.ID, body("other-connector", src.ConnectorClass), "application/json")},
		{"PUT connectorClass", h.api(http.MethodPut, "/"+src.ID, body(src.Connector, "sailpoint.connector.Other"), "application/json")},
		{"PATCH connector", h.patch("/"+src.ID, map[string]any{"op": "replace", "path": "/connector", "value": "other"})},
		{"PATCH connectorClass", h.patch("/"+src.ID, map[string]any{"op": "replace", "path": "/connectorClass", "value": "x.Y"})},
	} {
		if tt.res.status != http.StatusBadRequest || !strings.Contains(tt.res.errorText(t), "cannot be changed") {
			t.Errorf("%s: status %d %s, want 400 naming the field", tt.what, tt.res.status, tt.res.body)
		}
	}
	var after sourceDto
	h.get("/"+src.ID).mustOK(t).decode(t, &after)
	if after.Connector != src.Connector || after.Name != src.Name {
		t.Fatalf("a refused change changed the source: %+v", after)
	}
	h.api(http.MethodPut, "/"+src.ID, body(src.Connector, src.ConnectorClass), "application/json").mustOK(t)
	h.patch("/"+src.ID, map[string]any{"op": "replace", "path": "/description", "value": "new"}).mustOK(t)
	h.get("/"+src.ID).mustOK(t).decode(t, &after)
	if after.Name != "Renamed" || after.Description != "new" || after.Connector != src.Connector {
		t.Errorf("allowed changes not applied: %+v", after)
	}
	if res := h.get("/nope"); res.status != http.StatusNotFound {
		t.Errorf("unknown source: %d", res.status)
	}
}

func uploadBody(t *testing.T, filename string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte("PK\x03\x04 jar bytes"))
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestUploadConnectorFileRecordsNames(t *testing.T) {
	h := sourcesHarness(t, Options{Seed: 5, Connectors: 8})
	src := h.sources("limit=1")[0]
	before := src.ConnectorAttributes[connectorFilesAttribute]
	for _, name := range []string{"ojdbc11.jar", `C:\drivers\ojdbc11.jar`, "extra.jar"} {
		b, ct := uploadBody(t, name)
		h.api(http.MethodPost, "/"+src.ID+"/upload-connector-file", b, ct).mustOK(t)
	}
	var after sourceDto
	h.get("/"+src.ID).mustOK(t).decode(t, &after)
	got, _ := after.ConnectorAttributes[connectorFilesAttribute].(string)
	want := "ojdbc11.jar,extra.jar"
	if before != nil {
		want = before.(string) + "," + want
	}
	if got != want {
		t.Errorf("connector files %q, want %q", got, want)
	}
	if d := h.sim.Dump(); !slices.ContainsFunc(d.Sources, func(s DumpSource) bool { return s.ID == src.ID && slices.Contains(s.UploadedFiles, "extra.jar") }) {
		t.Error("the dump does not show the upload")
	}
	b, ct := multipartFile("notfile", "x")
	if res := h.api(http.MethodPost, "/"+src.ID+"/upload-connector-file", b, ct); res.status != http.StatusBadRequest {
		t.Errorf("upload without part file: %d", res.status)
	}
}

func TestSourceScopesAreChecked(t *testing.T) {
	h := sourcesHarness(t, Options{Seed: 6, Connectors: 4, Scopes: []string{"idn:connector-config:read"}})
	src := h.sim.Dump().Sources[0]
	b, ct := uploadBody(t, "a.jar")
	for _, res := range []result{h.get(""), h.get("/" + src.ID), h.api(http.MethodPost, "/"+src.ID+"/upload-connector-file", b, ct)} {
		if res.status != http.StatusForbidden || !strings.Contains(res.errorText(t), "idn:sources") {
			t.Errorf("without source scopes: status %d %s, want 403 naming the scope", res.status, res.body)
		}
	}
	h.prefix = "/v2025/connectors"
	h.get("").mustOK(t) // the connector scope still reads connectors
	h.sim.SetScopes("idn:sources:read")
	h.prefix = "/v2025/sources"
	h.get("").mustOK(t)
	if res := h.api(http.MethodPost, "/"+src.ID+"/upload-connector-file", b, ct); res.status != http.StatusForbidden {
		t.Errorf("upload with idn:sources:read only: %d, want 403", res.status)
	}
	h.sim.SetScopes("idn:sources-admin:manage")
	h.api(http.MethodPost, "/"+src.ID+"/upload-connector-file", b, ct).mustOK(t)
}

// TestSourcesSurviveSaveAndLoad: --state keeps sources, uploads included.
func TestSourcesSurviveSaveAndLoad(t *testing.T) {
	a := New(Options{Seed: 7, Connectors: 6})
	d := a.Dump()
	d.Sources[0].UploadedFiles = append(d.Sources[0].UploadedFiles, "kept.jar")
	if err := a.Restore(d); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := a.Save(&buf); err != nil {
		t.Fatal(err)
	}
	b := New(Options{Seed: 99})
	if err := b.Load(&buf); err != nil {
		t.Fatal(err)
	}
	if !reflectEqualSources(b.Dump().Sources, a.Dump().Sources) {
		t.Error("sources changed through Save and Load")
	}
	bad := a.Dump()
	bad.Sources[1].ID = bad.Sources[0].ID
	if err := b.Restore(bad); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate source id restored: %v", err)
	}
}
