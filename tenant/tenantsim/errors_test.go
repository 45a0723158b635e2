package tenantsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestErrors sends each kind of bad request and checks the status and that
// the body names the problem.
func TestErrors(t *testing.T) {
	h := newHarness(t, Options{Seed: 1, Connectors: 5})
	custom := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	sc := "/" + custom
	okXML := "<CorrelationConfig name=\"x\"/>"
	patchBody := `[{"op":"replace","path":"/sourceConfigXml","value":"<Form/>"}]`
	body := func(s string) []byte { return []byte(s) }
	noFile, noFileCT := multipartFile("document", okXML)

	tests := []struct {
		name        string
		method      string
		path        string
		body        []byte
		contentType string
		status      int
		want        []string
	}{
		{"limit too large", "GET", "?limit=251", nil, "", 400, []string{`"limit"`, "from 0 to 250", `"251"`}},
		{"limit negative", "GET", "?limit=-1", nil, "", 400, []string{`"limit"`, `"-1"`}},
		{"limit not a number", "GET", "?limit=ten", nil, "", 400, []string{`"limit"`, `"ten"`}},
		{"offset negative", "GET", "?offset=-5", nil, "", 400, []string{`"offset"`, "at least 0"}},
		{"count not boolean", "GET", "?count=yes", nil, "", 400, []string{`"count"`, "true or false"}},
		{"filter unknown field", "GET", "?filters=" + url.QueryEscape(`status eq "RELEASED"`), nil, "", 400, []string{`field "status"`, "cannot be filtered"}},
		{"filter unsupported operator", "GET", "?filters=" + url.QueryEscape(`name eq "x"`), nil, "", 400, []string{`"eq"`, `"name"`, "sw, co"}},
		{"filter syntax", "GET", "?filters=" + url.QueryEscape(`name sw "x`), nil, "", 400, []string{"unterminated string"}},
		{"filter upper-case operator", "GET", "?filters=" + url.QueryEscape(`type EQ "x"`), nil, "", 400, []string{"must be lower case"}},

		{"create without name", "POST", "", body(`{"className":"a.B"}`), "application/json", 400, []string{`"name" is required`}},
		{"create blank name", "POST", "", body(`{"name":"  ","className":"a.B"}`), "application/json", 400, []string{`"name" is required`}},
		{"create without className", "POST", "", body(`{"name":"New"}`), "application/json", 400, []string{`"className" is required`}},
		{"create name not a string", "POST", "", body(`{"name":5,"className":"a.B"}`), "application/json", 400, []string{`field "name"`, "string"}},
		{"create bad status", "POST", "", body(`{"name":"N","className":"a.B","status":"DEPRECATED"}`), "application/json", 400, []string{`"status"`, "DEVELOPMENT, DEMO, RELEASED", "DEPRECATED"}},
		{"create malformed JSON", "POST", "", body(`{"name":`), "application/json", 400, []string{"not valid JSON"}},
		{"create empty body", "POST", "", nil, "application/json", 400, []string{"request body is required"}},
		{"create array body", "POST", "", body(`[]`), "application/json", 400, []string{"V3CreateConnectorDto"}},
		{"create wrong content type", "POST", "", body(`{"name":"N","className":"a.B"}`), "text/plain", 400, []string{"Content-Type must be application/json", `"text/plain"`}},
		{"create trailing data", "POST", "", body(`{"name":"N","className":"a.B"} {}`), "application/json", 400, []string{"data after the JSON"}},

		{"get unknown", "GET", "/no-such-connector", nil, "", 404, []string{`"no-such-connector"`, "not found"}},
		{"delete unknown", "DELETE", "/no-such-connector", nil, "", 404, []string{`"no-such-connector"`}},
		{"source-config of unknown", "GET", "/nope/source-config", nil, "", 404, []string{`"nope"`}},
		{"put of unknown", "PUT", "/nope/correlation-config", nil, "", 404, []string{`"nope"`}},
		{"patch unknown", "PATCH", "/nope", body(patchBody), "application/json-patch+json", 404, []string{`"nope"`}},
		{"unknown sub-resource", "GET", sc + "/schemas", nil, "", 404, []string{"no API operation", "/schemas"}},
		{"method not allowed", "POST", sc, nil, "", 405, []string{"method POST is not allowed", "GET, PATCH, DELETE"}},

		{"put without multipart", "PUT", sc + "/source-config", body(okXML), "application/xml", 400, []string{"multipart/form-data", `part named "file"`}},
		{"put without file part", "PUT", sc + "/source-config", noFile, noFileCT, 400, []string{`multipart part "file" is required`, `"document"`}},
		{"put malformed XML", "PUT", sc + "/source-template", mp("<Application>\n<Attributes>\n</Application>"), mpCT, 400, []string{"not well-formed XML", "line 3"}},
		{"put two roots", "PUT", sc + "/correlation-config", mp("<a/>\n<b/>"), mpCT, 400, []string{"second root element <b>", "line 2"}},
		{"put empty XML", "PUT", sc + "/correlation-config", mp(""), mpCT, 400, []string{"empty"}},
		{"put text not XML", "PUT", sc + "/correlation-config", mp("hello"), mpCT, 400, []string{"not well-formed XML"}},
		{"put translations bad UTF-8", "PUT", sc + "/translations/de", mp("a=\xff\n"), mpCT, 400, []string{"UTF-8", "byte 2"}},
		{"put translations bad locale", "PUT", sc + "/translations/xx", mp("a=b"), mpCT, 400, []string{`locale "xx"`, "de, no, fi"}},
		{"get translations bad locale", "GET", sc + "/translations/en-US", nil, "", 400, []string{`locale "en-US"`}},
		{"get translations missing locale", "GET", sc + "/translations/" + missingLocale(t, h, custom), nil, "", 404, []string{"no translations for locale", "locales present: "}},

		{"patch wrong content type", "PATCH", sc, body(patchBody), "application/json", 400, []string{"Content-Type must be application/json-patch+json", `"application/json"`}},
		{"patch not an array", "PATCH", sc, body(`{"op":"replace"}`), "application/json-patch+json", 400, []string{"array of JsonPatchOperation"}},
		{"patch empty", "PATCH", sc, body(`[]`), "application/json-patch+json", 400, []string{"empty array"}},
		{"patch non-patchable path", "PATCH", sc, body(`[{"op":"replace","path":"/name","value":"x"}]`), "application/json-patch+json", 400, []string{`path "/name" is not patchable`, "/connectorMetadata", "/sourceConfigXml"}},
		{"patch status", "PATCH", sc, body(`[{"op":"replace","path":"/status","value":"RELEASED"}]`), "application/json-patch+json", 400, []string{`"/status" is not patchable`}},
		{"patch path not a pointer", "PATCH", sc, body(`[{"op":"replace","path":"sourceConfigXml","value":"<a/>"}]`), "application/json-patch+json", 400, []string{"not a JSON Pointer"}},
		{"patch missing op", "PATCH", sc, body(`[{"path":"/sourceConfigXml","value":"<a/>"}]`), "application/json-patch+json", 400, []string{"operation 0", `"op" is required`}},
		{"patch unknown op", "PATCH", sc, body(`[{"op":"merge","path":"/sourceConfigXml","value":"<a/>"}]`), "application/json-patch+json", 400, []string{`op "merge"`}},
		{"patch missing value", "PATCH", sc, body(`[{"op":"replace","path":"/sourceConfigXml"}]`), "application/json-patch+json", 400, []string{`needs a "value"`}},
		{"patch null value", "PATCH", sc, body(`[{"op":"add","path":"/connectorMetadata/x","value":null}]`), "application/json-patch+json", 400, []string{"null is not allowed"}},
		{"patch fraction value", "PATCH", sc, body(`[{"op":"add","path":"/connectorMetadata/x","value":1.5}]`), "application/json-patch+json", 400, []string{"must be an integer"}},
		{"patch move without from", "PATCH", sc, body(`[{"op":"move","path":"/connectorMetadata/x"}]`), "application/json-patch+json", 400, []string{`"from"`, "does not define"}},
		{"patch malformed XML", "PATCH", sc, body(`[{"op":"replace","path":"/applicationXml","value":"<Application>"}]`), "application/json-patch+json", 400, []string{"/applicationXml is not well-formed XML", "line 1"}},
		{"patch remove XML", "PATCH", sc, body(`[{"op":"remove","path":"/correlationConfigXml"}]`), "application/json-patch+json", 400, []string{"/correlationConfigXml cannot be removed"}},
		{"patch XML not a string", "PATCH", sc, body(`[{"op":"replace","path":"/sourceConfigXml","value":{"a":1}}]`), "application/json-patch+json", 400, []string{"/sourceConfigXml must be a string", "object"}},
		{"patch inside XML", "PATCH", sc, body(`[{"op":"add","path":"/sourceConfigXml/x","value":"y"}]`), "application/json-patch+json", 400, []string{`cannot address "x" inside a string`}},
		{"patch metadata not object", "PATCH", sc, body(`[{"op":"replace","path":"/connectorMetadata","value":"x"}]`), "application/json-patch+json", 400, []string{"/connectorMetadata must be a JSON object", "string"}},
		{"patch replace missing member", "PATCH", sc, body(`[{"op":"replace","path":"/connectorMetadata/none","value":"x"}]`), "application/json-patch+json", 400, []string{"/connectorMetadata/none does not exist"}},
		{"patch failed test", "PATCH", sc, body(`[{"op":"test","path":"/connectorMetadata/supportedUI","value":"NOPE"}]`), "application/json-patch+json", 400, []string{"test failed"}},
		{"patch wrong xsd", "PATCH", sc, body(`[{"op":"replace","path":"/sourceConfigXml","value":"<Form xmlns=\"http://www.sailpoint.com/xsd/sailpoint_form_1_0.xsd\"/>"}]`), "application/json-patch+json", 400, []string{"unsupported xsd version"}},

		{"patch built-in", "PATCH", "/active-directory", body(patchBody), "application/json-patch+json", 403, []string{`"active-directory"`, "read-only"}},
		{"put built-in", "PUT", "/workday/source-config", mp(okXML), mpCT, 403, []string{`"workday"`, "read-only"}},
		{"delete built-in", "DELETE", "/ldap", nil, "", 403, []string{`"ldap"`, "read-only"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.sim.Dump()
			res := h.api(tt.method, tt.path, tt.body, tt.contentType)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			text := res.errorText(t)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("error %q lacks %q", text, w)
				}
			}
			var e errorResponse
			res.decode(t, &e)
			if seen[e.TrackingID] {
				t.Errorf("trackingId %s repeated", e.TrackingID)
			}
			seen[e.TrackingID] = true
			if res.header.Get("SLPT-Request-ID") != e.TrackingID {
				t.Errorf("SLPT-Request-ID %q differs from trackingId %q", res.header.Get("SLPT-Request-ID"), e.TrackingID)
			}
			if after := h.sim.Dump(); !dumpsEqual(before, after) {
				t.Error("a refused request changed the tenant")
			}
		})
	}
}

// mp is a multipart body with part "file"; mpCT its content type (fixed boundary).
func mp(content string) []byte {
	return []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n" + content + "\r\n--B--\r\n")
}

const mpCT = "multipart/form-data; boundary=B"

func missingLocale(t *testing.T, h *harness, scriptName string) string {
	t.Helper()
	c, _ := dumped(t, h.sim, scriptName)
	for _, l := range locales() {
		if _, ok := c.Translations[l]; !ok {
			return l
		}
	}
	t.Fatal("connector has every locale")
	return ""
}

func TestAuthErrors(t *testing.T) {
	h := newHarness(t, Options{TokenTTL: time.Minute})
	tests := []struct {
		name, header, want string
	}{
		{"no header", "", "no Authorization header"},
		{"basic scheme", "Basic c2ltOnNpbQ==", `scheme "Basic" is not supported`},
		{"empty bearer", "Bearer ", "Bearer token is empty"},
		{"unknown token", "Bearer abc", "not issued by this tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustRequest(t, http.MethodGet, h.srv.URL+"/v2025/connectors", nil, "")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res := h.send(req)
			assertUnauthorized(t, res, tt.want)
		})
	}
	t.Run("expired", func(t *testing.T) {
		h.get("").mustOK(t)
		h.clock.Advance(time.Minute)
		assertUnauthorized(t, h.get(""), "JWT validation failed: JWT is expired")
		h.tok = h.token()
		h.get("").mustOK(t)
	})
	t.Run("revoked", func(t *testing.T) {
		h.sim.RevokeTokens()
		assertUnauthorized(t, h.get(""), "revoked")
		h.tok = h.token()
		h.get("").mustOK(t)
	})
}

func assertUnauthorized(t *testing.T, res result, want string) {
	t.Helper()
	if res.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %s", res.status, res.body)
	}
	var body map[string]any
	res.decode(t, &body)
	msg, _ := body["error"].(string)
	if len(body) != 1 || !strings.Contains(msg, want) {
		t.Errorf("401 body %s, want {\"error\": \"...%s...\"}", res.body, want)
	}
}
