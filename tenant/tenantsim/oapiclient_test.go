package tenantsim

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim/internal/oapiclient"
)

// TestGeneratedClient drives the simulator through a client generated from
// the official spec by oapi-codegen: list, get, create, patch, put, delete.
// Run with: go test -tags oapiclient ./tenant/tenantsim/ (see internal/oapiclient).
func TestGeneratedClient(t *testing.T) {
	h := newHarness(t, Options{Seed: 3, Connectors: 20})
	for _, prefix := range []string{"/v2025", "/connectors/v1"} {
		t.Run(strings.Trim(prefix, "/"), func(t *testing.T) {
			base := h.srv.URL + prefix
			if prefix == "/connectors/v1" {
				// The generated paths start with /connectors; v1 puts the version after it.
				base = h.srv.URL
			}
			c, err := oapiclient.NewClientWithResponses(base,
				oapiclient.WithHTTPClient(&v1Rewriter{on: prefix == "/connectors/v1", next: http.DefaultClient}),
				oapiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
					req.Header.Set("Authorization", "Bearer "+h.tok)
					return nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			generatedClientSession(t, c, strings.ReplaceAll(prefix, "/", " "))
		})
	}
}

// v1Rewriter moves /connectors… to /connectors/v1… for the v1 surface.
type v1Rewriter struct {
	on   bool
	next oapiclient.HttpRequestDoer
}

func (r *v1Rewriter) Do(req *http.Request) (*http.Response, error) {
	if r.on {
		req.URL.Path = "/connectors/v1" + strings.TrimPrefix(req.URL.Path, "/connectors")
		req.URL.RawPath = ""
	}
	return r.next.Do(req)
}

func generatedClientSession(t *testing.T, c *oapiclient.ClientWithResponses, suffix string) {
	ctx := t.Context()
	limit, count := int32(5), true
	list, err := c.GetConnectorListWithResponse(ctx, &oapiclient.GetConnectorListParams{Limit: &limit, Count: &count})
	if err != nil || list.StatusCode() != 200 || list.JSON200 == nil || len(*list.JSON200) != 5 {
		t.Fatalf("list: %v %d %s", err, list.StatusCode(), list.Body)
	}
	if list.HTTPResponse.Header.Get("X-Total-Count") == "" {
		t.Error("no X-Total-Count")
	}

	status := oapiclient.V3CreateConnectorDtoStatus("RELEASED")
	created, err := c.CreateCustomConnectorWithResponse(ctx, oapiclient.V3CreateConnectorDto{
		Name: "Generated Ünïcode" + suffix, ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: &status,
	})
	if err != nil || created.JSON200 == nil || created.JSON200.ScriptName == nil {
		t.Fatalf("create: %v %d %s", err, created.StatusCode(), created.Body)
	}
	sn := *created.JSON200.ScriptName

	got, err := c.GetConnectorWithResponse(ctx, sn, nil)
	if err != nil || got.JSON200 == nil || *got.JSON200.Name != "Generated Ünïcode"+suffix {
		t.Fatalf("get: %v %d %s", err, got.StatusCode(), got.Body)
	}

	doc := `<Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" name="generated" type="SourceConfig"/>`
	var v oapiclient.JsonPatchOperation_Value
	if err := v.FromJsonPatchOperationValue0(doc); err != nil {
		t.Fatal(err)
	}
	patched, err := c.UpdateConnectorWithApplicationJSONPatchPlusJSONBodyWithResponse(ctx, sn,
		[]oapiclient.JsonPatchOperation{{Op: "replace", Path: "/sourceConfigXml", Value: &v}})
	if err != nil || patched.JSON200 == nil || *patched.JSON200.SourceConfigXml != doc {
		t.Fatalf("patch: %v %d %s", err, patched.StatusCode(), patched.Body)
	}
	// The generated XML200 decodes the root's character data only; read Body.
	sc, err := c.GetConnectorSourceConfigWithResponse(ctx, sn)
	if err != nil || sc.StatusCode() != 200 || string(sc.Body) != doc {
		t.Fatalf("source-config after patch: %v %d %q", err, sc.StatusCode(), sc.Body)
	}

	body, ct := multipartFile("file", "<CorrelationConfig name=\"generated\"/>")
	put, err := c.PutConnectorCorrelationConfigWithBodyWithResponse(ctx, sn, ct, bytes.NewReader(body))
	if err != nil || put.JSON200 == nil || *put.JSON200.Status != "UPDATED" {
		t.Fatalf("put correlation-config: %v %d %s", err, put.StatusCode(), put.Body)
	}
	body, ct = multipartFile("file", "key=wert ä\n")
	putT, err := c.PutConnectorTranslationsWithBodyWithResponse(ctx, sn, "de", ct, bytes.NewReader(body))
	if err != nil || putT.JSON200 == nil || *putT.JSON200.Status != "UPDATED" {
		t.Fatalf("put translations: %v %d %s", err, putT.StatusCode(), putT.Body)
	}
	tr, err := c.GetConnectorTranslationsWithResponse(ctx, sn, "de")
	if err != nil || string(tr.Body) != "key=wert ä\n" {
		t.Fatalf("get translations: %v %d %q", err, tr.StatusCode(), tr.Body)
	}

	del, err := c.DeleteCustomConnectorWithResponse(ctx, sn)
	if err != nil || del.StatusCode() != 204 {
		t.Fatalf("delete: %v %d %s", err, del.StatusCode(), del.Body)
	}
	gone, err := c.GetConnectorWithResponse(ctx, sn, nil)
	if err != nil || gone.JSON404 == nil || gone.JSON404.TrackingId == nil {
		t.Fatalf("get after delete: %v %d %s", err, gone.StatusCode(), gone.Body)
	}
}
