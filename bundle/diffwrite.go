package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// diffStream writes a Diff piece by piece, as text (Diff.Write) or as the
// JSON of Diff indented by two spaces: head (everything known from the
// manifests), then each changed connector as it is compared, then end.
// The first write error is kept in err and stops further writes.
type diffStream struct {
	w       io.Writer
	asJSON  bool
	changes int // changed connectors written
	err     error
}

func newDiffStream(w io.Writer, asJSON bool) *diffStream {
	return &diffStream{w: w, asJSON: asJSON}
}

func (s *diffStream) print(parts ...string) {
	for _, p := range parts {
		if s.err != nil {
			return
		}
		_, s.err = io.WriteString(s.w, p)
	}
}

// indented is v as json.Encoder with SetIndent("", "  ") encodes it nested
// at depth (the first line without indent, as it follows a key).
func indented(v any, depth int) string {
	data, err := json.MarshalIndent(v, strings.Repeat("  ", depth), "  ")
	if err != nil {
		return "null" // names, parts and text always encode
	}
	return string(data)
}

// head writes what precedes the changed connectors: warnings, unknown,
// added and removed (text), or the JSON up to the "changed" array.
func (s *diffStream) head(d Diff) {
	if s.asJSON {
		s.print("{\n  \"added\": ", indented(d.Added, 1), ",\n  \"removed\": ", indented(d.Removed, 1), ",\n  \"changed\": ")
		return
	}
	for _, warn := range d.Warnings {
		s.print("warning: ", warn, "\n")
	}
	for _, n := range d.Unknown {
		s.print("? ", n, " (failed at export in the other bundle)\n")
	}
	for _, n := range d.Added {
		s.print("+ ", n, "\n")
	}
	for _, n := range d.Removed {
		s.print("- ", n, "\n")
	}
}

// changed writes one changed connector: its line and parts with their text
// diffs, or an element of the JSON "changed" array.
func (s *diffStream) changed(ch ConnectorDiff) {
	defer func() { s.changes++ }()
	if s.asJSON {
		sep := ",\n    "
		if s.changes == 0 {
			sep = "[\n    "
		}
		s.print(sep, indented(ch, 2))
		return
	}
	s.print("~ ", ch.Name, " (", strings.Join(ch.Parts, ", "), ")\n")
	for _, p := range ch.Parts {
		if t, ok := ch.Text[p]; ok {
			s.print(t)
		}
	}
}

// end writes what follows the changed connectors: the count line, or the
// rest of the JSON object (unknown and warnings when there are any).
func (s *diffStream) end(d Diff) {
	if !s.asJSON {
		s.print(fmt.Sprintf("%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), s.changes))
		return
	}
	if s.changes == 0 {
		s.print("null")
	} else {
		s.print("\n  ]")
	}
	if len(d.Unknown) > 0 {
		s.print(",\n  \"unknown\": ", indented(d.Unknown, 1))
	}
	if len(d.Warnings) > 0 {
		s.print(",\n  \"warnings\": ", indented(d.Warnings, 1))
	}
	s.print("\n}\n")
}
