// Package glob owns connvault's one rule for choosing connectors by name,
// used alike by export --include/--exclude, by plan, import and migrate
// --include/--exclude, and by a rules file's include, exclude and metadata
// match (docs/ARCHITECTURE.md, "Choosing connectors by name").
//
// The rule: a pattern matches a connector's whole name, ignoring letter case,
// never its scriptName. Names are what an administrator sees and the same in
// every tenant, while scriptNames differ between tenants (each tenant adds its
// own suffix), so a pattern chooses the same connectors in a sandbox bundle
// and in production. Case is ignored because ISC treats names that differ only
// in case as the same name (it refuses to create the second), so ignoring it
// never confuses two connectors. To choose by scriptName, name the connector
// (export --script-name).
//
// Syntax is path.Match's: '*' any run of characters, '?' one character (not
// one byte), "[a-z]" a class, "[^a-z]" or "[!a-z]" a negated class, '\' quotes
// the next character; except that '*' and '?' also match '/', since connector
// names are not paths ("HR / Payroll" matches "HR *"). A malformed pattern is
// an error naming what is wrong.
//
// Names and patterns are compared in Unicode normalization form C (NFC): "ü"
// typed as one code point (U+00FC, as most keyboards do) and as "u" followed
// by a combining diaeresis (U+0308, as macOS file names and some shells
// give it) are the same letter to anyone reading the name, so they are the
// same here. SameName compares two names by the same rule.
package glob

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Pattern is a compiled name pattern. The zero Pattern matches only "".
type Pattern struct {
	text string
	re   *regexp.Regexp
}

// Compile compiles pattern (see the package documentation). Its errors name
// the pattern and what is malformed: a trailing backslash, a missing ']', a
// reversed range, an unescaped '-' or ']' inside a class.
func Compile(pattern string) (Pattern, error) {
	written := pattern
	pattern = norm.NFC.String(pattern)
	var b strings.Builder
	b.WriteString(`(?is)^(?:`)
	for i := 0; i < len(pattern); {
		switch pattern[i] {
		case '*':
			b.WriteString(`.*`)
			i++
		case '?':
			b.WriteString(`.`)
			i++
		case '\\':
			r, n, err := escaped(pattern, i)
			if err != nil {
				return Pattern{}, fmt.Errorf("glob %q: %w", written, err)
			}
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += n
		case '[':
			n, err := writeClass(&b, pattern[i:])
			if err != nil {
				return Pattern{}, fmt.Errorf("glob %q: %w", written, err)
			}
			i += n
		default:
			r, n := utf8.DecodeRuneInString(pattern[i:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += n
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return Pattern{}, fmt.Errorf("glob %q: %w", written, err)
	}
	return Pattern{text: written, re: re}, nil
}

// CompileAll compiles every pattern; the error names the first malformed one.
func CompileAll(patterns []string) ([]Pattern, error) {
	out := make([]Pattern, 0, len(patterns))
	for _, p := range patterns {
		g, err := Compile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// Match reports whether the whole name matches, ignoring letter case, with
// name and pattern in NFC.
func (p Pattern) Match(name string) bool {
	if p.re == nil {
		return name == ""
	}
	return p.re.MatchString(norm.NFC.String(name))
}

// SameName reports whether a and b name the same connector by the package's
// rule: equal in NFC, ignoring letter case (simple Unicode case folding, as a
// pattern without wildcards matches).
func SameName(a, b string) bool {
	return strings.EqualFold(norm.NFC.String(a), norm.NFC.String(b))
}

// NameKey returns the key under which a map holds the connector named name
// by SameName's rule: NameKey(a) == NameKey(b) exactly when SameName(a, b).
// It is name in NFC with every letter replaced by the smallest member of its
// simple case-folding orbit (unicode.SimpleFold: "K", "k" and the Kelvin
// sign give "K"), so it is for comparing only, never for showing.
func NameKey(name string) string {
	s := norm.NFC.String(name)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldMin(r))
	}
	return b.String()
}

// foldMin returns the smallest rune that strings.EqualFold holds equal to r.
func foldMin(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.text }

// MatchAny reports whether any of ps matches name.
func MatchAny(ps []Pattern, name string) bool {
	for _, p := range ps {
		if p.Match(name) {
			return true
		}
	}
	return false
}

// Filter is an include/exclude pair: a name is kept when it matches one of
// Include (or Include is empty) and none of Exclude.
type Filter struct {
	Include, Exclude []Pattern
}

// NewFilter compiles include and exclude patterns into a Filter.
func NewFilter(include, exclude []string) (Filter, error) {
	in, err := CompileAll(include)
	if err != nil {
		return Filter{}, fmt.Errorf("include: %w", err)
	}
	ex, err := CompileAll(exclude)
	if err != nil {
		return Filter{}, fmt.Errorf("exclude: %w", err)
	}
	return Filter{Include: in, Exclude: ex}, nil
}

// Keeps reports whether the filter keeps the connector named name.
func (f Filter) Keeps(name string) bool {
	if len(f.Include) > 0 && !MatchAny(f.Include, name) {
		return false
	}
	return !MatchAny(f.Exclude, name)
}

// IsZero reports whether the filter keeps everything.
func (f Filter) IsZero() bool { return len(f.Include) == 0 && len(f.Exclude) == 0 }

// escaped decodes the escape `\c` at s[i] and returns c and the bytes used.
func escaped(s string, i int) (rune, int, error) {
	if i+1 >= len(s) {
		return 0, 0, errors.New("trailing backslash")
	}
	r, n := utf8.DecodeRuneInString(s[i+1:])
	return r, 1 + n, nil
}

// writeClass translates the character class at the start of s (s[0] == '[')
// and returns the number of bytes it takes.
func writeClass(b *strings.Builder, s string) (int, error) {
	i := 1
	b.WriteByte('[')
	if i < len(s) && (s[i] == '^' || s[i] == '!') {
		b.WriteByte('^')
		i++
	}
	ranges := 0
	for {
		if i >= len(s) {
			return 0, errors.New("missing ]")
		}
		if s[i] == ']' && ranges > 0 {
			b.WriteByte(']')
			return i + 1, nil
		}
		lo, n, err := classChar(s, i)
		if err != nil {
			return 0, err
		}
		i += n
		hi := lo
		if i < len(s) && s[i] == '-' {
			if hi, n, err = classChar(s, i+1); err != nil {
				return 0, err
			}
			i += 1 + n
			if hi < lo {
				return 0, fmt.Errorf("range %c-%c is reversed", lo, hi)
			}
		}
		fmt.Fprintf(b, `\x{%x}-\x{%x}`, lo, hi)
		ranges++
	}
}

// classChar reads one (possibly escaped) character of a class at s[i].
func classChar(s string, i int) (rune, int, error) {
	if i >= len(s) {
		return 0, 0, errors.New("missing ]")
	}
	switch s[i] {
	case '\\':
		return escaped(s, i)
	case '-', ']':
		return 0, 0, fmt.Errorf("unescaped %q in a character class", s[i])
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, nil
}
