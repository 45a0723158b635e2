package bundle

import (
	"encoding/json"
	"time"
)

// Format and FormatVersion identify the bundle format this package reads and
// writes. A reader refuses a bundle whose FormatVersion is newer.
const (
	Format        = "connvault-bundle"
	FormatVersion = 1
)

// File kinds, as recorded in the manifest.
const (
	KindConnector         = "connector"
	KindSourceConfig      = "source-config"
	KindSourceTemplate    = "source-template"
	KindCorrelationConfig = "correlation-config"
	KindTranslations      = "translations"
)

// Manifest is manifest.json, the first entry of every bundle.
type Manifest struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"formatVersion"`
	ToolVersion   string          `json:"toolVersion"`
	CreatedAt     time.Time       `json:"createdAt"`
	Source        Source          `json:"source"`
	Options       json.RawMessage `json:"options,omitempty"`
	Connectors    []Entry         `json:"connectors"`
	Complete      bool            `json:"complete"`
	Errors        []ItemError     `json:"errors,omitempty"`
	ContentDigest string          `json:"contentDigest"` // "sha256:<hex>" over sorted (path, sha256) pairs
}

// Source says where a bundle came from. It never holds credentials.
type Source struct {
	URL string `json:"url,omitempty"`
	API string `json:"api,omitempty"` // "v2025" or "v1"
}

// Entry is one connector of a bundle, as the manifest lists it.
type Entry struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	Type       string `json:"type,omitempty"`
	ClassName  string `json:"className,omitempty"`
	Status     string `json:"status,omitempty"`
	ScriptName string `json:"scriptName"`
	Files      []File `json:"files"`
}

// File is one file of a connector, with its size and SHA-256.
type File struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Locale string `json:"locale,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ItemError records a connector (or one part of it) that could not be exported.
type ItemError struct {
	ScriptName string `json:"scriptName,omitempty"`
	Name       string `json:"name,omitempty"`
	Part       string `json:"part,omitempty"`
	Error      string `json:"error"`
}

// Connector is the content of one connector of a bundle.
// A nil slice means the part is absent.
type Connector struct {
	ScriptName string
	Name       string
	Type       string
	ClassName  string
	Status     string

	// Detail is connector.json: the ConnectorDetail as read, without the fields
	// kept in their own files (sourceConfigXml, sourceConfig, applicationXml,
	// correlationConfigXml, translationProperties). A JSON object.
	Detail json.RawMessage

	SourceConfig      []byte
	SourceTemplate    []byte
	CorrelationConfig []byte
	Translations      map[string][]byte // locale → properties text
}
