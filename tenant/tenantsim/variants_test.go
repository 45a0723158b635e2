package tenantsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestParseVariants(t *testing.T) {
	def := Variants{}.withDefaults()
	for _, tc := range []struct {
		spec    string
		want    func(v *Variants)
		wantErr string
	}{
		{spec: "", want: func(*Variants) {}},
		{spec: "default", want: func(*Variants) {}},
		{spec: "missing-locale=en, page-cap=7,duplicate-name=409", want: func(v *Variants) {
			v.MissingLocale, v.PageCap, v.DuplicateName = "en", 7, 409
		}},
		{spec: "detail-locales=requested,detail-bytes=normalised,upload-normalise=crlf,list-order=unstable,custom-type=any,create-status=lenient,metadata-remove=refused,translations-part=any,source-config-json=null",
			want: func(v *Variants) {
				v.DetailLocales, v.DetailBytes, v.UploadNormalise, v.ListOrder = "requested", "normalised", "crlf", "unstable"
				v.CustomType, v.CreateStatus, v.MetadataRemove, v.TranslationsPart, v.SourceConfigJSON = "any", "lenient", "refused", "any", "null"
			}},
		{spec: "missing-locale=maybe", wantErr: `variant missing-locale: unknown value "maybe"; want one of 404, empty, en`},
		{spec: "page-cap=0", wantErr: "page-cap: want a number of connectors from 1 to 250"},
		{spec: "page-cap=251", wantErr: "page-cap"},
		{spec: "duplicate-name=500", wantErr: "want one of 400, 409"},
		{spec: "colour=blue", wantErr: `unknown variant "colour"; known: detail-locales, missing-locale`},
		{spec: "list-order=stable,list-order=unstable", wantErr: `"list-order" is given twice`},
		{spec: "list-order", wantErr: "want key=value"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseVariants(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := def
			tc.want(&want)
			if got != want {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
			// String is the inverse of ParseVariants.
			again, err := ParseVariants(got.String())
			if err != nil || again != got {
				t.Errorf("ParseVariants(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

// TestVariantKeysParse checks that every value VariantKeys announces parses.
func TestVariantKeysParse(t *testing.T) {
	for _, k := range VariantKeys() {
		for _, val := range k.Values {
			if val == "N" {
				val = "17"
			}
			if _, err := ParseVariants(k.Key + "=" + val); err != nil {
				t.Errorf("%s=%s: %v", k.Key, val, err)
			}
		}
	}
}

// variantHarness is a seeded tenant with the variants of spec.
func variantHarness(t *testing.T, spec string) *harness {
	t.Helper()
	v, err := ParseVariants(spec)
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, Options{Seed: 3, Connectors: 30, MaxLocales: 4, Variants: v})
}

// customWithLocales returns a custom connector that has en and another locale.
func customWithLocales(t *testing.T, s *Sim) DumpConnector {
	t.Helper()
	for _, c := range s.Dump().Connectors {
		if !c.BuiltIn && len(c.Translations) >= 2 && c.Translations["en"] != "" {
			return c
		}
	}
	t.Fatal("no custom connector with two locales")
	return DumpConnector{}
}

func absentLocale(c DumpConnector) string {
	for _, l := range locales() {
		if _, ok := c.Translations[l]; !ok {
			return l
		}
	}
	return ""
}

func TestVariantDetailLocales(t *testing.T) {
	for _, spec := range []string{"", "detail-locales=requested"} {
		t.Run(spec, func(t *testing.T) {
			h := variantHarness(t, spec)
			c := customWithLocales(t, h.sim)
			other := ""
			for l := range c.Translations {
				if l != "en" {
					other = l
				}
			}
			var d, dl connectorDetail
			h.get("/"+c.ScriptName).mustOK(t).decode(t, &d)
			h.get("/"+c.ScriptName+"?locale="+other).mustOK(t).decode(t, &dl)
			if spec == "" {
				if len(d.TranslationProperties) != len(c.Translations) || len(dl.TranslationProperties) != len(c.Translations) {
					t.Errorf("detail holds %d and %d locales, want all %d", len(d.TranslationProperties), len(dl.TranslationProperties), len(c.Translations))
				}
				return
			}
			if len(d.TranslationProperties) != 1 || d.TranslationProperties["en"] != c.Translations["en"] {
				t.Errorf("without locale: %v, want en only", keys(d.TranslationProperties))
			}
			if len(dl.TranslationProperties) != 1 || dl.TranslationProperties[other] != c.Translations[other] {
				t.Errorf("locale=%s: %v, want %s only", other, keys(dl.TranslationProperties), other)
			}
			var none connectorDetail
			h.get("/"+c.ScriptName+"?locale="+absentLocale(c)).mustOK(t).decode(t, &none)
			if len(none.TranslationProperties) != 0 {
				t.Errorf("absent locale: %v, want none", keys(none.TranslationProperties))
			}
		})
	}
}

func TestVariantMissingLocale(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		status int
		body   func(c DumpConnector) string
	}{
		{"", http.StatusNotFound, nil},
		{"missing-locale=404", http.StatusNotFound, nil},
		{"missing-locale=empty", http.StatusOK, func(DumpConnector) string { return "" }},
		{"missing-locale=en", http.StatusOK, func(c DumpConnector) string { return c.Translations["en"] }},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			h := variantHarness(t, tc.spec)
			c := customWithLocales(t, h.sim)
			res := h.get("/" + c.ScriptName + "/translations/" + absentLocale(c))
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			if tc.body != nil && string(res.body) != tc.body(c) {
				t.Errorf("body %q, want %q", res.body, tc.body(c))
			}
			// A present locale is served as it is under every variant.
			if got := h.get("/" + c.ScriptName + "/translations/en").mustOK(t).body; string(got) != c.Translations["en"] {
				t.Errorf("en: %q", got)
			}
		})
	}
}

func TestVariantDetailBytes(t *testing.T) {
	h := variantHarness(t, "detail-bytes=normalised")
	c := customWithLocales(t, h.sim)
	var d connectorDetail
	h.get("/"+c.ScriptName).mustOK(t).decode(t, &d)
	for _, p := range []struct {
		path, detail string
	}{{"/source-config", d.SourceConfigXml}, {"/source-template", d.ApplicationXml}, {"/correlation-config", d.CorrelationConfigXml}} {
		served := string(h.get("/" + c.ScriptName + p.path).mustOK(t).body)
		if served == p.detail {
			t.Errorf("%s: the detail equals the sub-resource byte for byte", p.path)
		}
		if !strings.HasPrefix(p.detail, `<?xml version="1.0" encoding="UTF-8"?>`+"\r\n") || strings.Contains(strings.ReplaceAll(p.detail, "\r\n", ""), "\n") {
			t.Errorf("%s: detail not normalised: %.80q", p.path, p.detail)
		}
		if checkXML([]byte(p.detail)) != nil {
			t.Errorf("%s: normalised detail is not well-formed", p.path)
		}
	}
}

func TestVariantUploadNormalise(t *testing.T) {
	h := variantHarness(t, "upload-normalise=crlf")
	c := customWithLocales(t, h.sim)
	const doc = "<?xml version='1.0' encoding='UTF-8'?>\n<CorrelationConfig name=\"x\">\n  <AttributeAssignments/>\n</CorrelationConfig>\n"
	want := strings.ReplaceAll(doc, "\n", "\r\n")
	h.putFile("/"+c.ScriptName+"/correlation-config", doc).mustOK(t)
	if got := string(h.get("/" + c.ScriptName + "/correlation-config").mustOK(t).body); got != want {
		t.Errorf("stored %q, want CRLF %q", got, want)
	}
	// The same upload again is UNCHANGED: the tenant compares what it would store.
	var ud updateDetail
	h.putFile("/"+c.ScriptName+"/correlation-config", doc).mustOK(t).decode(t, &ud)
	if ud.Status != "UNCHANGED" {
		t.Errorf("second PUT: %s", ud.Status)
	}
	h.putFile("/"+c.ScriptName+"/translations/fi", "a=1\nb=2\n").mustOK(t)
	if got := string(h.get("/" + c.ScriptName + "/translations/fi").mustOK(t).body); got != "a=1\r\nb=2\r\n" {
		t.Errorf("translation stored %q", got)
	}
	h.patch("/"+c.ScriptName, map[string]any{"op": "replace", "path": "/applicationXml", "value": "<Application name=\"a\">\n</Application>"}).mustOK(t)
	if got := string(h.get("/" + c.ScriptName + "/source-template").mustOK(t).body); got != "<Application name=\"a\">\r\n</Application>" {
		t.Errorf("patched template stored %q", got)
	}
}

func TestVariantListOrderAndPageCap(t *testing.T) {
	h := variantHarness(t, "list-order=unstable,page-cap=7")
	if got := len(h.list("limit=250")); got != 7 {
		t.Errorf("page of limit 250 has %d connectors, want the cap 7", got)
	}
	first := h.list("limit=7")
	differs := false
	for range 5 {
		if !slicesEqualDto(first, h.list("limit=7")) {
			differs = true
		}
	}
	if !differs {
		t.Error("list-order=unstable served the same first page six times")
	}
	stable := variantHarness(t, "")
	if a, b := stable.list("limit=7"), stable.list("limit=7"); !slicesEqualDto(a, b) {
		t.Error("the default order is not stable")
	}
}

func slicesEqualDto(a, b []connectorDto) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestVariantCustomType(t *testing.T) {
	count := func(spec string) (custom, prefixed int) {
		h := variantHarness(t, spec)
		for _, c := range h.sim.Dump().Connectors {
			if !c.BuiltIn {
				custom++
				if strings.HasPrefix(c.Type, "custom") {
					prefixed++
				}
			}
		}
		return
	}
	if n, p := count(""); n != p {
		t.Errorf("default: %d of %d custom types start with custom", p, n)
	}
	if n, p := count("custom-type=any"); p == n || p == 0 {
		t.Errorf("custom-type=any: %d of %d custom types start with custom, want some but not all", p, n)
	}
}

func TestVariantCreate(t *testing.T) {
	for _, tc := range []struct {
		spec        string
		lowerStatus int
		dupStatus   int
	}{
		{"", http.StatusBadRequest, http.StatusBadRequest},
		{"create-status=lenient", http.StatusOK, http.StatusBadRequest},
		{"duplicate-name=409", http.StatusBadRequest, http.StatusConflict},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			h := variantHarness(t, tc.spec)
			res := h.create(map[string]any{"name": "Lower Case", "className": "x.Y", "status": "released"})
			if res.status != tc.lowerStatus {
				t.Fatalf("status \"released\": %d, want %d: %s", res.status, tc.lowerStatus, res.body)
			}
			if res.status == http.StatusOK {
				var c connectorDto
				res.decode(t, &c)
				if c.Status != "RELEASED" {
					t.Errorf("stored status %q", c.Status)
				}
			}
			h.create(map[string]any{"name": "Taken", "className": "x.Y"}).mustOK(t)
			dup := h.create(map[string]any{"name": "taken", "className": "x.Y"})
			if dup.status != tc.dupStatus || !strings.Contains(dup.errorText(t), "already exists") {
				t.Errorf("duplicate: %d, want %d: %s", dup.status, tc.dupStatus, dup.body)
			}
		})
	}
}

func TestVariantMetadataRemove(t *testing.T) {
	for _, spec := range []string{"", "metadata-remove=refused"} {
		t.Run(spec, func(t *testing.T) {
			h := variantHarness(t, spec)
			c := customWithLocales(t, h.sim)
			res := h.patch("/"+c.ScriptName, map[string]any{"op": "remove", "path": "/connectorMetadata"})
			if spec == "" {
				res.mustOK(t)
				return
			}
			if res.status != http.StatusBadRequest {
				t.Fatalf("remove refused: status %d: %s", res.status, res.body)
			}
			if got, _ := dumped(t, h.sim, c.ScriptName); len(got.ConnectorMetadata) == 0 {
				t.Error("a refused PATCH changed the metadata")
			}
			// Replacing it with an empty object still works.
			h.patch("/"+c.ScriptName, map[string]any{"op": "replace", "path": "/connectorMetadata", "value": map[string]any{}}).mustOK(t)
			if got, _ := dumped(t, h.sim, c.ScriptName); len(got.ConnectorMetadata) != 0 {
				t.Errorf("metadata after replace with {}: %v", got.ConnectorMetadata)
			}
		})
	}
}

func TestVariantTranslationsPart(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		status int
	}{{"", http.StatusBadRequest}, {"translations-part=any", http.StatusOK}} {
		t.Run(tc.spec, func(t *testing.T) {
			h := variantHarness(t, tc.spec)
			c := customWithLocales(t, h.sim)
			body, ct := multipartFile("translations", "k=v\n")
			if res := h.api(http.MethodPut, "/"+c.ScriptName+"/translations/fi", body, ct); res.status != tc.status {
				t.Fatalf("part \"translations\": status %d, want %d: %s", res.status, tc.status, res.body)
			}
			// A config PUT still needs part "file".
			body, ct = multipartFile("config", "<a/>")
			if res := h.api(http.MethodPut, "/"+c.ScriptName+"/correlation-config", body, ct); res.status != http.StatusBadRequest {
				t.Errorf("config with part \"config\": status %d", res.status)
			}
		})
	}
}

func TestVariantSourceConfigJSON(t *testing.T) {
	for _, tc := range []struct {
		spec  string
		check func(d connectorDetail) bool
	}{
		{"", func(d connectorDetail) bool { return d.SourceConfig != nil && *d.SourceConfig == d.SourceConfigXml }},
		{"source-config-json=json", func(d connectorDetail) bool { return d.SourceConfig != nil && json.Valid([]byte(*d.SourceConfig)) }},
		{"source-config-json=null", func(d connectorDetail) bool { return d.SourceConfig == nil }},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			h := variantHarness(t, tc.spec)
			c := customWithLocales(t, h.sim)
			var d connectorDetail
			h.get("/"+c.ScriptName).mustOK(t).decode(t, &d)
			if !tc.check(d) {
				t.Errorf("sourceConfig %v", d.SourceConfig)
			}
		})
	}
}

func TestVariantsInDump(t *testing.T) {
	h := variantHarness(t, "missing-locale=en,page-cap=9")
	res := h.send(mustRequest(t, http.MethodGet, h.srv.URL+"/_sim/tenant", nil, ""))
	var d struct {
		Variants map[string]any `json:"variants"`
	}
	if err := json.Unmarshal(res.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Variants["missing-locale"] != "en" || d.Variants["page-cap"] != float64(9) || d.Variants["list-order"] != "stable" {
		t.Errorf("/_sim/tenant variants: %v", d.Variants)
	}
}
