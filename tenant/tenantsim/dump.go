package tenantsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Dump is the whole state of a tenant: every connector, listed or not,
// built-in ones included, sorted by scriptName, every source, sorted by id,
// and the variants the tenant serves (informational: Restore and Load leave
// the variants as they are). Two dumps of the same state are
// reflect.DeepEqual, and Restore(Dump()) changes nothing.
type Dump struct {
	Connectors []DumpConnector `json:"connectors"`
	Sources    []DumpSource    `json:"sources,omitempty"`
	Variants   *Variants       `json:"variants,omitempty"`
}

// DumpConnector is one connector with all its content. The JSON names are
// ConnectorDetail's, plus builtIn; Translations is translationProperties.
// Empty slices and maps are nil, and connectorMetadata holds JSON types only
// (string, float64, bool, nil, []any, map[string]any), so a dump survives a
// JSON round trip unchanged. sourceConfig is not kept: it always equals
// sourceConfigXml.
type DumpConnector struct {
	ScriptName           string            `json:"scriptName"`
	Name                 string            `json:"name"`
	Type                 string            `json:"type"`
	ClassName            string            `json:"className"`
	Status               string            `json:"status"`
	BuiltIn              bool              `json:"builtIn,omitempty"`
	DirectConnect        bool              `json:"directConnect"`
	FileUpload           bool              `json:"fileUpload"`
	Features             []string          `json:"features,omitempty"`
	ConnectorMetadata    map[string]any    `json:"connectorMetadata,omitempty"`
	SourceConfigXml      string            `json:"sourceConfigXml"`
	ApplicationXml       string            `json:"applicationXml"`
	CorrelationConfigXml string            `json:"correlationConfigXml"`
	Translations         map[string]string `json:"translationProperties,omitempty"`
	SourceConfigFrom     string            `json:"sourceConfigFrom,omitempty"`
	S3Location           string            `json:"s3Location,omitempty"`
	UploadedFiles        []string          `json:"uploadedFiles,omitempty"`
}

// Dump returns the whole tenant, the same data as GET /_sim/tenant. It
// generates the content of every connector, so it costs time and memory in
// proportion to the tenant's size.
func (s *Sim) Dump() Dump {
	srcs := s.dumpSources() // before the store's lock, which seeding sources takes
	st := s.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	v := s.opts.Variants
	d := Dump{Connectors: make([]DumpConnector, 0, len(st.entries)), Sources: srcs, Variants: &v}
	for _, e := range st.entries {
		d.Connectors = append(d.Connectors, e.full())
	}
	slices.SortFunc(d.Connectors, func(a, b DumpConnector) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	return d
}

func (s *Sim) dumpSources() []DumpSource {
	s.sources.ready().mu.RLock()
	defer s.sources.mu.RUnlock()
	var out []DumpSource
	for _, src := range s.sources.byID {
		out = append(out, cloneSource(*src))
	}
	slices.SortFunc(out, func(a, b DumpSource) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// checkSources refuses sources without an id, a name or a connector, and
// ids used twice. A source may name a connector the tenant does not have
// (one deleted after the source was made).
func checkSources(ss []DumpSource) error {
	ids := map[string]bool{}
	for i, src := range ss {
		switch {
		case src.ID == "" || strings.ContainsAny(src.ID, "/?#%"):
			return fmt.Errorf("source %d (%q): id must be a non-empty URL path segment", i, src.Name)
		case ids[src.ID]:
			return fmt.Errorf("source %d (%q): id %q is used twice", i, src.Name, src.ID)
		case strings.TrimSpace(src.Name) == "":
			return fmt.Errorf("source %d (%q): name is empty", i, src.ID)
		case src.Connector == "":
			return fmt.Errorf("source %d (%q): connector is empty", i, src.Name)
		}
		ids[src.ID] = true
	}
	return nil
}

// Restore replaces every custom connector, and every source, with those of d. Built-in entries of
// d are skipped: the catalog is fixed. d must be consistent: non-empty,
// path-safe, unique scriptNames (none a built-in's), unique names
// (case-insensitively) and valid statuses.
func (s *Sim) Restore(d Dump) error {
	builtins := builtinEntries()
	es := slices.Clone(builtins)
	scripts, names := map[string]bool{}, map[string]bool{}
	for _, b := range builtins {
		scripts[b.c.ScriptName], names[foldName(b.c.Name)] = true, true
	}
	for i, c := range d.Connectors {
		if c.BuiltIn {
			continue
		}
		if err := checkRestorable(c, scripts, names); err != nil {
			return fmt.Errorf("restore connector %d (%q): %w", i, c.ScriptName, err)
		}
		scripts[c.ScriptName], names[foldName(c.Name)] = true, true
		c, err := normalize(c)
		if err != nil {
			return fmt.Errorf("restore connector %d (%q): %w", i, c.ScriptName, err)
		}
		es = append(es, &entry{c: c})
	}
	if err := checkSources(d.Sources); err != nil {
		return fmt.Errorf("restore %w", err)
	}
	s.sources.ready() // seeds take the store's lock: not while holding it
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	s.store.reset(es)
	s.sources.mu.Lock()
	defer s.sources.mu.Unlock()
	s.sources.reset(d.Sources)
	return nil
}

func checkRestorable(c DumpConnector, scripts, names map[string]bool) error {
	switch {
	case c.ScriptName == "":
		return errors.New("scriptName is empty")
	case strings.ContainsAny(c.ScriptName, "/?#%") || strings.TrimSpace(c.ScriptName) != c.ScriptName:
		return errors.New("scriptName must be a URL path segment (no /, ?, #, % or surrounding spaces)")
	case scripts[c.ScriptName]:
		return errors.New("scriptName is used twice (or by a built-in connector)")
	case strings.TrimSpace(c.Name) == "":
		return errors.New("name is empty")
	case names[foldName(c.Name)]:
		return fmt.Errorf("name %q is used twice (names are unique, ignoring case)", c.Name)
	case !slices.Contains([]string{"RELEASED", "DEVELOPMENT", "DEMO", "DEPRECATED"}, c.Status):
		return fmt.Errorf("status %q is not one of RELEASED, DEVELOPMENT, DEMO, DEPRECATED", c.Status)
	}
	for l := range c.Translations {
		if !validLocale(l) {
			return fmt.Errorf("translation locale %q is not one of %s", l, strings.Join(locales(), ", "))
		}
	}
	return nil
}

// normalize deep-copies c into the canonical form Dump promises.
func normalize(c DumpConnector) (DumpConnector, error) {
	c = cloneConnector(c)
	if len(c.Features) == 0 {
		c.Features = nil
	}
	if len(c.UploadedFiles) == 0 {
		c.UploadedFiles = nil
	}
	if len(c.Translations) == 0 {
		c.Translations = nil
	}
	if len(c.ConnectorMetadata) == 0 {
		c.ConnectorMetadata = nil
	} else {
		// Through JSON, so that ints become float64 as after a Save and Load.
		b, err := json.Marshal(c.ConnectorMetadata)
		if err != nil {
			return c, fmt.Errorf("connectorMetadata: %w", err)
		}
		c.ConnectorMetadata = nil
		if err := json.Unmarshal(b, &c.ConnectorMetadata); err != nil {
			return c, fmt.Errorf("connectorMetadata: %w", err)
		}
	}
	return c, nil
}

// Save writes the tenant's Dump as indented JSON (the --state file).
func (s *Sim) Save(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.Dump()); err != nil {
		return fmt.Errorf("save tenant state: %w", err)
	}
	return nil
}

// Load reads a Dump written by Save and restores it.
func (s *Sim) Load(r io.Reader) error {
	var d Dump
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("load tenant state: %w", err)
	}
	if err := s.Restore(d); err != nil {
		return fmt.Errorf("load tenant state: %w", err)
	}
	return nil
}
