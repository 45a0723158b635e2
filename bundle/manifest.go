package bundle

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/connvault/connvault/internal/english"
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
	// Scope is what the bundle stands for in its source tenant; nil in a
	// bundle written before connvault recorded it (see Scope).
	Scope      *Scope      `json:"scope,omitempty"`
	Connectors []Entry     `json:"connectors"`
	Complete   bool        `json:"complete"`
	Errors     []ItemError `json:"errors,omitempty"`
	Coverage   *Coverage   `json:"coverage,omitempty"` // written by export; absent in bundles of other origin
	Reads      *Reads      `json:"reads,omitempty"`    // written by export; absent in bundles of other origin
	// Ambiguous lists translations the export could not tell present from
	// absent and did not store (see Ambiguity); the bundle may still be
	// complete.
	Ambiguous     []Ambiguity `json:"ambiguous,omitempty"`
	ContentDigest string      `json:"contentDigest"` // "sha256:<hex>" over sorted (path, sha256) pairs
}

// Reads records how an export read each connector's parts (export's
// Options.Parts).
type Reads struct {
	// Mode is the mode asked for: "auto", "detail" or "endpoints".
	Mode string `json:"mode"`
	// Sample are the scriptNames of the connectors read both ways, from the
	// detail and from every endpoint, and compared (auto and detail), sorted.
	Sample []string `json:"sample,omitempty"`
	// XML and Translations say where the connectors outside the sample were
	// read from: "detail" or "endpoints".
	XML          string `json:"xml"`
	Translations string `json:"translations"`
	// Switched says why a kind of part was read from its endpoints (auto
	// and detail): the first disagreement the sample found, or, under
	// auto, why it could not tell.
	Switched []string `json:"switched,omitempty"`
	// Unproven says, under detail, which kind of part was taken from the
	// detail although the sample could not tell whether the detail
	// carries it (no sampled connector had such a part to compare), and
	// why.
	Unproven []string `json:"unproven,omitempty"`
}

// Scope records which connectors of the source tenant a bundle stands for:
// the export's choice (Filter, Include, Exclude, ScriptNames, BuiltIn), then
// narrowed by the include/exclude of every transform applied since
// (Narrowed, in order). An import deletes a target connector the bundle
// lacks only when it is inside this scope (see docs in bundle/doc.go). It
// holds names and patterns only, never content or credentials.
type Scope struct {
	// Filter is the ISC list filter the export sent ("" for none). Whether
	// a connector is inside it is for a tenant to say: the importer asks
	// the target with the same filter.
	Filter string `json:"filter,omitempty"`
	// Include and Exclude are the export's globs, each matched against a
	// connector's name and its scriptName (export's package documentation).
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// ScriptNames are the connectors the export named one by one; each is
	// in the scope whatever the filter and globs say.
	ScriptNames []string `json:"scriptNames,omitempty"`
	// BuiltIn: SailPoint's own connectors were exported too. (They are
	// never deleted either way.)
	BuiltIn bool `json:"builtIn,omitempty"`
	// Narrowed holds the include/exclude name globs of each transform
	// applied since the export, in order; a connector must pass all.
	Narrowed []NameFilter `json:"narrowed,omitempty"`
	// Unrecorded: the export recorded no scope (a bundle older than the
	// field); only Narrowed is known. Such a scope deletes nothing unless
	// the user states one.
	Unrecorded bool `json:"unrecorded,omitempty"`
}

// NameFilter is the include/exclude of one transform rules file: globs
// matched against connector names (transform's package documentation).
type NameFilter struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Renamed are the same rules file's renames, name → new name. They do
	// not narrow the scope; they say why a target connector of a renamed
	// name is in it without a bundle connector of that name.
	Renamed map[string]string `json:"renamed,omitempty"`
}

// Known reports whether s records the export's choice: false for nil (a
// bundle written before scopes were recorded) and for Unrecorded.
func (s *Scope) Known() bool { return s != nil && !s.Unrecorded }

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
	// Sources are the sources that used the connector when it was exported
	// (absent when the export did not read sources). Connector files (jars)
	// live on sources and no operation downloads them: their names are the
	// restore's checklist.
	Sources []SourceUse `json:"sources,omitempty"`
}

// SourceUse is a source that uses a connector: its id and name, and the
// names of the connector files (jars) uploaded to it, as the tenant showed
// them.
type SourceUse struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	UploadedFiles []string `json:"uploadedFiles,omitempty"`
}

// File is one file of a connector, with its size and SHA-256.
type File struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Locale string `json:"locale,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// PartList is the ItemError.Part of a gap in the connector list: the export
// could not list every connector, so it cannot name the ones it missed.
const PartList = "list"

// Subject names what e is about, for messages: the connector's name (or
// scriptName), or "the connector list" for a list gap (Part PartList).
func (e ItemError) Subject() string {
	switch {
	case e.Part == PartList:
		return "the connector list"
	case e.Name != "":
		return fmt.Sprintf("%q", e.Name)
	default:
		return fmt.Sprintf("%q", e.ScriptName)
	}
}

// FailedConnectors counts the errors of m that are about a connector, not
// about the list.
func (m Manifest) FailedConnectors() int {
	n := 0
	for _, e := range m.Errors {
		if e.Part != PartList {
			n++
		}
	}
	return n
}

// Incomplete says what an incomplete bundle misses, for messages: "2
// connectors failed at export; its connector list had a gap (…)"; "" for a
// complete one.
func (m Manifest) Incomplete() string {
	if m.Complete {
		return ""
	}
	var why []string
	if n := m.FailedConnectors(); n > 0 {
		why = append(why, english.Connectors(n)+" failed at export")
	}
	for _, e := range m.Errors {
		if e.Part == PartList {
			why = append(why, "its connector list had a gap ("+e.Error+")")
		}
	}
	if len(why) == 0 {
		return "it is marked incomplete"
	}
	return strings.Join(why, "; ")
}

// ItemError records a connector (or one part of it) that could not be exported.
type ItemError struct {
	ScriptName string `json:"scriptName,omitempty"`
	Name       string `json:"name,omitempty"`
	Part       string `json:"part,omitempty"`
	Error      string `json:"error"`
}

// Coverage is what an export knew of the tenant's connectors besides what it
// exported: how many the list showed, which hidden connectors it was told
// about, and every connector it knew of but did not export, with the reason.
// A bundle whose coverage leaves nothing out unexplained is a full account of
// the tenant as far as the API lets anyone see.
type Coverage struct {
	// Listed is how many connectors the list showed (after the filter sent
	// to the tenant); ListTotal the tenant's own count (X-Total-Count), -1
	// when it sent none. ListGap is set when the two did not match on two
	// passes (the bundle is then incomplete).
	Listed    int    `json:"listed"`
	ListTotal int    `json:"listTotal"`
	ListGap   string `json:"listGap,omitempty"`
	// Hidden are the scriptNames of the connectors named for export that
	// the list does not show (DEVELOPMENT, DEMO or DEPRECATED ones), sorted:
	// named on the command line, carried forward or found through sources.
	// It is the carry-forward list: a later export carries them forward
	// again. A named or carried one stays on it until the tenant answers 404
	// for it, also when a run's --include/--exclude or the SailPoint rule
	// leaves it out (LeftOut then has it too, saying so).
	Hidden []string `json:"hidden"`
	// CarriedFrom names the bundle(s) hidden connectors were carried forward
	// from, if any.
	CarriedFrom []string `json:"carriedFrom,omitempty"`
	// UsedBySources are the hidden connectors exported because sources use
	// them (nothing named them), each with the reason: "used by source S".
	UsedBySources []Included `json:"usedBySources,omitempty"`
	// Sources says whether the export read the tenant's sources: "read",
	// "off" (--sources=false), or why not (a 403). Empty in older bundles.
	Sources string `json:"sources,omitempty"`
	// LeftOut are the connectors known but not exported, sorted by
	// scriptName.
	LeftOut []LeftOut `json:"leftOut"`
}

// Included is a connector an export included for a reason other than being
// listed or named.
type Included struct {
	ScriptName string `json:"scriptName"`
	Name       string `json:"name,omitempty"`
	Reason     string `json:"reason"` // e.g. `used by source "HR Prod" (2c91…)`
}

// LeftOutReason says why a known connector is not in a bundle. New reasons
// may be added; a reader shows an unknown reason as it is.
type LeftOutReason string

// The reasons a known connector is left out of a bundle.
const (
	// LeftOutSailPointOwned: SailPoint's own connector, by the rule in
	// LeftOut.Rule (exported only with --builtin).
	LeftOutSailPointOwned LeftOutReason = "sailpoint-owned"
	// LeftOutFiltered: excluded by --include or --exclude (LeftOut.Rule
	// names which).
	LeftOutFiltered LeftOutReason = "filtered"
	// LeftOutHidden: the list does not show it and nothing named it for
	// export (known, for example, from a source that uses it).
	LeftOutHidden LeftOutReason = "hidden"
	// LeftOutGone: carried forward from an earlier bundle, or named by a
	// source, but the tenant no longer has it (404).
	LeftOutGone LeftOutReason = "gone"
)

// LeftOut is one connector an export knew of but did not export.
type LeftOut struct {
	ScriptName string        `json:"scriptName"`
	Name       string        `json:"name,omitempty"`
	Type       string        `json:"type,omitempty"`
	Status     string        `json:"status,omitempty"`
	Reason     LeftOutReason `json:"reason"`
	// Rule says which rule or filter decided, in words, e.g. `type "LDAP"
	// does not start with "custom" and s3Location "connector/ldap" is not
	// under custom-connector/`.
	Rule string `json:"rule,omitempty"`
}

// Ambiguity records translations an export could not tell present from
// absent, and therefore did not store: for example locales that the tenant
// answered with the en text, which it may serve for a locale it does not have
// (README, "Assumptions about ISC").
type Ambiguity struct {
	ScriptName string   `json:"scriptName"`
	Name       string   `json:"name,omitempty"`
	Locales    []string `json:"locales"`
	Reason     string   `json:"reason"`
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

	// Sources are recorded in the manifest entry (Entry.Sources), not in a
	// file: they are context of the connector, not its content.
	Sources []SourceUse
}
