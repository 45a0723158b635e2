package tenant

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// specValidator is a base transport that checks every API request the client
// sends, and every answer it gets, against the spec in testdata.
type specValidator struct {
	t       *testing.T
	next    http.RoundTripper
	router  routers.Router
	mapPath func(string) (string, bool) // request path → the spec's path

	mu       sync.Mutex
	problems []string
	checked  map[string]int // operationId → requests checked
}

func newSpecValidator(t *testing.T) *specValidator {
	t.Helper()
	return loadSpecValidator(t, "../testdata/spec/connectors-v2025.yaml", specPath, func(doc *openapi3.T) {
		// Spec quirk (API-NOTES §7): PUT translations declares a bare object with
		// no fields, so any part is "undefined". The client sends part "file"
		// like the other PUTs; declare it, so that the part is still checked.
		put := doc.Paths.Value("/connectors/{scriptName}/translations/{locale}").Put
		put.RequestBody.Value.Content.Get("multipart/form-data").Schema.Value.Properties = openapi3.Schemas{
			"file": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"}),
		}
	})
}

// loadSpecValidator validates against the spec in file, after fix (if not
// nil) has amended it; mapPath maps a request's path onto the spec's paths.
func loadSpecValidator(t *testing.T, file string, mapPath func(string) (string, bool), fix func(*openapi3.T)) *specValidator {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The spec's own examples are not all valid (JsonPatchOperation's array
	// example sits on its items schema): check the schemas, not the examples.
	doc.Servers = nil // route on the paths alone; mapPath maps the surfaces onto them
	if fix != nil {
		fix(doc)
	}
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatal(err)
	}
	// The XML GETs answer application/xml, a string in the spec; kin-openapi
	// has no decoder for it by default.
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
	return &specValidator{t: t, next: http.DefaultTransport, router: router, mapPath: mapPath, checked: map[string]int{}}
}

// specPath maps /v2025/connectors… and /connectors/v1… onto the spec's /connectors….
func specPath(p string) (string, bool) {
	for _, prefix := range []string{"/v2025/connectors", "/connectors/v1"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && (rest == "" || rest[0] == '/') {
			return "/connectors" + rest, true
		}
	}
	return "", false
}

func (v *specValidator) problem(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *specValidator) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/oauth/token" {
		return v.next.RoundTrip(req)
	}
	what := req.Method + " " + req.URL.RequestURI()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	path, ok := v.mapPath(req.URL.Path)
	if !ok {
		v.problem("%s: not an API path", what)
		return v.next.RoundTrip(req)
	}
	vreq := req.Clone(req.Context())
	u := *req.URL
	u.Path, u.RawPath = path, ""
	vreq.URL = &u
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := v.router.FindRoute(vreq)
	if err != nil {
		v.problem("%s: no operation in the spec: %v", what, err)
		return v.next.RoundTrip(req)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		v.problem("%s request (%s): %v", what, route.Operation.OperationID, err)
	}
	if req.Header.Get("Authorization") == "" {
		v.problem("%s: no Authorization header", what)
	}
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	if err := openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(answer)), Options: in.Options,
	}); err != nil {
		v.problem("%s answer %d (%s): %v", what, resp.StatusCode, route.Operation.OperationID, err)
	}
	v.mu.Lock()
	v.checked[route.Operation.OperationID]++
	v.mu.Unlock()
	return resp, nil
}

// TestRequestsAndAnswersMatchTheSpec drives every operation, successes and
// refusals, on both surfaces through a validating transport.
func TestRequestsAndAnswersMatchTheSpec(t *testing.T) {
	for _, api := range []string{"v2025", "v1"} {
		t.Run(api, func(t *testing.T) {
			v := newSpecValidator(t)
			sim, url := startSim(t, tenantsim.Options{Seed: 40, Connectors: 3})
			c := newTestClient(t, url, func(o *Options) { o.API, o.Transport = api, v })
			ctx := t.Context()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}

			_, err := c.ListConnectors(ctx, ListOptions{Filters: And(Sw("type", "custom"), Eq("directConnect", true)).String(),
				Limit: 10, Offset: 1, Count: true, Locale: "no"})
			must(err)
			_, err = c.ListAllConnectors(ctx, "", nil)
			must(err)
			dc := true
			created, err := c.CreateConnector(ctx, NewConnector{Name: "Contract", Type: "custom Contract", ClassName: simClassName, DirectConnect: &dc, Status: StatusDemo})
			must(err)
			sn := created.ScriptName
			_, err = c.GetConnector(ctx, sn)
			must(err)
			parts := map[Part]string{
				{Kind: SourceConfig}:                  testSourceConfig,
				{Kind: SourceTemplate}:                testSourceTemplate,
				{Kind: CorrelationConfig}:             testCorrelationConfig,
				{Kind: Translations, Locale: "zh-CN"}: testTranslations,
				{Kind: Translations, Locale: "no"}:    "a=b\n",
			}
			for p, data := range parts {
				_, err := c.PutPart(ctx, sn, p, []byte(data))
				must(err)
				_, err = c.GetPart(ctx, sn, p)
				must(err)
			}
			_, err = c.PatchConnector(ctx, sn, []PatchOp{
				{Op: "replace", Path: "/connectorMetadata", Value: map[string]any{"shortDesc": "x", "n": 3}},
				{Op: "replace", Path: "/sourceConfigXml", Value: testSourceConfig},
			})
			must(err)

			// Refusals: 400, 403, 404 bodies must match the spec too.
			if _, err := c.GetConnector(ctx, "missing"); !IsNotFound(err) {
				t.Fatalf("get missing: %v", err)
			}
			if _, err := c.GetPart(ctx, "missing", Part{Kind: Translations, Locale: "de"}); !IsNotFound(err) {
				t.Fatalf("get part of missing: %v", err)
			}
			if _, err := c.CreateConnector(ctx, NewConnector{Name: "contract", ClassName: simClassName}); !IsStatus(err, 400) {
				t.Fatalf("duplicate: %v", err)
			}
			if err := c.DeleteConnector(ctx, builtinScriptName(t, sim)); !IsForbidden(err) {
				t.Fatalf("delete a SailPoint connector: %v", err)
			}
			must(c.DeleteConnector(ctx, sn))

			v.mu.Lock()
			defer v.mu.Unlock()
			for _, p := range v.problems {
				t.Error(p)
			}
			for _, op := range []string{opList, opCreate, opGet, opDelete, opPatch,
				opGetSourceConfig, opPutSourceConfig, opGetSourceTemplate, opPutSourceTemplate,
				opGetCorrelationConfig, opPutCorrelationConfig, opGetTranslations, opPutTranslations} {
				if v.checked[op] == 0 {
					t.Errorf("operation %s was never checked", op)
				}
			}
		})
	}
}
