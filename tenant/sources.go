package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The Sources API's operationIds (testdata/spec/sources-subset-v2025.yaml).
const (
	opListSources         = "listSources"
	opGetSource           = "getSource"
	opImportConnectorFile = "importConnectorFile"
	// sourcesCollection is the Sources API's path on both connector
	// surfaces: it has no per-service (v1) version.
	sourcesCollection = "/v2025/sources"
)

// The scopes the Sources API asks for, per the v2025 spec: reading needs one
// of ScopeSourcesRead and ScopeSourcesManage, uploads ScopeSourcesAdmin.
const (
	ScopeSourcesRead   = "idn:sources:read"
	ScopeSourcesManage = "idn:sources:manage"
	ScopeSourcesAdmin  = "idn:sources-admin:manage"
)

// Source is the Sources API's Source, the fields connvault uses; the others
// are kept in Extra. Connector is the scriptName of the connector the source
// uses (SP-Config exports call it connectorScriptName); the tenant refuses to
// change it, or ConnectorClass, on an existing source.
type Source struct {
	ID                  string         `json:"id,omitempty"`
	Name                string         `json:"name,omitempty"`
	Description         string         `json:"description,omitempty"`
	Type                string         `json:"type,omitempty"`
	Connector           string         `json:"connector,omitempty"`
	ConnectorClass      string         `json:"connectorClass,omitempty"`
	ConnectorName       string         `json:"connectorName,omitempty"`
	ConnectorAttributes map[string]any `json:"connectorAttributes,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// ConnectorFilesAttribute is the connectorAttributes key that holds the names
// of the connector files (jars) uploaded to a source, comma-separated (or as
// a list). ISC's documentation does not name it: this is an assumption,
// stated in the README, which the simulator follows.
const ConnectorFilesAttribute = "connector_files"

// UploadedFiles returns the names of the connector files uploaded to the
// source, as its connectorAttributes tell them (see ConnectorFilesAttribute);
// nil when it tells none.
func (s Source) UploadedFiles() []string {
	var out []string
	switch v := s.ConnectorAttributes[ConnectorFilesAttribute].(type) {
	case string:
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	case []any:
		for _, x := range v {
			if f, ok := x.(string); ok && strings.TrimSpace(f) != "" {
				out = append(out, strings.TrimSpace(f))
			}
		}
	}
	return out
}

// MarshalJSON writes the known fields and then those kept in Extra.
func (s Source) MarshalJSON() ([]byte, error) {
	type plain Source
	return marshalWithExtra(plain(s), s.Extra)
}

// UnmarshalJSON reads the known fields and keeps the others in Extra.
func (s *Source) UnmarshalJSON(b []byte) error {
	type plain Source
	var p plain
	extra, _, err := unmarshalWithExtra(b, &p)
	if err != nil {
		return err
	}
	*s = Source(p)
	s.Extra = extra
	return nil
}

// SourceListOptions are the query parameters of listSources.
type SourceListOptions struct {
	Filters string // e.g. Sw("name", "HR").String(); there is no filter on connector
	Sorters string // e.g. "name,-created"
	Limit   int    // 0 → 250 (the maximum)
	Offset  int
	Count   bool // ask for the total (X-Total-Count)
}

// SourcePage is one page of the source list.
type SourcePage struct {
	Items []Source
	Total int // the total after filters when Count was set and sent, else -1
}

// ListSources returns one page of sources (listSources).
func (c *Client) ListSources(ctx context.Context, o SourceListOptions) (SourcePage, error) {
	if o.Limit == 0 {
		o.Limit = pageLimit
	}
	if o.Limit < 0 || o.Limit > pageLimit || o.Offset < 0 {
		return SourcePage{}, fmt.Errorf("%s: limit %d or offset %d out of range (limit 1-%d, offset ≥ 0)", opListSources, o.Limit, o.Offset, pageLimit)
	}
	q := pageQuery(o.Filters, o.Limit, o.Offset, o.Count)
	if o.Sorters != "" {
		q.Set("sorters", o.Sorters)
	}
	resp, body, err := c.do(ctx, call{op: opListSources, collection: sourcesCollection, method: http.MethodGet, query: q, accept: acceptJSON})
	if err != nil {
		return SourcePage{}, err
	}
	page := SourcePage{Total: totalCount(resp, o.Count)}
	if err := decodeJSON(opListSources, "", body, &page.Items); err != nil {
		return SourcePage{}, err
	}
	return page, nil
}

// ListAllSources reads every source matching filters, sorted by id so that
// pages do not shift under concurrent changes. It pages, each offset after
// the items received, until the offset reaches the total the first page
// announced (never asking beyond it) or a page comes back empty; a page
// shorter than the limit is not taken as the end. A source listed twice is
// kept once.
// Reading sources needs idn:sources:read or idn:sources:manage: without it
// the error is an *APIError for which IsForbidden is true.
func (c *Client) ListAllSources(ctx context.Context, filters string) ([]Source, error) {
	var all []Source
	seen := map[string]bool{}
	total := -1
	for offset := 0; total < 0 || offset < total; {
		page, err := c.ListSources(ctx, SourceListOptions{Filters: filters, Sorters: "id", Offset: offset, Count: offset == 0})
		if err != nil {
			return nil, fmt.Errorf("list sources from offset %d: %w", offset, err)
		}
		if offset == 0 {
			total = page.Total
		}
		if len(page.Items) == 0 {
			break
		}
		offset += len(page.Items) // a page may be shorter than the limit
		for _, s := range page.Items {
			if s.ID != "" && seen[s.ID] {
				continue
			}
			seen[s.ID] = true
			all = append(all, s)
		}
	}
	return all, nil
}

// GetSource returns one source by id (getSource).
func (c *Client) GetSource(ctx context.Context, id string) (Source, error) {
	var s Source
	if id == "" {
		return s, fmt.Errorf("%s: empty source id", opGetSource)
	}
	_, body, err := c.do(ctx, call{op: opGetSource, target: id, collection: sourcesCollection, method: http.MethodGet,
		path: "/" + url.PathEscape(id), accept: acceptJSON})
	if err != nil {
		return s, err
	}
	err = decodeJSON(opGetSource, id, body, &s)
	return s, err
}

// UploadConnectorFile uploads a connector file (a jar) to a source
// (importConnectorFile, multipart part "file" named filename) and returns
// the source after it. It needs idn:sources-admin:manage. Like every POST it
// is not retried once it may have reached the tenant: such an error wraps
// ErrAmbiguous (uploading the same file again is harmless).
func (c *Client) UploadConnectorFile(ctx context.Context, sourceID, filename string, data []byte) (Source, error) {
	var s Source
	if sourceID == "" || filename == "" {
		return s, fmt.Errorf("%s: source id and file name are required", opImportConnectorFile)
	}
	body, contentType, err := multipartFile(filename, "application/octet-stream", data)
	if err != nil {
		return s, fmt.Errorf("%s %q: encode body: %w", opImportConnectorFile, sourceID, err)
	}
	_, answer, err := c.do(ctx, call{op: opImportConnectorFile, target: sourceID, collection: sourcesCollection,
		method: http.MethodPost, path: "/" + url.PathEscape(sourceID) + "/upload-connector-file",
		accept: acceptJSON, contentType: contentType, body: body})
	if err != nil {
		if isServerError(err) {
			return s, fmt.Errorf("%w: %w", ErrAmbiguous, err)
		}
		return s, err
	}
	err = decodeJSON(opImportConnectorFile, sourceID, answer, &s)
	return s, err
}
