package tenant

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Status is a connector's lifecycle status.
type Status string

// The statuses of the spec. Only RELEASED connectors appear in the list.
const (
	StatusReleased    Status = "RELEASED"
	StatusDevelopment Status = "DEVELOPMENT"
	StatusDemo        Status = "DEMO"
	StatusDeprecated  Status = "DEPRECATED"
)

// Locales returns the 19 locales the spec allows, in the spec's order.
func Locales() []string {
	return []string{"de", "no", "fi", "sv", "ru", "pt", "ko", "zh-TW", "en", "it", "fr", "zh-CN", "hu", "es", "cs", "ja", "pl", "da", "nl"}
}

// ValidLocale reports whether l is one of the spec's locales.
func ValidLocale(l string) bool {
	for _, v := range Locales() {
		if v == l {
			return true
		}
	}
	return false
}

// PartKind names a sub-resource of a connector.
type PartKind string

// The sub-resources a connector has besides its detail.
const (
	SourceConfig      PartKind = "source-config"
	SourceTemplate    PartKind = "source-template"
	CorrelationConfig PartKind = "correlation-config"
	Translations      PartKind = "translations"
)

// Part names one sub-resource: a kind and, for translations, a locale.
type Part struct {
	Kind   PartKind
	Locale string // only for Translations
}

// String returns "source-config" or "translations/<locale>".
func (p Part) String() string {
	if p.Kind == Translations {
		return string(p.Kind) + "/" + p.Locale
	}
	return string(p.Kind)
}

// Connector is the spec's V3ConnectorDto: a list item or a create response.
// Fields the spec does not know are kept in Extra, so nothing is lost.
type Connector struct {
	Name              string         `json:"name,omitempty"`
	Type              string         `json:"type,omitempty"`
	ScriptName        string         `json:"scriptName,omitempty"`
	ClassName         *string        `json:"className,omitempty"`
	Features          []string       `json:"features,omitempty"`
	DirectConnect     bool           `json:"directConnect"`
	ConnectorMetadata map[string]any `json:"connectorMetadata,omitempty"`
	Status            Status         `json:"status,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// NewConnector is the spec's V3CreateConnectorDto, the body of a create.
// Name and ClassName are required.
type NewConnector struct {
	Name          string `json:"name"`
	Type          string `json:"type,omitempty"`
	ClassName     string `json:"className"`
	DirectConnect *bool  `json:"directConnect,omitempty"`
	Status        Status `json:"status,omitempty"`
}

// ConnectorDetail is the spec's ConnectorDetail: a connector with all its
// configuration. Fields the spec does not know are kept in Extra.
type ConnectorDetail struct {
	Name                  string            `json:"name,omitempty"`
	Type                  string            `json:"type,omitempty"`
	ClassName             string            `json:"className,omitempty"`
	ScriptName            string            `json:"scriptName,omitempty"`
	ApplicationXML        string            `json:"applicationXml,omitempty"`
	CorrelationConfigXML  string            `json:"correlationConfigXml,omitempty"`
	SourceConfigXML       string            `json:"sourceConfigXml,omitempty"`
	SourceConfig          *string           `json:"sourceConfig,omitempty"`
	SourceConfigFrom      *string           `json:"sourceConfigFrom,omitempty"`
	S3Location            string            `json:"s3Location,omitempty"`
	UploadedFiles         []string          `json:"uploadedFiles,omitempty"`
	FileUpload            bool              `json:"fileUpload"`
	DirectConnect         bool              `json:"directConnect"`
	TranslationProperties map[string]string `json:"translationProperties,omitempty"`
	ConnectorMetadata     map[string]any    `json:"connectorMetadata,omitempty"`
	Status                Status            `json:"status,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
	// Raw is the JSON object the detail was decoded from, every member as
	// read (nulls and empty values included), keys sorted, except the
	// members that hold the connector's files (FileFields), whose decoded
	// fields above are their only copy: what a backup's connector.json
	// keeps. Nil for a detail built in code.
	Raw json.RawMessage `json:"-"`
}

// FileFields are the ConnectorDetail members that hold a connector's files
// (its XML documents and translations): Raw leaves them out.
func FileFields() []string {
	return []string{"sourceConfigXml", "sourceConfig", "applicationXml", "correlationConfigXml", "translationProperties"}
}

// UpdateDetail is the spec's UpdateDetail, the answer to every PUT.
type UpdateDetail struct {
	Message      string   `json:"message,omitempty"`
	ScriptName   string   `json:"scriptName,omitempty"`
	UpdatedFiles []string `json:"updatedFiles,omitempty"`
	Status       string   `json:"status,omitempty"` // ERROR, UPDATED, UNCHANGED, SKIPPED
}

// PatchOp is one RFC 6902 operation of a PATCH (the spec's JsonPatchOperation).
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Patchable reports whether PATCH may change the field at JSON Pointer path:
// the spec allows only these four.
func Patchable(path string) bool {
	switch strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0] {
	case "connectorMetadata", "applicationXml", "correlationConfigXml", "sourceConfigXml":
		return true
	}
	return false
}

// MarshalJSON writes the known fields and then those kept in Extra.
func (c Connector) MarshalJSON() ([]byte, error) {
	type plain Connector
	return marshalWithExtra(plain(c), c.Extra)
}

// UnmarshalJSON reads the known fields and keeps the others in Extra.
func (c *Connector) UnmarshalJSON(b []byte) error {
	type plain Connector
	var p plain
	extra, _, err := unmarshalWithExtra(b, &p)
	if err != nil {
		return err
	}
	*c = Connector(p)
	c.Extra = extra
	return nil
}

// MarshalJSON writes the known fields and then those kept in Extra.
func (d ConnectorDetail) MarshalJSON() ([]byte, error) {
	type plain ConnectorDetail
	return marshalWithExtra(plain(d), d.Extra)
}

// UnmarshalJSON reads the known fields and keeps the others in Extra.
func (d *ConnectorDetail) UnmarshalJSON(b []byte) error {
	type plain ConnectorDetail
	var p plain
	extra, all, err := unmarshalWithExtra(b, &p)
	if err != nil {
		return err
	}
	*d = ConnectorDetail(p)
	d.Extra = extra
	for _, f := range FileFields() {
		delete(all, f)
	}
	if d.Raw, err = json.Marshal(all); err != nil {
		return fmt.Errorf("encode detail: %w", err)
	}
	return nil
}

func marshalWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, known := m[k]; !known {
			m[k] = raw
		}
	}
	return json.Marshal(m)
}

// unmarshalWithExtra decodes b into v and returns the members v does not
// know (nil if none) and every member of b.
func unmarshalWithExtra(b []byte, v any) (extra, all map[string]json.RawMessage, err error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, nil, fmt.Errorf("decode object: %w", err)
	}
	known := jsonNames(reflect.TypeOf(v).Elem())
	for k, raw := range all {
		if !known[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = raw
		}
	}
	return extra, all, nil
}

func jsonNames(t reflect.Type) map[string]bool {
	names := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}
