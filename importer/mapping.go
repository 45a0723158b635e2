package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/connvault/connvault/internal/atomicfile"
)

// MappingFormatVersion is the version of mapping files Apply writes.
const MappingFormatVersion = 1

// Mapping is the mapping file: which target scriptName each source connector
// has. Sources in ISC refer to their connector by scriptName
// (connectorScriptName), so whoever moves sources between tenants needs it.
// It is also valid --map input for the next import.
type Mapping struct {
	FormatVersion int            `json:"formatVersion"`
	Target        string         `json:"target,omitempty"` // the target tenant's base URL
	Entries       []MappingEntry `json:"entries"`
}

// MappingEntry maps one source scriptName to a target scriptName.
type MappingEntry struct {
	SourceScriptName string `json:"sourceScriptName"`
	TargetScriptName string `json:"targetScriptName"`
	Name             string `json:"name,omitempty"`
}

// LoadMapping reads a mapping file as --map input: source scriptName →
// target scriptName. The file is the one Apply writes, or a plain JSON object
// {"<source scriptName>": "<target scriptName>", …} written by hand.
func LoadMapping(path string) (map[string]string, error) {
	m, err := LoadMappingFile(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m.Entries))
	for _, e := range m.Entries {
		out[e.SourceScriptName] = e.TargetScriptName
	}
	return out, nil
}

// LoadMappingFile reads a mapping file with its names; a plain JSON object
// gives entries without names.
func LoadMappingFile(path string) (Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("read mapping file: %w", err)
	}
	m, err := parseMapping(b)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping file %s: %w", path, err)
	}
	return m, nil
}

func parseMapping(b []byte) (Mapping, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return Mapping{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := probe["entries"]; ok {
		var m Mapping
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return Mapping{}, fmt.Errorf("decode: %w", err)
		}
		if m.FormatVersion > MappingFormatVersion {
			return Mapping{}, fmt.Errorf("format version %d is newer than this connvault reads (%d); upgrade connvault", m.FormatVersion, MappingFormatVersion)
		}
		seen := map[string]string{}
		for i, e := range m.Entries {
			if e.SourceScriptName == "" || e.TargetScriptName == "" {
				return Mapping{}, fmt.Errorf("entry %d: sourceScriptName and targetScriptName are required", i+1)
			}
			if t, dup := seen[e.SourceScriptName]; dup && t != e.TargetScriptName {
				return Mapping{}, fmt.Errorf("%q is mapped twice (to %q and %q)", e.SourceScriptName, t, e.TargetScriptName)
			}
			seen[e.SourceScriptName] = e.TargetScriptName
		}
		return m, nil
	}
	m := Mapping{FormatVersion: MappingFormatVersion}
	for _, k := range slices.Sorted(maps.Keys(probe)) {
		var v string
		if err := json.Unmarshal(probe[k], &v); err != nil || v == "" || k == "" {
			return Mapping{}, fmt.Errorf("entry %q: want a non-empty target scriptName string", k)
		}
		m.Entries = append(m.Entries, MappingEntry{SourceScriptName: k, TargetScriptName: v})
	}
	return m, nil
}

// WriteMapping writes a mapping file atomically (0600), entries sorted.
func WriteMapping(path string, m Mapping) error {
	m.Entries = slices.Clone(m.Entries)
	slices.SortFunc(m.Entries, func(a, b MappingEntry) int { return strings.Compare(a.SourceScriptName, b.SourceScriptName) })
	if m.Entries == nil {
		m.Entries = []MappingEntry{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode mapping: %w", err)
	}
	if err := atomicfile.WriteBytes(path, 0o600, append(b, '\n')); err != nil {
		return fmt.Errorf("write mapping file: %w", err)
	}
	return nil
}
