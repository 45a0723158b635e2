package tenant

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filter is an expression of ISC's filter grammar ("Standard Collection
// Parameters"), for ListConnectors and ListAllConnectors. Build one with Eq,
// Sw, Co, Ca and combine with And, Or and Not; String quotes, escapes and
// parenthesizes. The zero Filter matches everything and renders as "".
type Filter struct {
	expr string
	prec int // binding strength: precOr < precAnd < precNot < precAtom
}

const (
	precOr = iota + 1
	precAnd
	precNot
	precAtom
)

// String returns the filter text to send as the filters parameter.
func (f Filter) String() string { return f.expr }

// IsZero reports whether f is the empty filter.
func (f Filter) IsZero() bool { return f.expr == "" }

// Eq matches field equal to v: a string (quoted), a bool, an integer or
// float, or a time.Time (RFC 3339). Any other value is compared as its
// quoted fmt representation.
func Eq(field string, v any) Filter {
	return atom(field, "eq", literal(v))
}

// Sw matches a string field starting with v.
func Sw(field, v string) Filter { return atom(field, "sw", quote(v)) }

// Co matches a string field containing v.
func Co(field, v string) Filter { return atom(field, "co", quote(v)) }

// Ca matches a collection field containing all of vs.
func Ca(field string, vs ...string) Filter {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return atom(field, "ca", "("+strings.Join(q, ",")+")")
}

// And matches when every one of fs matches; zero filters are skipped.
func And(fs ...Filter) Filter { return join(" and ", precAnd, fs) }

// Or matches when any one of fs matches; zero filters are skipped.
func Or(fs ...Filter) Filter { return join(" or ", precOr, fs) }

// Not matches when f does not; Not of the zero Filter is the zero Filter.
func Not(f Filter) Filter {
	if f.IsZero() {
		return f
	}
	// Always parenthesized: "not (x)" reads the same in every grammar.
	return Filter{expr: "not (" + f.expr + ")", prec: precNot}
}

func atom(field, op, value string) Filter {
	return Filter{expr: field + " " + op + " " + value, prec: precAtom}
}

func join(sep string, prec int, fs []Filter) Filter {
	var parts []string
	for _, f := range fs {
		switch {
		case f.IsZero():
			continue
		case f.prec < prec:
			parts = append(parts, "("+f.expr+")")
		default:
			parts = append(parts, f.expr)
		}
	}
	switch len(parts) {
	case 0:
		return Filter{}
	case 1:
		// A single operand keeps its own strength: And(Or(a, b)) is Or(a, b).
		for _, f := range fs {
			if !f.IsZero() {
				return f
			}
		}
	}
	return Filter{expr: strings.Join(parts, sep), prec: prec}
}

// quote writes s as a filter string literal: \ and " are escaped.
func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

func literal(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(v)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	case fmt.Stringer:
		return quote(v.String())
	}
	return quote(fmt.Sprint(v))
}
