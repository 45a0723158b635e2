package tenant

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestOperationsBothSurfaces runs all 13 operations on each API surface and
// checks what the tenant ends up holding.
func TestOperationsBothSurfaces(t *testing.T) {
	for _, api := range []string{"v2025", "v1"} {
		t.Run(api, func(t *testing.T) {
			sim, url := startSim(t, tenantsim.Options{Seed: 1, Connectors: 3})
			rec := newRecorder()
			c := newTestClient(t, url, func(o *Options) { o.API, o.Transport = api, rec })
			ctx := t.Context()

			page, err := c.ListConnectors(ctx, ListOptions{Count: true, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 5 || page.Total < 5 {
				t.Fatalf("list: %d items, total %d; want 5 items of at least 5", len(page.Items), page.Total)
			}
			if page, err = c.ListConnectors(ctx, ListOptions{Limit: 1}); err != nil || page.Total != -1 {
				t.Fatalf("list without count: total %d, err %v; want -1", page.Total, err)
			}

			created, err := c.CreateConnector(ctx, NewConnector{Name: "Surface Test", ClassName: simClassName, Status: StatusReleased})
			if err != nil {
				t.Fatal(err)
			}
			sn := created.ScriptName
			if sn == "" || created.Name != "Surface Test" || created.Status != StatusReleased {
				t.Fatalf("created %+v", created)
			}
			d, err := c.GetConnector(ctx, sn)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != "Surface Test" || d.ClassName != simClassName || d.ScriptName != sn {
				t.Fatalf("get: %+v", d)
			}

			parts := []struct {
				p    Part
				data string
			}{
				{Part{Kind: SourceConfig}, testSourceConfig},
				{Part{Kind: SourceTemplate}, testSourceTemplate},
				{Part{Kind: CorrelationConfig}, testCorrelationConfig},
				{Part{Kind: Translations, Locale: "de"}, testTranslations},
			}
			for _, pt := range parts {
				ud, err := c.PutPart(ctx, sn, pt.p, []byte(pt.data))
				if err != nil {
					t.Fatalf("put %s: %v", pt.p, err)
				}
				if ud.Status != "UPDATED" {
					t.Fatalf("put %s: status %q, want UPDATED", pt.p, ud.Status)
				}
				got, err := c.GetPart(ctx, sn, pt.p)
				if err != nil {
					t.Fatalf("get %s: %v", pt.p, err)
				}
				if string(got) != pt.data {
					t.Fatalf("get %s = %q, want %q", pt.p, got, pt.data)
				}
			}
			if ud, err := c.PutPart(ctx, sn, parts[0].p, []byte(parts[0].data)); err != nil || ud.Status != "UNCHANGED" {
				t.Fatalf("put again: %+v, %v; want UNCHANGED", ud, err)
			}

			meta := map[string]any{"shortDesc": "patched", "platform": "ccg"}
			pd, err := c.PatchConnector(ctx, sn, []PatchOp{{Op: "replace", Path: "/connectorMetadata", Value: meta}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pd.ConnectorMetadata, meta) {
				t.Fatalf("patched metadata %v, want %v", pd.ConnectorMetadata, meta)
			}

			dc, ok := findConnector(t, sim, sn)
			if !ok {
				t.Fatalf("%s not in the tenant", sn)
			}
			if dc.SourceConfigXml != testSourceConfig || dc.ApplicationXml != testSourceTemplate ||
				dc.CorrelationConfigXml != testCorrelationConfig || dc.Translations["de"] != testTranslations ||
				!reflect.DeepEqual(dc.ConnectorMetadata, meta) {
				t.Fatalf("tenant holds %+v", dc)
			}

			if err := c.DeleteConnector(ctx, sn); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetConnector(ctx, sn); !IsNotFound(err) {
				t.Fatalf("get after delete: %v, want not found", err)
			}

			prefix := map[string]string{"v2025": "/v2025/connectors", "v1": "/connectors/v1"}[api]
			for _, r := range rec.all() {
				if r.path != "/oauth/token" && !strings.HasPrefix(r.path, prefix) {
					t.Errorf("%s %s is not on the %s surface", r.method, r.path, api)
				}
			}
			st := sim.Stats()
			for _, op := range []string{opList, opCreate, opGet, opDelete, opPatch,
				opGetSourceConfig, opPutSourceConfig, opGetSourceTemplate, opPutSourceTemplate,
				opGetCorrelationConfig, opPutCorrelationConfig, opGetTranslations, opPutTranslations} {
				ok := 0
				for status, n := range st.ByOperation[op] {
					if status >= 200 && status < 300 {
						ok += n
					}
				}
				if ok == 0 {
					t.Errorf("operation %s never succeeded: %v", op, st.ByOperation[op])
				}
			}
		})
	}
}

func TestListAllConnectorsPages(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 2, Connectors: 600})
	rec := newRecorder()
	c := newTestClient(t, url, func(o *Options) { o.Transport = rec })

	var total []int
	all, err := c.ListAllConnectors(t.Context(), "", func(n int) { total = append(total, n) })
	if err != nil {
		t.Fatal(err)
	}
	released := 0
	for _, dc := range sim.Dump().Connectors {
		if dc.Status == "RELEASED" {
			released++
		}
	}
	if released <= 2*pageLimit {
		t.Fatalf("the seeded tenant lists %d connectors; the test needs more than two pages", released)
	}
	if len(all) != released || len(total) != 1 || total[0] != released {
		t.Fatalf("listed %d, onTotal %v; the tenant lists %d", len(all), total, released)
	}
	seen := map[string]bool{}
	for _, conn := range all {
		if seen[conn.ScriptName] {
			t.Fatalf("%s listed twice", conn.ScriptName)
		}
		seen[conn.ScriptName] = true
	}
	var queries []string
	for _, r := range rec.all() {
		if r.path == "/v2025/connectors" {
			queries = append(queries, r.rawQuery)
		}
	}
	wantPages := released/pageLimit + 1
	if len(queries) != wantPages {
		t.Fatalf("%d list requests, want %d: %q", len(queries), wantPages, queries)
	}
	for i, q := range queries {
		want := fmt.Sprintf("limit=250&offset=%d", i*pageLimit)
		if i == 0 {
			want = "count=true&" + want
		}
		if q != want {
			t.Errorf("page %d query %q, want %q", i, q, want)
		}
	}
}

func TestListAllConnectorsDeduplicatesShiftedPages(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 3, Connectors: 300})
	creator := newTestClient(t, url, nil)
	// A transport that creates a connector sorting first after the first
	// page was sent: the second page then repeats the first page's last item.
	var inserted bool
	shift := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil && !inserted && strings.Contains(req.URL.RawQuery, "offset=0") {
			inserted = true
			if _, err := creator.CreateConnector(req.Context(), NewConnector{Name: "000 first", ClassName: simClassName, Status: StatusReleased}); err != nil {
				t.Error(err)
			}
		}
		return resp, err
	})
	c := newTestClient(t, url, func(o *Options) { o.Transport = shift })
	all, err := c.ListAllConnectors(t.Context(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, conn := range all {
		if seen[conn.ScriptName] {
			t.Fatalf("%s listed twice", conn.ScriptName)
		}
		seen[conn.ScriptName] = true
	}
	released := 0
	for _, dc := range sim.Dump().Connectors {
		if dc.Status == "RELEASED" {
			released++
		}
	}
	if !inserted || len(all) != released-1 {
		t.Fatalf("listed %d of %d connectors (the one created meanwhile sorts before the offset)", len(all), released)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFiltersQuoteNames(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 4, Connectors: 20})
	c := newTestClient(t, url, nil)
	ctx := t.Context()
	odd := `Odd "quoted" back\slash & 50% #1`
	for _, name := range []string{odd, `Odd "quoted" other`, "Odd plain"} {
		if _, err := c.CreateConnector(ctx, NewConnector{Name: name, ClassName: simClassName, Status: StatusReleased}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"sw exact odd name", Sw("name", odd), []string{odd}},
		{"co quote", Co("name", `"quoted"`), []string{odd, `Odd "quoted" other`}},
		{"co backslash", Co("name", `back\slash`), []string{odd}},
		{"and not", And(Sw("name", "Odd"), Not(Co("name", `"`))), []string{"Odd plain"}},
		{"or", Or(Co("name", "50% #1"), Eq("type", "custom Odd plain")), []string{odd, "Odd plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.ListAllConnectors(ctx, tt.filter.String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, conn := range got {
				names = append(names, conn.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.want) {
				t.Fatalf("filter %s listed %q, want %q", tt.filter, names, tt.want)
			}
		})
	}
}

func TestPutPartMultipartShape(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 5})
	rec := newRecorder()
	c := newTestClient(t, url, func(o *Options) { o.Transport = rec })
	created, err := c.CreateConnector(t.Context(), NewConnector{Name: "Multipart", ClassName: simClassName})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		part         Part
		data         string
		wantPath     string
		wantFilename string
		wantType     string
	}{
		{Part{Kind: SourceConfig}, testSourceConfig, "/source-config", "source-config.xml", "application/xml"},
		{Part{Kind: SourceTemplate}, testSourceTemplate, "/source-template", "source-template.xml", "application/xml"},
		{Part{Kind: CorrelationConfig}, testCorrelationConfig, "/correlation-config", "correlation-config.xml", "application/xml"},
		{Part{Kind: Translations, Locale: "zh-TW"}, testTranslations, "/translations/zh-TW", "zh-TW.properties", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.part.String(), func(t *testing.T) {
			if _, err := c.PutPart(t.Context(), created.ScriptName, tt.part, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			r := reqs[len(reqs)-1]
			if r.method != http.MethodPut || r.path != "/v2025/connectors/"+created.ScriptName+tt.wantPath {
				t.Fatalf("sent %s %s", r.method, r.path)
			}
			if a := r.header.Get("Accept"); a != "application/json" {
				t.Errorf("Accept %q", a)
			}
			mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
			if err != nil || mt != "multipart/form-data" {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
			mr := multipart.NewReader(strings.NewReader(string(r.body)), params["boundary"])
			p, err := mr.NextPart()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(p)
			if p.FormName() != "file" || p.FileName() != tt.wantFilename || p.Header.Get("Content-Type") != tt.wantType || string(body) != tt.data {
				t.Fatalf("part %q filename %q type %q body %q", p.FormName(), p.FileName(), p.Header.Get("Content-Type"), body)
			}
			if _, err := mr.NextPart(); err != io.EOF {
				t.Fatalf("more than one part: %v", err)
			}
		})
	}
}

func TestGetPartAccept(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 6, Connectors: 1})
	rec := newRecorder()
	c := newTestClient(t, url, func(o *Options) { o.Transport = rec })
	created, err := c.CreateConnector(t.Context(), NewConnector{Name: "Accept", ClassName: simClassName})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutPart(t.Context(), created.ScriptName, Part{Kind: Translations, Locale: "en"}, []byte("a=b\n")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		part Part
		want string
	}{
		{Part{Kind: SourceConfig}, "application/xml, application/json"},
		{Part{Kind: SourceTemplate}, "application/xml, application/json"},
		{Part{Kind: CorrelationConfig}, "application/xml, application/json"},
		{Part{Kind: Translations, Locale: "en"}, "text/plain, application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.part.String(), func(t *testing.T) {
			if _, err := c.GetPart(t.Context(), created.ScriptName, tt.part); err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			if got := reqs[len(reqs)-1].header.Get("Accept"); got != tt.want {
				t.Fatalf("Accept %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := c.GetPart(t.Context(), created.ScriptName, Part{Kind: Translations, Locale: "xx"}); err == nil || !strings.Contains(err.Error(), `locale "xx"`) {
		t.Fatalf("unknown locale: %v", err)
	}
}

func TestPutPartStatusError(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 7})
	c := newTestClient(t, url, nil)
	created, err := c.CreateConnector(t.Context(), NewConnector{Name: "Old XSD", ClassName: simClassName})
	if err != nil {
		t.Fatal(err)
	}
	oldXSD := strings.Replace(testSourceConfig, "sailpoint_form_2_0", "sailpoint_form_1_0", 1)
	d, err := c.PutPart(t.Context(), created.ScriptName, Part{Kind: SourceConfig}, []byte(oldXSD))
	var ue *UpdateError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want an *UpdateError", err)
	}
	if d.Status != "ERROR" || ue.Detail.Message == "" || !strings.Contains(err.Error(), "xsd") ||
		ue.Operation != opPutSourceConfig || ue.ScriptName != created.ScriptName {
		t.Fatalf("detail %+v, error %v", d, err)
	}
}

func TestAPIErrorsFromTenant(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 8})
	c := newTestClient(t, url, func(o *Options) { o.API = "v1" })
	ctx := t.Context()

	_, err := c.GetConnector(ctx, "no such/connector")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if ae.Status != 404 || ae.Operation != opGet || ae.Method != "GET" || ae.Path != "/connectors/v1/no such/connector" ||
		ae.DetailCode != "404 Not found" || ae.TrackingID == "" || len(ae.Messages) == 0 ||
		!strings.Contains(ae.Messages[0], `"no such/connector"`) {
		t.Fatalf("APIError %#v", ae)
	}
	if !strings.HasPrefix(err.Error(), `getConnector "no such/connector": 404 Not found: `) ||
		!strings.HasSuffix(err.Error(), "(trackingId "+ae.TrackingID+")") {
		t.Fatalf("Error() = %s", err)
	}

	page, err := c.ListConnectors(ctx, ListOptions{Limit: 1})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %v", err)
	}
	builtin := page.Items[0].ScriptName
	if err := c.DeleteConnector(ctx, builtin); !IsForbidden(err) {
		t.Fatalf("delete a SailPoint connector: %v, want 403", err)
	}
	if _, err := c.PutPart(ctx, builtin, Part{Kind: SourceConfig}, []byte(testSourceConfig)); !IsForbidden(err) {
		t.Fatalf("put to a SailPoint connector: %v, want 403", err)
	}

	if _, err := c.CreateConnector(ctx, NewConnector{Name: "Twice", ClassName: simClassName}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateConnector(ctx, NewConnector{Name: "twice", ClassName: simClassName})
	if !IsStatus(err, 400) || errors.Is(err, ErrAmbiguous) || !errors.As(err, &ae) || ae.Operation != opCreate {
		t.Fatalf("duplicate create: %v, want a plain 400", err)
	}
	if _, err := c.ListConnectors(ctx, ListOptions{Filters: `name eq "x"`}); !IsStatus(err, 400) {
		t.Fatalf("unsupported filter: %v, want 400", err)
	}
	if err := c.DeleteConnector(ctx, ""); err == nil {
		t.Fatal("empty scriptName accepted")
	}
}
