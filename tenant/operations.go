package tenant

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// The operationIds of the spec; APIError.Operation is one of them on either
// surface (the v1 spec's ids only add a "V1" suffix).
const (
	opList                  = "getConnectorList"
	opCreate                = "createCustomConnector"
	opGet                   = "getConnector"
	opDelete                = "deleteCustomConnector"
	opPatch                 = "updateConnector"
	opGetSourceConfig       = "getConnectorSourceConfig"
	opPutSourceConfig       = "putConnectorSourceConfig"
	opGetSourceTemplate     = "getConnectorSourceTemplate"
	opPutSourceTemplate     = "putConnectorSourceTemplate"
	opGetCorrelationConfig  = "getConnectorCorrelationConfig"
	opPutCorrelationConfig  = "putConnectorCorrelationConfig"
	opGetTranslations       = "getConnectorTranslations"
	opPutTranslations       = "putConnectorTranslations"
	pageLimit               = 250
	acceptJSON              = "application/json"
	acceptXML               = "application/xml, application/json"
	acceptText              = "text/plain, application/json"
	contentTypeJSONPatch    = "application/json-patch+json"
	contentTypeTranslations = "text/plain; charset=utf-8"
	contentTypeXML          = "application/xml"
)

// ListOptions are the query parameters of getConnectorList.
type ListOptions struct {
	Filters string // filter text, e.g. Sw("name", "Acme").String()
	Limit   int    // 0 → 250 (the maximum)
	Offset  int
	Count   bool   // ask for the total (X-Total-Count); costly, only when used
	Locale  string // optional; one of Locales()
}

// Page is one page of the connector list.
type Page struct {
	Items []Connector
	Total int // the total after filters when ListOptions.Count was set, else -1
}

// ListConnectors returns one page of the RELEASED connectors (getConnectorList).
func (c *Client) ListConnectors(ctx context.Context, o ListOptions) (Page, error) {
	if o.Limit == 0 {
		o.Limit = pageLimit
	}
	if o.Limit < 0 || o.Limit > pageLimit || o.Offset < 0 {
		return Page{}, fmt.Errorf("%s: limit %d or offset %d out of range (limit 1-%d, offset ≥ 0)", opList, o.Limit, o.Offset, pageLimit)
	}
	q := pageQuery(o.Filters, o.Limit, o.Offset, o.Count)
	if o.Locale != "" {
		q.Set("locale", o.Locale)
	}
	resp, body, err := c.do(ctx, call{op: opList, method: http.MethodGet, query: q, accept: acceptJSON})
	if err != nil {
		return Page{}, err
	}
	page := Page{Total: totalCount(resp, o.Count)}
	if err := decodeJSON(opList, "", body, &page.Items); err != nil {
		return Page{}, err
	}
	return page, nil
}

// pageQuery is the standard collection parameters of one page.
func pageQuery(filters string, limit, offset int, count bool) url.Values {
	q := url.Values{}
	if filters != "" {
		q.Set("filters", filters)
	}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(offset))
	if count {
		q.Set("count", "true")
	}
	return q
}

// totalCount is the X-Total-Count of a list answer when it was asked for and
// sent, else -1.
func totalCount(resp *http.Response, asked bool) int {
	if asked {
		if n, err := strconv.Atoi(resp.Header.Get("X-Total-Count")); err == nil && n >= 0 {
			return n
		}
	}
	return -1
}

// CreateConnector creates a custom connector (createCustomConnector) and
// returns it with the scriptName the tenant derived from its name.
//
// A create is never retried once it may have reached the tenant: after a
// reset, timeout, truncated answer or 5xx the error wraps ErrAmbiguous, and
// the caller looks the name up to learn whether it exists.
func (c *Client) CreateConnector(ctx context.Context, nc NewConnector) (Connector, error) {
	if nc.Name == "" || nc.ClassName == "" {
		return Connector{}, fmt.Errorf("%s: name and className are required", opCreate)
	}
	body, err := json.Marshal(nc)
	if err != nil {
		return Connector{}, fmt.Errorf("%s %q: encode body: %w", opCreate, nc.Name, err)
	}
	_, answer, err := c.do(ctx, call{op: opCreate, target: nc.Name, method: http.MethodPost,
		accept: acceptJSON, contentType: acceptJSON, body: body})
	if err != nil {
		if isServerError(err) {
			return Connector{}, fmt.Errorf("%w: %w", ErrAmbiguous, err)
		}
		return Connector{}, err
	}
	var conn Connector
	if err := decodeJSON(opCreate, nc.Name, answer, &conn); err != nil {
		// The tenant answered 200, so the connector exists, but its
		// scriptName is unknown: that too is for a lookup to settle.
		return Connector{}, fmt.Errorf("%w: %w", ErrAmbiguous, err)
	}
	return conn, nil
}

// isServerError reports whether err is, or wraps, an APIError with a 5xx status.
func isServerError(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status >= 500 && e.Status <= 599
}

// GetConnector returns a connector with all its configuration (getConnector).
// DEVELOPMENT and DEMO connectors, missing from the list, are found here.
func (c *Client) GetConnector(ctx context.Context, scriptName string) (ConnectorDetail, error) {
	var d ConnectorDetail
	if scriptName == "" {
		return d, fmt.Errorf("%s: empty scriptName", opGet)
	}
	_, body, err := c.do(ctx, call{op: opGet, target: scriptName, method: http.MethodGet,
		path: "/" + url.PathEscape(scriptName), accept: acceptJSON})
	if err != nil {
		return d, err
	}
	err = decodeJSON(opGet, scriptName, body, &d)
	return d, err
}

// DeleteConnector deletes a custom connector (deleteCustomConnector). A 404
// after a retry counts as done: the attempt that failed most likely deleted it.
func (c *Client) DeleteConnector(ctx context.Context, scriptName string) error {
	if scriptName == "" {
		return fmt.Errorf("%s: empty scriptName", opDelete)
	}
	ctx, info := withAttemptInfo(ctx)
	_, _, err := c.do(ctx, call{op: opDelete, target: scriptName, method: http.MethodDelete,
		path: "/" + url.PathEscape(scriptName), accept: acceptJSON})
	if IsNotFound(err) && info.mayHaveApplied {
		c.log.Info("connector gone after a retried delete; taking the first attempt as done", "scriptName", scriptName)
		return nil
	}
	return err
}

// PatchConnector applies RFC 6902 operations to a connector (updateConnector)
// and returns the result. Only connectorMetadata, applicationXml,
// correlationConfigXml and sourceConfigXml may be changed (see Patchable).
func (c *Client) PatchConnector(ctx context.Context, scriptName string, ops []PatchOp) (ConnectorDetail, error) {
	var d ConnectorDetail
	if scriptName == "" {
		return d, fmt.Errorf("%s: empty scriptName", opPatch)
	}
	if ops == nil {
		ops = []PatchOp{}
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return d, fmt.Errorf("%s %q: encode body: %w", opPatch, scriptName, err)
	}
	_, answer, err := c.do(ctx, call{op: opPatch, target: scriptName, method: http.MethodPatch,
		path: "/" + url.PathEscape(scriptName), accept: acceptJSON, contentType: contentTypeJSONPatch, body: body})
	if err != nil {
		return d, err
	}
	err = decodeJSON(opPatch, scriptName, answer, &d)
	return d, err
}

// partOp describes the two operations of one sub-resource.
type partOp struct {
	get, put    string // operationIds
	path        string // below the connector, escaped
	accept      string // for the GET
	filename    string // of the multipart part of the PUT
	contentType string // of the multipart part of the PUT
}

func partOps(p Part) (partOp, error) {
	switch p.Kind {
	case SourceConfig:
		return partOp{opGetSourceConfig, opPutSourceConfig, "/source-config", acceptXML, "source-config.xml", contentTypeXML}, nil
	case SourceTemplate:
		return partOp{opGetSourceTemplate, opPutSourceTemplate, "/source-template", acceptXML, "source-template.xml", contentTypeXML}, nil
	case CorrelationConfig:
		return partOp{opGetCorrelationConfig, opPutCorrelationConfig, "/correlation-config", acceptXML, "correlation-config.xml", contentTypeXML}, nil
	case Translations:
		if !ValidLocale(p.Locale) {
			return partOp{}, fmt.Errorf("translations locale %q is not one of %v", p.Locale, Locales())
		}
		return partOp{opGetTranslations, opPutTranslations, "/translations/" + url.PathEscape(p.Locale), acceptText,
			p.Locale + ".properties", contentTypeTranslations}, nil
	}
	return partOp{}, fmt.Errorf("unknown connector part %q", p.Kind)
}

// GetPart returns a sub-resource's content: source-config, source-template
// or correlation-config XML, or a locale's translations as properties text
// (getConnectorSourceConfig, getConnectorSourceTemplate,
// getConnectorCorrelationConfig, getConnectorTranslations).
func (c *Client) GetPart(ctx context.Context, scriptName string, p Part) ([]byte, error) {
	po, err := partOps(p)
	if err != nil {
		return nil, fmt.Errorf("get %s of %q: %w", p, scriptName, err)
	}
	if scriptName == "" {
		return nil, fmt.Errorf("%s: empty scriptName", po.get)
	}
	_, body, err := c.do(ctx, call{op: po.get, target: scriptName, method: http.MethodGet,
		path: "/" + url.PathEscape(scriptName) + po.path, accept: po.accept})
	return body, err
}

// PutPart replaces a sub-resource's content (putConnectorSourceConfig,
// putConnectorSourceTemplate, putConnectorCorrelationConfig,
// putConnectorTranslations): a multipart body with part "file" named after
// the part (source-config.xml, …, <locale>.properties). A 200 whose status is
// ERROR returns the detail and an *UpdateError with the tenant's message.
func (c *Client) PutPart(ctx context.Context, scriptName string, p Part, data []byte) (UpdateDetail, error) {
	var d UpdateDetail
	po, err := partOps(p)
	if err != nil {
		return d, fmt.Errorf("put %s of %q: %w", p, scriptName, err)
	}
	if scriptName == "" {
		return d, fmt.Errorf("%s: empty scriptName", po.put)
	}
	body, contentType, err := multipartFile(po.filename, po.contentType, data)
	if err != nil {
		return d, fmt.Errorf("%s %q: encode body: %w", po.put, scriptName, err)
	}
	_, answer, err := c.do(ctx, call{op: po.put, target: scriptName, method: http.MethodPut,
		path: "/" + url.PathEscape(scriptName) + po.path, accept: acceptJSON, contentType: contentType, body: body})
	if err != nil {
		return d, err
	}
	if err := decodeJSON(po.put, scriptName, answer, &d); err != nil {
		return d, err
	}
	if strings.EqualFold(d.Status, "ERROR") {
		return d, &UpdateError{Operation: po.put, ScriptName: scriptName, Part: p, Detail: d}
	}
	return d, nil
}

// multipartFile encodes data as the form-data part "file".
func multipartFile(filename, contentType string, data []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// call is one operation's request.
type call struct {
	op          string // operationId
	target      string // the scriptName (or name) the call is about, for errors
	method      string
	collection  string // the collection path; "" → the connectors collection of the surface
	path        string // below the collection, escaped
	query       url.Values
	accept      string
	contentType string
	body        []byte
}

// do sends a call through the chain and returns the answer and its body; an
// answer other than 2xx becomes an *APIError.
func (c *Client) do(ctx context.Context, cl call) (*http.Response, []byte, error) {
	u := c.base + orDefault(cl.collection, c.prefix) + cl.path
	if len(cl.query) > 0 {
		// Spaces as %20, as ISC's documentation writes them, not "+".
		u += "?" + strings.ReplaceAll(cl.query.Encode(), "+", "%20")
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body) // NewRequest sets GetBody: replayable
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.describe(cl), err)
	}
	req.Header.Set("Accept", cl.accept)
	if cl.contentType != "" {
		req.Header.Set("Content-Type", cl.contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the operation names the request better than the URL
		}
		return nil, nil, fmt.Errorf("%s: %w", c.describe(cl), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body) // already buffered by the retry layer
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read answer: %w", c.describe(cl), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError(cl.op, cl.method, req.URL.Path, cl.target, resp.StatusCode, data, c.redact)
		if resp.StatusCode == http.StatusUnauthorized && c.static {
			e.Messages = append(e.Messages, "the access token was rejected (expired or revoked?); a ready token cannot be renewed, set a client id and secret instead")
		}
		return nil, nil, e
	}
	return resp, data, nil
}

func (c *Client) describe(cl call) string {
	if cl.target == "" {
		return cl.op
	}
	return fmt.Sprintf("%s %q", cl.op, cl.target)
}

func decodeJSON(op, target string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		if target != "" {
			return fmt.Errorf("%s %q: decode answer: %w", op, target, err)
		}
		return fmt.Errorf("%s: decode answer: %w", op, err)
	}
	return nil
}
