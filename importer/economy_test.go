package importer

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// ops returns the count of requests per operationId in st (every status).
func ops(st tenantsim.Stats) map[string]int {
	out := map[string]int{}
	for op, byStatus := range st.ByOperation {
		for _, n := range byStatus {
			out[op] += n
		}
	}
	return out
}

// edited returns cs with every connector's source config and the
// translations of its first locale changed, as a new version of a bundle.
func edited(cs []bundle.Connector) []bundle.Connector {
	out := make([]bundle.Connector, len(cs))
	for i, c := range cs {
		c.SourceConfig = append(bytes.Clone(c.SourceConfig), "\n<!-- v2 -->"...)
		tr := map[string][]byte{}
		for l, b := range c.Translations {
			tr[l] = b
		}
		if ls := sortedKeys(tr); len(ls) > 0 {
			tr[ls[0]] = append(bytes.Clone(tr[ls[0]]), "\nv2.label=v2\n"...)
		}
		c.Translations = tr
		out[i] = c
	}
	return out
}

func sortedKeys(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestImportSpendsFewRequests: a created connector costs its create, one
// PATCH for the XML parts and metadata, one PUT per locale and nothing to
// read it back (the PATCH answers with the detail); an updated one its
// planning read, one PATCH and a PUT per changed locale; an unchanged
// re-import only the list and one read per connector.
func TestImportSpendsFewRequests(t *testing.T) {
	t.Parallel()
	src := exportSource(t, newTenant(t, sandboxOpts()))
	target := newTenant(t, tenantsim.Options{Seed: 3, Connectors: 0})
	n, locales := len(src.Connectors), 0
	for _, c := range src.Connectors {
		locales += len(c.Translations)
	}

	opts := testOptions(t) // one state directory: later runs find the unlisted connectors this one created
	mustImport(t, target.client(t), src, opts)
	st := target.sim.Stats()
	got := ops(st)
	want := map[string]int{"getConnectorList": 1, "createCustomConnector": n, "updateConnector": n, "putConnectorTranslations": locales}
	for op, w := range want {
		if got[op] != w {
			t.Errorf("create: %d %s, want %d (all: %v)", got[op], op, w, got)
		}
	}
	if st.Total > 3*n+locales {
		t.Errorf("create: %d requests for %d connectors with %d locales, want at most 3 + locales each (%d)", st.Total, n, locales, 3*n+locales)
	}

	v2 := writeSource(t, src.Manifest.Source.URL, edited(src.Connectors), nil)
	target.sim.ResetStats()
	mustImport(t, target.client(t), v2, opts)
	st = target.sim.Stats()
	got = ops(st)
	want = map[string]int{"getConnectorList": 1, "getConnector": n, "updateConnector": n, "putConnectorTranslations": n}
	for op, w := range want {
		if got[op] != w {
			t.Errorf("update: %d %s, want %d (all: %v)", got[op], op, w, got)
		}
	}
	if st.Total > 1+3*n {
		t.Errorf("update: %d requests for %d connectors with one changed locale each, want at most 2 + 1 each and a list (%d)", st.Total, n, 1+3*n)
	}

	target.sim.ResetStats()
	mustImport(t, target.client(t), v2, opts)
	st = target.sim.Stats()
	if got := ops(st); st.Total != 1+n || got["getConnector"] != n || st.Writes != 0 {
		t.Errorf("unchanged re-import: %d requests, %d writes (%v), want the list and %d reads", st.Total, st.Writes, got, n)
	}
}

// refusePatchXML is a tenant that refuses a PATCH of the XML fields with a
// 400, as one that takes them only through their own endpoints would.
type refusePatchXML struct {
	sim     *tenantsim.Sim
	refused int
}

func (h *refusePatchXML) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `Xml"`) {
			h.refused++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"detailCode":"400.1 Bad Request Content","messages":[{"text":"only /connectorMetadata is patchable"}]}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	h.sim.ServeHTTP(w, r)
}

func TestImportPutsXMLWhenPatchIsRefused(t *testing.T) {
	t.Parallel()
	src := exportSource(t, newTenant(t, sandboxOpts()))
	reference := newTenant(t, tenantsim.Options{Seed: 3, Connectors: 0})
	mustImport(t, reference.client(t), src, testOptions(t))

	h := &refusePatchXML{sim: tenantsim.New(tenantsim.Options{Seed: 3, Connectors: 0})}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	target := tenantFixture{sim: h.sim, url: srv.URL}
	opts := testOptions(t)
	opts.Concurrency = 1 // the first connector meets the refusal, the others PUT from the start
	mustImport(t, target.client(t), src, opts)
	if d := diffDumps(reference.sim.Dump(), h.sim.Dump()); len(d) > 0 {
		t.Fatalf("import through PUTs differs from the one through PATCH: %v", d)
	}
	got := ops(h.sim.Stats())
	if h.refused != 1 || got["putConnectorSourceConfig"] != len(src.Connectors) {
		t.Fatalf("%d PATCHes refused and %d source-config PUTs for %d connectors, want one refusal, then PUTs", h.refused, got["putConnectorSourceConfig"], len(src.Connectors))
	}
}
