package export

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/connvault/connvault/tenant"
)

// target is one connector to export.
type target struct {
	ScriptName string
	Name       string // from the list; empty for a named connector not listed
}

// label is how progress and logs name the connector.
func (t target) label() string {
	if t.Name != "" {
		return t.Name
	}
	return t.ScriptName
}

// selector decides which listed connectors are exported.
type selector struct {
	include, exclude []*regexp.Regexp
	builtIn          bool
}

func newSelector(opts Options) (selector, error) {
	s := selector{builtIn: opts.BuiltIn}
	var err error
	if s.include, err = compileGlobs(opts.Include); err != nil {
		return selector{}, fmt.Errorf("include: %w", err)
	}
	if s.exclude, err = compileGlobs(opts.Exclude); err != nil {
		return selector{}, fmt.Errorf("exclude: %w", err)
	}
	return s, nil
}

// wants reports whether the listed connector c is to be exported.
func (s selector) wants(c tenant.Connector) bool {
	if !s.builtIn && !isCustom(c) {
		return false
	}
	if len(s.include) > 0 && !matchAny(s.include, c) {
		return false
	}
	return !matchAny(s.exclude, c)
}

// isCustom reports whether a listed connector is a custom one. The API has no
// flag for it; ISC types a created connector "custom <name>" by default, and
// SailPoint's catalog never uses that prefix.
func isCustom(c tenant.Connector) bool {
	return len(c.Type) >= len("custom") && strings.EqualFold(c.Type[:len("custom")], "custom")
}

func matchAny(globs []*regexp.Regexp, c tenant.Connector) bool {
	for _, g := range globs {
		if g.MatchString(c.Name) || g.MatchString(c.ScriptName) {
			return true
		}
	}
	return false
}

// choose returns the connectors to export: the wanted listed ones in list
// order, then the named ones not already among them, each scriptName once.
func choose(listed []tenant.Connector, named []string, s selector) []target {
	seen := make(map[string]bool, len(listed)+len(named))
	namedSet := make(map[string]bool, len(named))
	for _, n := range named {
		namedSet[n] = true
	}
	var out []target
	for _, c := range listed {
		if c.ScriptName == "" || seen[c.ScriptName] {
			continue
		}
		if !namedSet[c.ScriptName] && !s.wants(c) {
			continue
		}
		seen[c.ScriptName] = true
		out = append(out, target{ScriptName: c.ScriptName, Name: c.Name})
	}
	for _, n := range named {
		if !seen[n] {
			seen[n] = true
			out = append(out, target{ScriptName: n})
		}
	}
	return out
}

// leftOutAsBuiltIn returns the names of the listed connectors that s would
// export but for looking built-in, unless they are named.
func leftOutAsBuiltIn(listed []tenant.Connector, named []string, s selector) []string {
	if s.builtIn {
		return nil
	}
	var out []string
	for _, c := range listed {
		if isCustom(c) || slices.Contains(named, c.ScriptName) {
			continue
		}
		if len(s.include) > 0 && !matchAny(s.include, c) || matchAny(s.exclude, c) {
			continue
		}
		out = append(out, c.Name)
	}
	return out
}

func compileGlobs(globs []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(globs))
	for _, g := range globs {
		re, err := compileGlob(g)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

// compileGlob turns a glob into an anchored regular expression. Unlike
// path.Match, '*' also matches '/', which connector names may contain.
func compileGlob(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(glob); i++ {
		switch ch := glob[i]; ch {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 == len(glob) {
				return nil, fmt.Errorf("glob %q: trailing backslash", glob)
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case '[':
			end, class, err := globClass(glob, i)
			if err != nil {
				return nil, err
			}
			b.WriteString(class)
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", glob, err)
	}
	return re, nil
}

// globClass translates the class starting at glob[start] == '[' and returns the
// index of its closing ']'.
func globClass(glob string, start int) (int, string, error) {
	var b strings.Builder
	b.WriteByte('[')
	i := start + 1
	if i < len(glob) && (glob[i] == '!' || glob[i] == '^') {
		b.WriteByte('^')
		i++
	}
	first := i
	for ; i < len(glob); i++ {
		ch := glob[i]
		switch {
		case ch == ']' && i > first:
			b.WriteByte(']')
			return i, b.String(), nil
		case ch == '\\':
			if i+1 == len(glob) {
				return 0, "", fmt.Errorf("glob %q: trailing backslash", glob)
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case ch == '-' && i > first && i+1 < len(glob) && glob[i+1] != ']':
			b.WriteByte('-')
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	return 0, "", fmt.Errorf("glob %q: unterminated [", glob)
}
