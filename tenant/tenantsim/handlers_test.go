package tenantsim

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestCreate(t *testing.T) {
	h := newHarness(t, Options{Seed: 1, Connectors: 10, TenantName: "acme-sandbox"})
	res := h.create(map[string]any{"name": "Neues Zürich System", "className": "sailpoint.connector.OpenConnectorAdapter"})
	if res.status != http.StatusOK {
		t.Fatalf("create: status %d, want 200 (not 201): %s", res.status, res.body)
	}
	var c connectorDto
	res.decode(t, &c)
	if c.Type != "custom Neues Zürich System" || !c.DirectConnect || c.Status != "DEVELOPMENT" || *c.ClassName != "sailpoint.connector.OpenConnectorAdapter" {
		t.Errorf("defaults: type %q, directConnect %v, status %q", c.Type, c.DirectConnect, c.Status)
	}
	if !regexp.MustCompile(`^neues-zurich-system-[0-9a-f]{6}$`).MatchString(c.ScriptName) {
		t.Errorf("scriptName %q: want a slug of the name plus the tenant suffix", c.ScriptName)
	}
	// DEVELOPMENT: not listed, but reachable by scriptName, with default content.
	for _, l := range h.list("") {
		if l.ScriptName == c.ScriptName {
			t.Error("a DEVELOPMENT connector is listed")
		}
	}
	var d connectorDetail
	h.get("/"+c.ScriptName).mustOK(t).decode(t, &d)
	if d.Name != c.Name || checkXML([]byte(d.SourceConfigXml)) != nil || checkXML([]byte(d.ApplicationXml)) != nil || len(d.TranslationProperties) != 0 {
		t.Errorf("new connector detail: %+v", d)
	}

	t.Run("explicit fields", func(t *testing.T) {
		var c2 connectorDto
		h.create(map[string]any{"name": "Released One", "className": "x.Y", "type": "Web Services", "directConnect": false, "status": "RELEASED"}).mustOK(t).decode(t, &c2)
		if c2.Type != "Web Services" || c2.DirectConnect || c2.Status != "RELEASED" {
			t.Errorf("got %+v", c2)
		}
		found := false
		for _, l := range h.list("") {
			found = found || l.ScriptName == c2.ScriptName
		}
		if !found {
			t.Error("a RELEASED connector is not listed")
		}
	})

	t.Run("duplicate names", func(t *testing.T) {
		unlisted := firstWithStatus(t, h.sim, "DEVELOPMENT")
		for _, name := range []string{"Neues Zürich System", "NEUES ZÜRICH SYSTEM", " neues zürich system ", unlisted.Name, "active directory"} {
			res := h.create(map[string]any{"name": name, "className": "x.Y"})
			if res.status != http.StatusBadRequest {
				t.Fatalf("duplicate %q: status %d: %s", name, res.status, res.body)
			}
			if text := res.errorText(t); !strings.Contains(text, "already exists") {
				t.Errorf("duplicate %q: %s", name, text)
			}
		}
	})

	t.Run("scriptNames differ between tenants", func(t *testing.T) {
		other := newHarness(t, Options{Seed: 1, Connectors: 10, TenantName: "acme-prod"})
		var c3 connectorDto
		other.create(map[string]any{"name": "Neues Zürich System", "className": "x.Y"}).mustOK(t).decode(t, &c3)
		if c3.ScriptName == c.ScriptName {
			t.Errorf("two tenants agree on scriptName %q", c.ScriptName)
		}
		theirs := map[string]bool{}
		for _, x := range other.sim.Dump().Connectors {
			if !x.BuiltIn {
				theirs[x.ScriptName] = true
			}
		}
		for _, x := range h.sim.Dump().Connectors {
			if !x.BuiltIn && theirs[x.ScriptName] {
				t.Errorf("seeded scriptName %q in both tenants", x.ScriptName)
			}
		}
	})

	t.Run("odd names make path-safe scriptNames", func(t *testing.T) {
		for _, name := range []string{"Łódź / Kraków ? #1", "日本語", "  ", "a%2Fb"} {
			res := h.create(map[string]any{"name": name, "className": "x.Y"})
			if strings.TrimSpace(name) == "" {
				continue
			}
			var x connectorDto
			res.mustOK(t).decode(t, &x)
			if !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(x.ScriptName) {
				t.Errorf("%q → scriptName %q", name, x.ScriptName)
			}
			h.get("/" + x.ScriptName).mustOK(t)
		}
	})
}

// TestPartsMapOntoDetail checks that each sub-resource and its
// ConnectorDetail field are one value, whichever side is written.
func TestPartsMapOntoDetail(t *testing.T) {
	h := newHarness(t, Options{Seed: 2, Connectors: 8})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	detail := func() connectorDetail {
		var d connectorDetail
		h.get("/"+sn).mustOK(t).decode(t, &d)
		return d
	}
	getPart := func(p string) string { return string(h.get("/" + sn + "/" + p).mustOK(t).body) }

	d := detail()
	if getPart("source-config") != d.SourceConfigXml || *d.SourceConfig != d.SourceConfigXml ||
		getPart("source-template") != d.ApplicationXml || getPart("correlation-config") != d.CorrelationConfigXml ||
		getPart("translations/en") != d.TranslationProperties["en"] {
		t.Fatal("seeded sub-resources differ from the detail's fields")
	}

	fields := []struct{ part, field string }{
		{"source-config", "sourceConfigXml"}, {"source-template", "applicationXml"}, {"correlation-config", "correlationConfigXml"},
	}
	for i, f := range fields {
		t.Run("patch "+f.field, func(t *testing.T) {
			doc := "<?xml version='1.0' encoding='UTF-8'?>\n<Root n=\"" + f.field + "\">Ünïcödé " + strings.Repeat("x", i) + "</Root>\n"
			var got connectorDetail
			h.patch("/"+sn, map[string]any{"op": "replace", "path": "/" + f.field, "value": doc}).mustOK(t).decode(t, &got)
			if p := getPart(f.part); p != doc {
				t.Errorf("GET %s after PATCH /%s = %q, want %q", f.part, f.field, p, doc)
			}
			if f.field == "sourceConfigXml" && (*got.SourceConfig != doc || got.SourceConfigXml != doc) {
				t.Errorf("PATCH answer: sourceConfig %q, sourceConfigXml %q", *got.SourceConfig, got.SourceConfigXml)
			}
		})
		t.Run("put "+f.part, func(t *testing.T) {
			doc := "<Other part=\"" + f.part + "\"/>"
			var u updateDetail
			h.putFile("/"+sn+"/"+f.part, doc).mustOK(t).decode(t, &u)
			if u.Status != "UPDATED" || u.ScriptName != sn || len(u.UpdatedFiles) != 1 {
				t.Errorf("UpdateDetail %+v", u)
			}
			d := detail()
			have := map[string]string{"sourceConfigXml": d.SourceConfigXml, "applicationXml": d.ApplicationXml, "correlationConfigXml": d.CorrelationConfigXml}[f.field]
			if have != doc {
				t.Errorf("detail %s after PUT %s = %q", f.field, f.part, have)
			}
			h.putFile("/"+sn+"/"+f.part, doc).mustOK(t).decode(t, &u)
			if u.Status != "UNCHANGED" || u.UpdatedFiles != nil {
				t.Errorf("same bytes again: UpdateDetail %+v, want UNCHANGED", u)
			}
		})
	}
	t.Run("translations", func(t *testing.T) {
		text := "# Ünïcödé\nkey=välue\nescaped=Zeit\\u00fcberschreitung\r\nno_newline=x"
		var u updateDetail
		h.putFile("/"+sn+"/translations/no", text).mustOK(t).decode(t, &u)
		if u.Status != "UPDATED" {
			t.Errorf("UpdateDetail %+v", u)
		}
		res := h.get("/" + sn + "/translations/no").mustOK(t)
		if string(res.body) != text || res.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("GET translations/no = %q (%s)", res.body, res.header.Get("Content-Type"))
		}
		if d := detail(); d.TranslationProperties["no"] != text {
			t.Errorf("translationProperties[no] = %q", d.TranslationProperties["no"])
		}
	})
	t.Run("wrong xsd is an ERROR in a 200", func(t *testing.T) {
		before := getPart("source-config")
		var u updateDetail
		h.putFile("/"+sn+"/source-config", `<Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_1_0.xsd" type="SourceConfig"/>`).mustOK(t).decode(t, &u)
		if u.Status != "ERROR" || !strings.Contains(u.Message, "unsupported xsd version") {
			t.Errorf("UpdateDetail %+v", u)
		}
		if getPart("source-config") != before {
			t.Error("a source config answered ERROR was stored")
		}
	})
}

func TestPatchMetadata(t *testing.T) {
	h := newHarness(t, Options{Seed: 2, Connectors: 3})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	var d connectorDetail
	h.patch("/"+sn,
		map[string]any{"op": "test", "path": "/connectorMetadata/platform", "value": h.detailMeta(sn)["platform"]},
		map[string]any{"op": "replace", "path": "/connectorMetadata", "value": map[string]any{"a": map[string]any{"list": []any{"x"}}, "n": 3}},
		map[string]any{"op": "add", "path": "/connectorMetadata/a/list/-", "value": "z"},
		map[string]any{"op": "add", "path": "/connectorMetadata/a/list/1", "value": "y"},
		map[string]any{"op": "copy", "from": "/connectorMetadata/a/list", "path": "/connectorMetadata/copied"},
		map[string]any{"op": "move", "from": "/connectorMetadata/n", "path": "/connectorMetadata/m"},
		map[string]any{"op": "remove", "path": "/connectorMetadata/a/list/0"},
	).mustOK(t).decode(t, &d)
	want := map[string]any{"a": map[string]any{"list": []any{"y", "z"}}, "copied": []any{"x", "y", "z"}, "m": float64(3)}
	if !reflect.DeepEqual(d.ConnectorMetadata, want) {
		t.Errorf("metadata %v, want %v", d.ConnectorMetadata, want)
	}
	if got := h.detailMeta(sn); !reflect.DeepEqual(got, want) {
		t.Errorf("GET after PATCH: metadata %v", got)
	}
	// All or nothing: a failing second op leaves the first unapplied.
	res := h.patch("/"+sn,
		map[string]any{"op": "replace", "path": "/applicationXml", "value": "<A/>"},
		map[string]any{"op": "remove", "path": "/connectorMetadata/nothing"})
	if res.status != http.StatusBadRequest || !strings.Contains(res.errorText(t), "operation 1 (remove /connectorMetadata/nothing)") {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	if string(h.get("/"+sn+"/source-template").body) == "<A/>" {
		t.Error("a failed PATCH applied its first operation")
	}
	// Removing the whole metadata leaves an empty object.
	var removed connectorDetail
	h.patch("/"+sn, map[string]any{"op": "remove", "path": "/connectorMetadata"}).mustOK(t).decode(t, &removed)
	if removed.ConnectorMetadata == nil || len(removed.ConnectorMetadata) != 0 {
		t.Errorf("metadata after remove: %v, want {}", removed.ConnectorMetadata)
	}
}

func (h *harness) detailMeta(sn string) map[string]any {
	var d connectorDetail
	h.get("/"+sn).mustOK(h.t).decode(h.t, &d)
	return d.ConnectorMetadata
}

func TestUnlistedReachableByScriptName(t *testing.T) {
	h := newHarness(t, Options{Seed: 4, Connectors: 300})
	for _, status := range []string{"DEVELOPMENT", "DEMO", "DEPRECATED"} {
		c := firstWithStatus(t, h.sim, status)
		var d connectorDetail
		h.get("/"+c.ScriptName).mustOK(t).decode(t, &d)
		if d.Status != status || d.Name != c.Name {
			t.Errorf("%s: got %s %s", c.ScriptName, d.Name, d.Status)
		}
		h.putFile("/"+c.ScriptName+"/correlation-config", "<CorrelationConfig/>").mustOK(t)
		if res := h.list("filters=" + strings.ReplaceAll(`name co "`+c.Name+`"`, " ", "%20")); len(res) != 0 {
			t.Errorf("%s connector %s is listed", status, c.ScriptName)
		}
	}
}

func TestDelete(t *testing.T) {
	h := newHarness(t, Options{Seed: 6, Connectors: 4})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	res := h.api(http.MethodDelete, "/"+sn, nil, "")
	if res.status != http.StatusNoContent || len(res.body) != 0 {
		t.Fatalf("DELETE: status %d, body %q; want 204 and no body", res.status, res.body)
	}
	if res := h.get("/" + sn); res.status != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", res.status)
	}
	if res := h.api(http.MethodDelete, "/"+sn, nil, ""); res.status != http.StatusNotFound {
		t.Errorf("second DELETE: %d", res.status)
	}
}

// TestContentTypesIgnoreAccept: the XML and text GETs answer their own type
// whatever Accept says, and both API surfaces serve the same tenant.
func TestContentTypesIgnoreAccept(t *testing.T) {
	h := newHarness(t, Options{Seed: 7, Connectors: 10})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	parts := map[string]string{
		"/source-config": "application/xml", "/source-template": "application/xml",
		"/correlation-config": "application/xml", "/translations/en": "text/plain; charset=utf-8", "": "application/json",
	}
	for _, prefix := range []string{"/v2025/connectors", "/connectors/v1"} {
		for p, want := range parts {
			for _, accept := range []string{"", "application/json", "application/xml, application/json", "text/html"} {
				req := mustRequest(t, http.MethodGet, h.srv.URL+prefix+"/"+sn+p, nil, "")
				req.Header.Set("Authorization", "Bearer "+h.tok)
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				res := h.send(req).mustOK(t)
				if ct := res.header.Get("Content-Type"); ct != want {
					t.Errorf("%s%s with Accept %q: Content-Type %q, want %q", prefix, p, accept, ct, want)
				}
			}
		}
	}
	v1 := *h
	v1.prefix = "/connectors/v1"
	if a, b := string(h.get("/"+sn+"/source-config").body), string(v1.get("/"+sn+"/source-config").body); a != b {
		t.Error("v2025 and v1 disagree")
	}
}
