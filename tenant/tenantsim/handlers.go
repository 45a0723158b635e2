package tenantsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// connectorDto is the spec's V3ConnectorDto.
type connectorDto struct {
	Name              string         `json:"name"`
	Type              string         `json:"type"`
	ScriptName        string         `json:"scriptName"`
	ClassName         *string        `json:"className"`
	Features          []string       `json:"features"`
	DirectConnect     bool           `json:"directConnect"`
	ConnectorMetadata map[string]any `json:"connectorMetadata"`
	Status            string         `json:"status"`
}

func toDto(c *DumpConnector) connectorDto {
	d := connectorDto{
		Name: c.Name, Type: c.Type, ScriptName: c.ScriptName, Features: c.Features,
		DirectConnect: c.DirectConnect, ConnectorMetadata: c.ConnectorMetadata, Status: c.Status,
	}
	if c.ClassName != "" {
		d.ClassName = &c.ClassName
	}
	if d.ConnectorMetadata == nil {
		d.ConnectorMetadata = map[string]any{}
	}
	return d
}

// connectorDetail is the spec's ConnectorDetail.
type connectorDetail struct {
	Name                  string            `json:"name"`
	Type                  string            `json:"type"`
	ClassName             string            `json:"className"`
	ScriptName            string            `json:"scriptName"`
	ApplicationXml        string            `json:"applicationXml"`
	CorrelationConfigXml  string            `json:"correlationConfigXml"`
	SourceConfigXml       string            `json:"sourceConfigXml"`
	SourceConfig          *string           `json:"sourceConfig"`
	SourceConfigFrom      *string           `json:"sourceConfigFrom"`
	S3Location            string            `json:"s3Location"`
	UploadedFiles         []string          `json:"uploadedFiles"`
	FileUpload            bool              `json:"fileUpload"`
	DirectConnect         bool              `json:"directConnect"`
	TranslationProperties map[string]string `json:"translationProperties"`
	ConnectorMetadata     map[string]any    `json:"connectorMetadata"`
	Status                string            `json:"status"`
}

func toDetail(c DumpConnector) connectorDetail {
	d := connectorDetail{
		Name: c.Name, Type: c.Type, ClassName: c.ClassName, ScriptName: c.ScriptName,
		ApplicationXml: c.ApplicationXml, CorrelationConfigXml: c.CorrelationConfigXml,
		SourceConfigXml: c.SourceConfigXml, SourceConfig: &c.SourceConfigXml,
		S3Location: c.S3Location, UploadedFiles: c.UploadedFiles, FileUpload: c.FileUpload,
		DirectConnect: c.DirectConnect, TranslationProperties: c.Translations,
		ConnectorMetadata: c.ConnectorMetadata, Status: c.Status,
	}
	if c.SourceConfigFrom != "" {
		d.SourceConfigFrom = &c.SourceConfigFrom
	}
	if d.TranslationProperties == nil {
		d.TranslationProperties = map[string]string{}
	}
	if d.ConnectorMetadata == nil {
		d.ConnectorMetadata = map[string]any{}
	}
	return d
}

// updateDetail is the spec's UpdateDetail.
type updateDetail struct {
	Message      string   `json:"message"`
	ScriptName   string   `json:"scriptName"`
	UpdatedFiles []string `json:"updatedFiles"`
	Status       string   `json:"status"`
}

// lookup finds rc's connector or answers 404 naming the scriptName.
func (s *Sim) lookup(rc *reqCtx) (*entry, error) {
	e := s.store.entries[rc.rt.scriptName]
	if e == nil {
		return nil, notFound("connector %q not found: no connector has this scriptName", rc.rt.scriptName)
	}
	return e, nil
}

// writable refuses changes to SailPoint's own connectors.
func writable(e *entry, what string) error {
	if e.c.BuiltIn {
		return forbidden("connector %q (%s) is a SailPoint connector and read-only: cannot %s it; only custom connectors can be changed", e.c.ScriptName, e.c.Name, what)
	}
	return nil
}

// queryInt reads an integer query parameter in [lo, hi] (hi < 0: no maximum).
func queryInt(rc *reqCtx, name string, def, lo, hi int) (int, error) {
	v := rc.r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	bad := err != nil || n < lo || (hi >= 0 && n > hi) || n > 1<<31-1
	switch {
	case bad && hi >= 0:
		return 0, badRequest("query parameter %q must be an integer from %d to %d, got %q", name, lo, hi, v)
	case bad:
		return 0, badRequest("query parameter %q must be an integer of at least %d, got %q", name, lo, v)
	}
	return n, nil
}

// pageParams reads the standard paging parameters limit (0-250, default
// 250), offset (≥ 0) and count (true or false).
func pageParams(rc *reqCtx) (limit, offset int, count bool, err error) {
	if limit, err = queryInt(rc, "limit", 250, 0, 250); err != nil {
		return 0, 0, false, err
	}
	if offset, err = queryInt(rc, "offset", 0, 0, -1); err != nil {
		return 0, 0, false, err
	}
	count, err = queryBool(rc.r.URL.Query(), "count")
	return limit, offset, count, err
}

// queryBool reads a boolean query parameter ("" is false).
func queryBool(q url.Values, name string) (bool, error) {
	switch v := q.Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest("query parameter %q must be true or false, got %q", name, v)
	}
}

// handleList is getConnectorList: RELEASED connectors, filtered and paged.
func (s *Sim) handleList(rc *reqCtx) (*reply, error) {
	limit, offset, count, err := pageParams(rc)
	if err != nil {
		return nil, err
	}
	limit = min(limit, s.opts.Variants.PageCap)
	q := rc.r.URL.Query()
	// locale: any value is accepted; one outside the enum falls back to en (the spec's rule).
	var filter filterExpr[DumpConnector]
	if f := strings.TrimSpace(q.Get("filters")); f != "" {
		if filter, err = parseFilter(f); err != nil {
			return nil, badRequest("invalid filters %q: %v", f, err).
				with("filterable fields: name (sw, co), type (sw, co, eq), directConnect (eq), category (eq), features (ca), labels (ca)")
		}
	}
	s.store.mu.RLock()
	var matched []connectorDto
	total := 0
	for _, e := range s.listOrder(s.store.sorted) {
		if e.c.Status != "RELEASED" || (filter != nil && !filter.match(&e.c)) {
			continue
		}
		if total >= offset && len(matched) < limit {
			matched = append(matched, toDto(&e.c))
		}
		total++
	}
	if s.opts.RejectOffsetPastEnd && offset > 0 && offset >= total {
		s.store.mu.RUnlock()
		return nil, badRequest("offset is invalid: %d is at or beyond the %d connectors that match", offset, total)
	}
	if matched == nil {
		matched = []connectorDto{}
	}
	rep := jsonReply(http.StatusOK, matched) // encodes while the metadata is safe from writers
	s.store.mu.RUnlock()
	if count {
		rep.header.Set("X-Total-Count", strconv.Itoa(total))
	}
	return rep, nil
}

// createRequest is the spec's V3CreateConnectorDto.
type createRequest struct {
	Name          *string `json:"name"`
	Type          *string `json:"type"`
	ClassName     *string `json:"className"`
	DirectConnect *bool   `json:"directConnect"`
	Status        *string `json:"status"`
}

// handleCreate is createCustomConnector.
func (s *Sim) handleCreate(rc *reqCtx) (*reply, error) {
	if err := requireJSON(rc, "application/json"); err != nil {
		return nil, err
	}
	var req createRequest
	if err := decodeJSON(rc.r.Body, &req, "V3CreateConnectorDto"); err != nil {
		return nil, err
	}
	switch {
	case req.Name == nil || strings.TrimSpace(*req.Name) == "":
		return nil, badRequest("field \"name\" is required: a non-empty connector name, unique in the tenant")
	case req.ClassName == nil || strings.TrimSpace(*req.ClassName) == "":
		return nil, badRequest("field \"className\" is required, e.g. \"sailpoint.connector.OpenConnectorAdapter\"")
	case !utf8.ValidString(*req.Name) || strings.ContainsFunc(*req.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return nil, badRequest("field \"name\" must be printable text without control characters")
	}
	c := DumpConnector{
		Name: *req.Name, ClassName: *req.ClassName, Type: "custom " + *req.Name,
		DirectConnect: true, Status: "DEVELOPMENT",
	}
	if req.Type != nil && *req.Type != "" {
		c.Type = *req.Type
	}
	if req.DirectConnect != nil {
		c.DirectConnect = *req.DirectConnect
	}
	if req.Status != nil {
		st, ok := s.opts.Variants.createStatus(*req.Status)
		if !ok {
			return nil, badRequest("field \"status\" must be one of DEVELOPMENT, DEMO, RELEASED, got %q", *req.Status)
		}
		c.Status = st
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if other := s.store.names[foldName(c.Name)]; other != nil {
		return nil, s.opts.Variants.nameTaken(other)
	}
	c.ScriptName = s.store.newScriptName(c.Name)
	c.S3Location = "custom-connector/" + c.ScriptName
	setDefaultContent(&c)
	if rc.commit {
		s.store.add(&entry{c: c})
		rc.wrote = true
	}
	return jsonReply(http.StatusOK, toDto(&c)), nil
}

// handleGet is getConnector. The locale parameter is accepted (any value;
// unknown ones fall back to en); it changes only what detail-locales=requested
// shows.
func (s *Sim) handleGet(rc *reqCtx) (*reply, error) {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	e, err := s.lookup(rc)
	if err != nil {
		return nil, err
	}
	return jsonReply(http.StatusOK, s.opts.Variants.detailView(e.full(), rc.r.URL.Query().Get("locale"))), nil
}

// handleDelete is deleteCustomConnector.
func (s *Sim) handleDelete(rc *reqCtx) (*reply, error) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	e, err := s.lookup(rc)
	if err != nil {
		return nil, err
	}
	if err := writable(e, "delete"); err != nil {
		return nil, err
	}
	if rc.commit {
		s.store.remove(e)
		rc.wrote = true
	}
	return rawReply(http.StatusNoContent, "", nil), nil
}

// handleGetPart is the GET of a sub-resource. The Accept header is ignored:
// XML parts are application/xml and translations text/plain, whatever the
// client asks for (errors are JSON).
func (s *Sim) handleGetPart(rc *reqCtx, p part) (*reply, error) {
	if p == partTranslations && !validLocale(rc.rt.locale) {
		return nil, badLocale(rc.rt.locale)
	}
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	e, err := s.lookup(rc)
	if err != nil {
		return nil, err
	}
	if p != partTranslations {
		return rawReply(http.StatusOK, "application/xml", []byte(e.xml(p))), nil
	}
	t, ok := e.translation(rc.rt.locale)
	if !ok {
		return s.opts.Variants.missingLocale(e, rc.rt.locale)
	}
	return rawReply(http.StatusOK, "text/plain; charset=utf-8", []byte(t)), nil
}

// presentLocales lists the locales e has translations for, in the spec's order.
func presentLocales(e *entry) []string {
	var ls []string
	for _, l := range locales() {
		if _, ok := e.translation(l); ok {
			ls = append(ls, l)
		}
	}
	return ls
}

func badLocale(l string) *apiError {
	return badRequest("path parameter locale %q is not a supported locale; use one of %s", l, strings.Join(locales(), ", "))
}

// handlePutPart is the PUT of a sub-resource: a multipart body with part "file".
func (s *Sim) handlePutPart(rc *reqCtx, p part) (*reply, error) {
	if p == partTranslations && !validLocale(rc.rt.locale) {
		return nil, badLocale(rc.rt.locale)
	}
	// Look the connector up before reading the body: 404 and 403 win over 400.
	s.store.mu.RLock()
	e, err := s.lookup(rc)
	if err == nil {
		err = writable(e, "update the "+p.String()+" of")
	}
	s.store.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	data, err := readFilePart(rc.r, s.opts.Variants.anyPartName(p))
	if err != nil {
		return nil, err
	}
	if p == partTranslations {
		if !utf8.Valid(data) {
			return nil, badRequest("multipart part \"file\" must be UTF-8 text (a properties file); invalid UTF-8 at byte %d", invalidUTF8At(data))
		}
	} else if err := checkXML(data); err != nil {
		return nil, badRequest("multipart part \"file\" is not well-formed XML: %v", err).
			with(fmt.Sprintf("the %s must be an XML document", p))
	}
	if p == partSourceConfig {
		if msg := formSchemaProblem(data); msg != "" {
			return jsonReply(http.StatusOK, updateDetail{Message: msg, ScriptName: rc.rt.scriptName, Status: "ERROR"}), nil
		}
	}

	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if e, err = s.lookup(rc); err != nil { // it may have gone while the body was read
		return nil, err
	}
	old, had := "", true
	file := e.c.S3Location + "/" + p.String() + ".xml"
	if p == partTranslations {
		old, had = e.translation(rc.rt.locale)
		file = e.c.S3Location + "/translations/" + rc.rt.locale + ".properties"
	} else {
		old = e.xml(p)
	}
	if had && s.opts.Variants.equalStored(data, old) {
		rc.wrote = rc.commit
		return jsonReply(http.StatusOK, updateDetail{
			Message: p.String() + " unchanged: the file equals the stored one", ScriptName: e.c.ScriptName, Status: "UNCHANGED",
		}), nil
	}
	if rc.commit {
		e.materialize()
		data = s.opts.Variants.stored(data)
		switch p {
		case partSourceConfig:
			e.c.SourceConfigXml = string(data)
		case partSourceTemplate:
			e.c.ApplicationXml = string(data)
		case partCorrelationConfig:
			e.c.CorrelationConfigXml = string(data)
		case partTranslations:
			if e.c.Translations == nil {
				e.c.Translations = map[string]string{}
			}
			e.c.Translations[rc.rt.locale] = string(data)
		}
		rc.wrote = true
	}
	return jsonReply(http.StatusOK, updateDetail{
		Message: p.String() + " updated", ScriptName: e.c.ScriptName, UpdatedFiles: []string{file}, Status: "UPDATED",
	}), nil
}

// requireJSON checks the request's Content-Type media type.
func requireJSON(rc *reqCtx, want string) error {
	ct := rc.r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != want {
		return badRequest("Content-Type must be %s for %s, got %q", want, rc.rt.op, ct)
	}
	return nil
}

// decodeJSON reads one JSON value into v and names the field of a type error.
func decodeJSON(r io.Reader, v any, what string) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return badRequest("cannot read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is required: a JSON %s", what)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return badRequest("field %q of the %s must be a JSON %s, got %s", te.Field, what, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &te):
			return badRequest("request body must be a JSON %s, got %s", what, te.Value)
		case errors.As(err, &se):
			return badRequest("request body is not valid JSON at byte %d: %v", se.Offset, err)
		}
		return badRequest("request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body has data after the JSON %s", what)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	}
	return goKind
}

// readFilePart returns the content of multipart part "file", or with anyName
// of the first part, whatever its name.
func readFilePart(r *http.Request, anyName bool) ([]byte, error) {
	return readFilePartWith(r, anyName, nil)
}

// readFilePartWith is readFilePart that also tells filename, if not nil,
// the part's file name.
func readFilePartWith(r *http.Request, anyName bool, filename func(string)) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "multipart/form-data" {
		return nil, badRequest("Content-Type must be multipart/form-data with a part named \"file\", got %q", ct)
	}
	if params["boundary"] == "" {
		return nil, badRequest("Content-Type multipart/form-data has no boundary parameter")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var seen []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badRequest("malformed multipart body: %v", err)
		}
		if part.FormName() != "file" && !anyName {
			seen = append(seen, strconv.Quote(part.FormName()))
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, badRequest("cannot read multipart part \"file\": %v", err)
		}
		if filename != nil {
			filename(part.FileName())
		}
		return data, nil
	}
	e := badRequest("multipart part \"file\" is required")
	if len(seen) > 0 {
		e = e.with("the body has parts " + strings.Join(seen, ", ") + " but none named \"file\"")
	}
	return nil, e
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
