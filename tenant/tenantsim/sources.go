package tenantsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// DumpSource is one source of the tenant (a subset of the Sources API's
// Source). Connector is the scriptName of the connector it uses; it cannot be
// changed once the source exists. UploadedFiles are the names of the connector
// files (jars) uploaded to it, in upload order, each once.
type DumpSource struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Description    string   `json:"description,omitempty"`
	Type           string   `json:"type,omitempty"`
	Connector      string   `json:"connector"`
	ConnectorClass string   `json:"connectorClass,omitempty"`
	ConnectorName  string   `json:"connectorName,omitempty"`
	ConnectionType string   `json:"connectionType,omitempty"`
	OwnerID        string   `json:"ownerId,omitempty"`
	OwnerName      string   `json:"ownerName,omitempty"`
	Features       []string `json:"features,omitempty"`
	Authoritative  bool     `json:"authoritative,omitempty"`
	Healthy        bool     `json:"healthy,omitempty"`
	Status         string   `json:"status,omitempty"`
	Created        string   `json:"created,omitempty"`  // RFC 3339
	Modified       string   `json:"modified,omitempty"` // RFC 3339
	UploadedFiles  []string `json:"uploadedFiles,omitempty"`
}

// connectorFilesAttribute is the connectorAttributes key under which a source
// shows the names of its uploaded connector files, comma-separated. ISC's
// documentation does not name the attribute; this is the simulator's choice,
// which the README states as an assumption.
const connectorFilesAttribute = "connector_files"

// sourceStore holds a tenant's sources. Seeded sources are made on first
// use, from the connectors the tenant started with, so that New stays quick.
type sourceStore struct {
	once sync.Once
	seed func() []DumpSource // nil once used

	mu   sync.RWMutex
	byID map[string]*DumpSource
}

func newSourceStore(seed func() []DumpSource) *sourceStore {
	return &sourceStore{seed: seed, byID: map[string]*DumpSource{}}
}

// ready seeds the sources if that is still to do. Call it before taking mu.
func (st *sourceStore) ready() *sourceStore {
	st.once.Do(func() {
		if st.seed != nil {
			ss := st.seed()
			st.mu.Lock()
			st.reset(ss)
			st.mu.Unlock()
			st.seed = nil
		}
	})
	return st
}

func (st *sourceStore) reset(ss []DumpSource) {
	st.byID = make(map[string]*DumpSource, len(ss))
	for _, s := range ss {
		s := cloneSource(s)
		st.byID[s.ID] = &s
	}
}

// sorted returns the sources in list order: name, then id.
func (st *sourceStore) sorted() []*DumpSource {
	out := make([]*DumpSource, 0, len(st.byID))
	for _, s := range st.byID {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *DumpSource) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func cloneSource(s DumpSource) DumpSource {
	s.Features = slices.Clone(s.Features)
	s.UploadedFiles = slices.Clone(s.UploadedFiles)
	return s
}

// sourceFeatures is the spec's SourceFeature enum (the part a source may carry).
func sourceFeatures() []string {
	return []string{"AUTHENTICATE", "COMPOSITE", "DIRECT_PERMISSIONS", "DISCOVER_SCHEMA", "ENABLE", "MANAGER_LOOKUP",
		"NO_RANDOM_ACCESS", "PROXY", "SEARCH", "TEMPLATE", "UNLOCK", "UNSTRUCTURED_TARGETS", "SHAREPOINT_TARGET",
		"PROVISIONING", "GROUP_PROVISIONING", "SYNC_PROVISIONING", "PASSWORD", "CURRENT_PASSWORD", "ACCOUNT_ONLY_REQUEST",
		"ADDITIONAL_ACCOUNT_REQUEST", "NO_AGGREGATION", "GROUPS_HAVE_MEMBERS", "NO_PERMISSIONS_PROVISIONING",
		"NO_GROUP_PERMISSIONS_PROVISIONING", "NO_UNSTRUCTURED_TARGETS_PROVISIONING", "NO_DIRECT_PERMISSIONS_PROVISIONING",
		"PREFER_UUID", "ARM_SECURITY_EXTRACT", "ARM_UTILIZATION_EXTRACT", "ARM_CHANGELOG_EXTRACT", "USES_UUID",
		"APPLICATION_DISCOVERY", "DELETE"}
}

// seedSources makes the sources of a new tenant from its connectors: every
// hidden (not RELEASED) custom connector has one or two sources (that is why
// it is kept), about a third of the RELEASED ones have none, the others one to
// three; a few sources use SailPoint's connectors. Deterministic in the seed.
func seedSources(opts Options, es []*entry) []DumpSource {
	seed := uint64(opts.Seed)
	var out []DumpSource
	taken := map[string]bool{}
	owner := strings.ReplaceAll(uuidFrom("owner:"+opts.TenantName), "-", "")
	tenant := hashString(opts.TenantName)
	suffixes := []string{"Production", "Employees", "Contractors", "EU", "US", "Archive"}
	add := func(r *prng, c *DumpConnector, n int) {
		for i := 0; i < n; i++ {
			name := c.Name
			if i > 0 || r.float() < 0.5 {
				name = c.Name + " " + suffixes[(i+r.intn(len(suffixes)))%len(suffixes)]
			}
			for k := 2; taken[foldName(name)]; k++ {
				name = fmt.Sprintf("%s %d", c.Name, k)
			}
			taken[foldName(name)] = true
			s := DumpSource{
				ID:             sourceID(tenant, name),
				Name:           name,
				Description:    "Accounts from " + name + ".",
				Type:           c.Type,
				Connector:      c.ScriptName,
				ConnectorClass: c.ClassName,
				ConnectorName:  c.Name,
				ConnectionType: "direct",
				OwnerID:        owner,
				OwnerName:      "Sim Administrator",
				Authoritative:  r.float() < 0.2,
				Healthy:        r.float() < 0.9,
				Created:        fmt.Sprintf("2024-%02d-%02dT09:%02d:00Z", 1+r.intn(12), 1+r.intn(28), r.intn(60)),
				Modified:       fmt.Sprintf("2025-%02d-%02dT14:%02d:00Z", 1+r.intn(12), 1+r.intn(28), r.intn(60)),
			}
			if !c.DirectConnect {
				s.ConnectionType = "file"
			}
			s.Status = "SOURCE_STATE_HEALTHY"
			if !s.Healthy {
				s.Status = "SOURCE_STATE_ERROR_SOURCE"
			}
			for _, f := range c.Features {
				if slices.Contains(sourceFeatures(), f) {
					s.Features = append(s.Features, f)
				}
			}
			if (c.FileUpload || c.ClassName == "sailpoint.connector.JDBCConnector") && r.float() < 0.6 {
				s.UploadedFiles = []string{slug(c.Name) + "-connector.jar"}
				if r.float() < 0.3 {
					s.UploadedFiles = append(s.UploadedFiles, "driver-"+itoa(1+r.intn(9))+".jar")
				}
			}
			out = append(out, s)
		}
	}
	for _, e := range es {
		c := &e.c
		r := newPRNG(mix(seed, hashString(c.Name), 0x736f7572636573)) // "sources"
		n := 0
		switch {
		case c.BuiltIn:
			if r.float() < 0.25 {
				n = 1
			}
		case c.Status != "RELEASED":
			n = r.between(1, 2)
		case r.float() < 0.35:
		default:
			n = r.between(1, 3)
		}
		add(r, c, n)
	}
	slices.SortFunc(out, func(a, b DumpSource) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// sourceID is a 32-hex-digit id, as ISC's, derived from the tenant and the
// source name.
func sourceID(tenant uint64, name string) string {
	r := newPRNG(mix(tenant, hashString(name)))
	return fmt.Sprintf("%016x%016x", r.next(), r.next())
}

// Source JSON of the Sources API (the spec's Source, the fields the simulator has).
type sourceRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

type sourceDto struct {
	ID                        string         `json:"id"`
	Name                      string         `json:"name"`
	Description               string         `json:"description"`
	Owner                     sourceRef      `json:"owner"`
	Cluster                   *sourceRef     `json:"cluster"`
	Features                  []string       `json:"features"`
	Type                      string         `json:"type"`
	Connector                 string         `json:"connector"`
	ConnectorClass            string         `json:"connectorClass"`
	ConnectorAttributes       map[string]any `json:"connectorAttributes"`
	DeleteThreshold           int            `json:"deleteThreshold"`
	Authoritative             bool           `json:"authoritative"`
	ManagementWorkgroup       *sourceRef     `json:"managementWorkgroup"`
	Healthy                   bool           `json:"healthy"`
	Status                    string         `json:"status"`
	ConnectorID               string         `json:"connectorId"`
	ConnectorName             string         `json:"connectorName"`
	ConnectionType            string         `json:"connectionType"`
	ConnectorImplementationID string         `json:"connectorImplementationId"`
	Created                   string         `json:"created"`
	Modified                  string         `json:"modified"`
	CredentialProviderEnabled bool           `json:"credentialProviderEnabled"`
	Category                  *string        `json:"category"`
}

func toSourceDto(s *DumpSource) sourceDto {
	d := sourceDto{
		ID: s.ID, Name: s.Name, Description: s.Description,
		Owner:    sourceRef{Type: "IDENTITY", ID: s.OwnerID, Name: s.OwnerName},
		Features: slices.Clone(s.Features), Type: s.Type, Connector: s.Connector, ConnectorClass: s.ConnectorClass,
		ConnectorAttributes: map[string]any{"healthCheckTimeout": 30},
		DeleteThreshold:     10, Authoritative: s.Authoritative, Healthy: s.Healthy, Status: s.Status,
		ConnectorID: s.Connector, ConnectorName: s.ConnectorName, ConnectionType: s.ConnectionType,
		ConnectorImplementationID: s.Connector, Created: s.Created, Modified: s.Modified,
	}
	if d.Features == nil {
		d.Features = []string{}
	}
	if len(s.UploadedFiles) > 0 {
		d.ConnectorAttributes[connectorFilesAttribute] = strings.Join(s.UploadedFiles, ",")
	}
	return d
}

// The scopes of the Sources API (per the v2025 spec's security requirements;
// any one of a route's scopes grants it) and of the Connectors API.
func scopesSourcesRead() []string   { return []string{"idn:sources:read", "idn:sources:manage"} }
func scopesSourcesManage() []string { return []string{"idn:sources:manage"} }
func scopesSourcesUpload() []string { return []string{"idn:sources-admin:manage"} }

// sourcesPrefix is where the Sources API lives (v2025 only).
const sourcesPrefix = "/v2025/sources"

// matchSourceRoute maps a method and URL under /v2025/sources to an
// operation; ok is false for other paths.
func matchSourceRoute(method string, u *url.URL) (rt route, err *apiError, ok bool) {
	p := u.EscapedPath()
	if p != sourcesPrefix && !strings.HasPrefix(p, sourcesPrefix+"/") {
		return route{}, nil, false
	}
	var segs []string
	for _, raw := range strings.Split(strings.Trim(strings.TrimPrefix(p, sourcesPrefix), "/"), "/") {
		seg, uerr := url.PathUnescape(raw)
		if uerr != nil {
			return route{op: "unknown"}, notFound("no API operation at path %q: malformed path segment %q", u.Path, raw), true
		}
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	table := map[string]route{}
	switch {
	case len(segs) == 0:
		table[http.MethodGet] = route{op: "listSources", scopes: scopesSourcesRead(), handle: (*Sim).handleListSources}
	case len(segs) == 1:
		table[http.MethodGet] = route{op: "getSource", scopes: scopesSourcesRead(), handle: (*Sim).handleGetSource}
		table[http.MethodPut] = route{op: "putSource", scopes: scopesSourcesManage(), handle: (*Sim).handlePutSource}
		table[http.MethodPatch] = route{op: "updateSource", scopes: scopesSourcesManage(), handle: (*Sim).handlePatchSource}
	case len(segs) == 2 && segs[1] == "upload-connector-file":
		table[http.MethodPost] = route{op: "importConnectorFile", scopes: scopesSourcesUpload(), handle: (*Sim).handleUploadConnectorFile}
	default:
		return route{op: "unknown"}, notFound("no API operation at path %q; a source has only upload-connector-file below it", u.Path), true
	}
	rt, found := table[method]
	if !found {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch} {
			if _, ok := table[m]; ok {
				allow = append(allow, m)
			}
		}
		e := errorf(http.StatusMethodNotAllowed, "method %s is not allowed on %q; allowed: %s", method, u.Path, strings.Join(allow, ", "))
		e.allow = strings.Join(allow, ", ")
		return route{op: "unknown"}, e, true
	}
	if len(segs) > 0 {
		rt.scriptName = segs[0] // the source id
	}
	return rt, nil, true
}

// handleListSources is listSources: filtered, sorted and paged.
func (s *Sim) handleListSources(rc *reqCtx) (*reply, error) {
	limit, offset, count, err := pageParams(rc)
	if err != nil {
		return nil, err
	}
	q := rc.r.URL.Query()
	if _, err := queryBool(q, "includeIDNSource"); err != nil {
		return nil, err
	}
	var filter filterExpr[DumpSource]
	if f := strings.TrimSpace(q.Get("filters")); f != "" {
		if filter, err = parseSourceFilter(f); err != nil {
			return nil, badRequest("invalid filters %q: %v", f, err).with(sourceFilterHelp())
		}
	}
	sorters, err := parseSorters(q.Get("sorters"))
	if err != nil {
		return nil, err
	}
	s.sources.ready().mu.RLock()
	all := s.sources.sorted()
	var matched []*DumpSource
	for _, src := range all {
		if filter == nil || filter.match(src) {
			matched = append(matched, src)
		}
	}
	slices.SortStableFunc(matched, func(a, b *DumpSource) int {
		for _, so := range sorters {
			if c := compareSourceField(a, b, so.field); c != 0 {
				if so.desc {
					return -c
				}
				return c
			}
		}
		return 0
	})
	limit = min(limit, s.opts.Variants.PageCap)
	page := []sourceDto{}
	for i := offset; i < len(matched) && len(page) < limit; i++ {
		page = append(page, toSourceDto(matched[i]))
	}
	total := len(matched)
	s.sources.mu.RUnlock()
	if s.opts.RejectOffsetPastEnd && offset > 0 && offset >= total {
		return nil, badRequest("offset is invalid: %d is at or beyond the %d sources that match", offset, total)
	}
	rep := jsonReply(http.StatusOK, page)
	if count {
		rep.header.Set("X-Total-Count", strconv.Itoa(total))
	}
	return rep, nil
}

// lookupSource finds rc's source or answers 404 naming the id.
func (s *Sim) lookupSource(rc *reqCtx) (*DumpSource, error) {
	src := s.sources.byID[rc.rt.scriptName]
	if src == nil {
		return nil, notFound("source %q not found: no source has this id", rc.rt.scriptName)
	}
	return src, nil
}

// handleGetSource is getSource.
func (s *Sim) handleGetSource(rc *reqCtx) (*reply, error) {
	s.sources.ready().mu.RLock()
	defer s.sources.ready().mu.RUnlock()
	src, err := s.lookupSource(rc)
	if err != nil {
		return nil, err
	}
	return jsonReply(http.StatusOK, toSourceDto(src)), nil
}

// repointRefused is the Sources API's documented 400 for a PUT or PATCH that
// changes connector or connectorClass.
func repointRefused(src *DumpSource, field, want string) *apiError {
	have := src.Connector
	if field == "connectorClass" {
		have = src.ConnectorClass
	}
	return badRequest("source %q (%s): %s cannot be changed (from %q to %q); a source stays with the connector it was created with",
		src.Name, src.ID, field, have, want)
}

// handlePutSource is putSource: the whole Source; connector and
// connectorClass must stay as they are. The simulator keeps name and
// description of what is sent.
func (s *Sim) handlePutSource(rc *reqCtx) (*reply, error) {
	if err := requireJSON(rc, "application/json"); err != nil {
		return nil, err
	}
	var req struct {
		Name           *string         `json:"name"`
		Description    *string         `json:"description"`
		Owner          json.RawMessage `json:"owner"`
		Connector      *string         `json:"connector"`
		ConnectorClass *string         `json:"connectorClass"`
	}
	if err := decodeJSON(rc.r.Body, &req, "Source"); err != nil {
		return nil, err
	}
	s.sources.ready().mu.Lock()
	defer s.sources.ready().mu.Unlock()
	src, err := s.lookupSource(rc)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Name == nil || strings.TrimSpace(*req.Name) == "":
		return nil, badRequest("field \"name\" is required")
	case len(req.Owner) == 0 || string(req.Owner) == "null":
		return nil, badRequest("field \"owner\" is required")
	case req.Connector == nil:
		return nil, badRequest("field \"connector\" is required")
	case *req.Connector != src.Connector:
		return nil, repointRefused(src, "connector", *req.Connector)
	case req.ConnectorClass != nil && *req.ConnectorClass != src.ConnectorClass:
		return nil, repointRefused(src, "connectorClass", *req.ConnectorClass)
	}
	if rc.commit {
		src.Name = *req.Name
		if req.Description != nil {
			src.Description = *req.Description
		}
		rc.wrote = true
	}
	return jsonReply(http.StatusOK, toSourceDto(src)), nil
}

// handlePatchSource is updateSource: RFC 6902 replace of /name or
// /description; /connector and /connectorClass are refused as documented.
func (s *Sim) handlePatchSource(rc *reqCtx) (*reply, error) {
	if err := requireJSON(rc, "application/json-patch+json"); err != nil {
		return nil, err
	}
	var ops []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := decodeJSON(rc.r.Body, &ops, "array of JSON Patch operations"); err != nil {
		return nil, err
	}
	s.sources.ready().mu.Lock()
	defer s.sources.ready().mu.Unlock()
	src, err := s.lookupSource(rc)
	if err != nil {
		return nil, err
	}
	next := cloneSource(*src)
	for i, op := range ops {
		v, isString := op.Value.(string)
		switch {
		case op.Path == "/connector" || op.Path == "/connectorClass":
			return nil, repointRefused(src, op.Path[1:], fmt.Sprint(op.Value))
		case op.Op != "replace" && op.Op != "add":
			return nil, badRequest("operation %d: op %q is not supported here; use replace", i, op.Op)
		case !isString:
			return nil, badRequest("operation %d: value of %s must be a string", i, op.Path)
		case op.Path == "/name" && strings.TrimSpace(v) != "":
			next.Name = v
		case op.Path == "/description":
			next.Description = v
		default:
			return nil, badRequest("operation %d: path %q cannot be changed by the simulator; it supports /name and /description", i, op.Path)
		}
	}
	if rc.commit {
		*src = next
		rc.wrote = true
	}
	return jsonReply(http.StatusOK, toSourceDto(src)), nil
}

// handleUploadConnectorFile is importConnectorFile: a multipart part "file"
// with a filename, whose base name the source records (once).
func (s *Sim) handleUploadConnectorFile(rc *reqCtx) (*reply, error) {
	s.sources.ready().mu.RLock()
	_, err := s.lookupSource(rc)
	s.sources.ready().mu.RUnlock()
	if err != nil {
		return nil, err
	}
	name, data, err := readNamedFilePart(rc.r)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, badRequest("multipart part \"file\" is empty: upload the connector file's content")
	}
	s.sources.ready().mu.Lock()
	defer s.sources.ready().mu.Unlock()
	src, err := s.lookupSource(rc)
	if err != nil {
		return nil, err
	}
	if rc.commit {
		if !slices.Contains(src.UploadedFiles, name) {
			src.UploadedFiles = append(src.UploadedFiles, name)
		}
		rc.wrote = true
	}
	return jsonReply(http.StatusOK, toSourceDto(src)), nil
}

// readNamedFilePart returns the base file name and content of part "file".
func readNamedFilePart(r *http.Request) (string, []byte, error) {
	var name string
	data, err := readFilePartWith(r, false, func(filename string) { name = filename })
	if err != nil {
		return "", nil, err
	}
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "" || name == "." || name == "/" {
		return "", nil, badRequest("multipart part \"file\" needs a filename (Content-Disposition: form-data; name=\"file\"; filename=\"driver.jar\")")
	}
	return name, data, nil
}
