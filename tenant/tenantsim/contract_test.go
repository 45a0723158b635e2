package tenantsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The contract test validates every request and every response of a scripted
// session against the official spec with kin-openapi: status, content type
// and body schema. Where the spec is silent (401 and 429 properties have no
// type, no response headers are declared) the validation is as lenient as the
// spec; declared schemas are checked strictly.

var registerXMLDecoder sync.Once

// contract is a simulator plus a router over the spec, pointed at it.
type contract struct {
	h      *harness
	router routers.Router
	opts   *openapi3filter.Options
	ops    map[string]bool // operationIds seen answering 2xx
}

func newContract(t *testing.T, h *harness) *contract {
	t.Helper()
	registerXMLDecoder.Do(func() {
		// The spec's XML bodies are plain strings; kin-openapi has no decoder for them.
		openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
	})
	doc, err := openapi3.NewLoader().LoadFromFile("../../testdata/spec/connectors-v2025.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: h.srv.URL + "/v2025"}}
	// The spec's own example for JsonPatchOperation.value's array items is an
	// array where an item is expected (a quirk of the spec): skip examples.
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			auth := in.RequestValidationInput.Request.Header.Get("Authorization")
			if !strings.HasPrefix(auth, "Bearer ") || len(auth) < len("Bearer x") {
				return errors.New("no bearer token")
			}
			return nil
		},
	}
	return &contract{h: h, router: router, opts: opts, ops: map[string]bool{}}
}

// step is one request of the script.
type step struct {
	method, path string // path below the surface prefix
	body         []byte
	contentType  string
	noAuth       bool
	status       int    // expected status
	op           string // expected operationId
	// invalid marks a request the spec itself forbids (kin-openapi must
	// refuse it too); the simulator's answer is still validated.
	invalid bool
	// bareBody skips request body validation where the spec's schema cannot
	// describe the body: PUT translations declares a bare object with no
	// "file" part (API-NOTES §7), and kin-openapi refuses undeclared parts.
	bareBody bool
}

// run sends s on the harness's surface, validates request and response
// against the spec, and returns the response.
func (c *contract) run(t *testing.T, s step) result {
	t.Helper()
	h := c.h
	// Validate as the v2025 path: the v1 surface has the same operations under /connectors/v1.
	vreq := mustRequest(t, s.method, h.srv.URL+"/v2025/connectors"+s.path, bytes.NewReader(s.body), s.contentType)
	req := mustRequest(t, s.method, h.srv.URL+h.prefix+s.path, bytes.NewReader(s.body), s.contentType)
	req.Header.Set("Accept", "application/json") // what the official clients send, even to XML GETs
	if !s.noAuth {
		vreq.Header.Set("Authorization", "Bearer "+h.tok)
		req.Header.Set("Authorization", "Bearer "+h.tok)
	}
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		t.Fatalf("%s %s: no route in the spec: %v", s.method, s.path, err)
	}
	if route.Operation.OperationID != s.op {
		t.Fatalf("%s %s routes to %s, want %s", s.method, s.path, route.Operation.OperationID, s.op)
	}
	opts := c.opts
	if s.bareBody {
		o := *c.opts
		o.ExcludeRequestBody = true
		opts = &o
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(t.Context(), in)
	switch {
	case s.invalid && reqErr == nil:
		t.Errorf("%s %s: kin-openapi accepts the request the script calls invalid", s.method, s.path)
	case !s.invalid && reqErr != nil:
		t.Errorf("%s %s: request does not match the spec: %v", s.method, s.path, reqErr)
	}

	res := h.send(req)
	if res.err != nil {
		t.Fatalf("%s %s: %v", s.method, s.path, res.err)
	}
	if res.status != s.status {
		t.Fatalf("%s %s: status %d, want %d: %s", s.method, s.path, res.status, s.status, res.body)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.status, Header: res.header, Options: c.opts,
	}
	out.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s %s: response %d does not match the spec: %v\n%s", s.method, s.path, res.status, err, abbreviate(res.body))
	}
	if res.status/100 == 2 {
		c.ops[s.op] = true
	}
	return res
}

func TestContract(t *testing.T) {
	for _, prefix := range []string{"/v2025/connectors", "/connectors/v1"} {
		t.Run(strings.Trim(prefix, "/"), func(t *testing.T) {
			h := newHarness(t, Options{Seed: 21, Connectors: 40, MaxLocales: 3})
			h.prefix = prefix
			c := newContract(t, h)
			runScript(t, c)
			if len(c.ops) != 13 {
				t.Errorf("%d operations answered 2xx, want all 13: %v", len(c.ops), c.ops)
			}
		})
	}
}

func runScript(t *testing.T, c *contract) {
	released := firstWithStatus(t, c.h.sim, "RELEASED")
	unlisted := firstWithStatus(t, c.h.sim, "DEVELOPMENT").ScriptName
	xmlFile, xmlCT := multipartFile("file", `<?xml version="1.0" encoding="UTF-8"?><Form xmlns="`+formNamespace+`" type="SourceConfig"><Sections/></Form>`)
	badXML, badCT := multipartFile("file", "<Form><Sections></Form>")
	noFile, noFileCT := multipartFile("document", "<a/>")
	props, propsCT := multipartFile("file", "key=välue\n")
	q := url.QueryEscape
	patch := func(ops ...map[string]any) []byte { b, _ := json.Marshal(ops); return b }
	const jp = "application/json-patch+json"

	for _, s := range []step{
		{method: "GET", path: "", status: 200, op: "getConnectorList"},
		{method: "GET", path: "?limit=5&offset=2&count=true&locale=de", status: 200, op: "getConnectorList"},
		{method: "GET", path: "?filters=" + q(`type sw "custom" and (name co "a" or directConnect eq "true")`), status: 200, op: "getConnectorList"},
		{method: "GET", path: "?filters=" + q(`features ca ("PROVISIONING") or labels ca ("HR")`), status: 200, op: "getConnectorList"},
		{method: "GET", path: "?filters=" + q(`name eq "x"`), status: 400, op: "getConnectorList"},
		{method: "GET", path: "?limit=251", status: 400, op: "getConnectorList", invalid: true},
		{method: "GET", path: "?offset=-1", status: 400, op: "getConnectorList", invalid: true},
		{method: "GET", path: "", noAuth: true, status: 401, op: "getConnectorList", invalid: true},

		{method: "GET", path: "/" + released.ScriptName + "?locale=fr", status: 200, op: "getConnector"},
		{method: "GET", path: "/" + unlisted, status: 200, op: "getConnector"},
		{method: "GET", path: "/nope", status: 404, op: "getConnector"},
		{method: "GET", path: "/" + released.ScriptName + "/source-config", status: 200, op: "getConnectorSourceConfig"},
		{method: "GET", path: "/" + released.ScriptName + "/source-template", status: 200, op: "getConnectorSourceTemplate"},
		{method: "GET", path: "/" + released.ScriptName + "/correlation-config", status: 200, op: "getConnectorCorrelationConfig"},
		{method: "GET", path: "/" + released.ScriptName + "/translations/en", status: 200, op: "getConnectorTranslations"},
		{method: "GET", path: "/" + released.ScriptName + "/translations/" + missingLocale(t, c.h, released.ScriptName), status: 404, op: "getConnectorTranslations"},
		{method: "GET", path: "/nope/source-config", status: 404, op: "getConnectorSourceConfig"},
		{method: "GET", path: "/workday/translations/no", status: 200, op: "getConnectorTranslations"},

		{method: "POST", path: "", body: []byte(`{"name":"Contract Ünïcode","className":"sailpoint.connector.OpenConnectorAdapter","status":"RELEASED"}`),
			contentType: "application/json", status: 200, op: "createCustomConnector"},
		{method: "POST", path: "", body: []byte(`{"name":"contract ünïcode","className":"x.Y"}`), contentType: "application/json", status: 400, op: "createCustomConnector"},
		{method: "POST", path: "", body: []byte(`{"name":"No Class"}`), contentType: "application/json", status: 400, op: "createCustomConnector", invalid: true},
	} {
		c.run(t, s)
	}
	var created connectorDto
	for _, x := range c.h.list("filters=" + q(`name sw "contract"`)) {
		created = x
	}
	sn := "/" + created.ScriptName
	if created.ScriptName == "" {
		t.Fatal("the created connector is not listed")
	}

	for _, s := range []step{
		{method: "PATCH", path: sn, body: patch(
			map[string]any{"op": "replace", "path": "/sourceConfigXml", "value": "<Form xmlns=\"" + formNamespace + "\" type=\"SourceConfig\"/>"},
			map[string]any{"op": "add", "path": "/connectorMetadata/supportedUI", "value": "ANGULAR"},
			map[string]any{"op": "add", "path": "/connectorMetadata/tags", "value": []any{"a", 1}},
		), contentType: jp, status: 200, op: "updateConnector"},
		{method: "PATCH", path: sn, body: patch(map[string]any{"op": "replace", "path": "/name", "value": "x"}), contentType: jp, status: 400, op: "updateConnector"},
		{method: "PATCH", path: sn, body: patch(map[string]any{"op": "replace", "path": "/applicationXml", "value": "<A>"}), contentType: jp, status: 400, op: "updateConnector"},
		{method: "PATCH", path: sn, body: patch(map[string]any{"op": "add", "path": "/connectorMetadata/x", "value": 1.5}), contentType: jp, status: 400, op: "updateConnector", invalid: true},
		{method: "PATCH", path: "/active-directory", body: patch(map[string]any{"op": "remove", "path": "/connectorMetadata/shortDesc"}), contentType: jp, status: 403, op: "updateConnector"},

		{method: "PUT", path: sn + "/source-config", body: xmlFile, contentType: xmlCT, status: 200, op: "putConnectorSourceConfig"},
		{method: "PUT", path: sn + "/source-config", body: badXML, contentType: badCT, status: 400, op: "putConnectorSourceConfig"},
		{method: "PUT", path: sn + "/source-config", body: noFile, contentType: noFileCT, status: 400, op: "putConnectorSourceConfig", invalid: true},
		{method: "PUT", path: sn + "/source-template", body: xmlFile, contentType: xmlCT, status: 200, op: "putConnectorSourceTemplate"},
		{method: "PUT", path: sn + "/correlation-config", body: xmlFile, contentType: xmlCT, status: 200, op: "putConnectorCorrelationConfig"},
		{method: "PUT", path: "/servicenow/correlation-config", body: xmlFile, contentType: xmlCT, status: 403, op: "putConnectorCorrelationConfig"},
		{method: "PUT", path: sn + "/translations/de", body: props, contentType: propsCT, status: 200, op: "putConnectorTranslations", bareBody: true},
		{method: "PUT", path: sn + "/translations/xx", body: props, contentType: propsCT, status: 400, op: "putConnectorTranslations", invalid: true, bareBody: true},
		{method: "GET", path: sn + "/translations/de", status: 200, op: "getConnectorTranslations"},
		{method: "GET", path: sn, status: 200, op: "getConnector"},

		{method: "DELETE", path: sn, status: 204, op: "deleteCustomConnector"},
		{method: "DELETE", path: sn, status: 404, op: "deleteCustomConnector"},
		{method: "DELETE", path: "/salesforce", status: 403, op: "deleteCustomConnector"},
	} {
		c.run(t, s)
	}

	// 500 and 429 bodies.
	c.h.sim.SetFaults(Faults{Error500: 1})
	c.run(t, step{method: "GET", path: "/workday", status: 500, op: "getConnector"})
	c.h.sim.SetFaults(Faults{BurstEvery: 1, BurstFor: 1})
	res := c.run(t, step{method: "GET", path: "/workday", status: 429, op: "getConnector"})
	if res.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
	}
	c.h.sim.SetFaults(Faults{})
}
