package transform

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// glob is a compiled name pattern.
type glob struct {
	pattern string
	re      *regexp.Regexp
}

// match reports whether the whole name matches the pattern.
func (g glob) match(name string) bool { return g.re.MatchString(name) }

func matchAny(globs []glob, name string) bool {
	for _, g := range globs {
		if g.match(name) {
			return true
		}
	}
	return false
}

// compileGlob compiles a pattern in path.Match syntax into an anchored regular
// expression. Unlike path.Match, '*' and '?' also match '/': connector names are
// not paths and may contain slashes ("HR / Payroll"). A class may be negated
// with '^' (as in path.Match) or '!' (as in shells).
func compileGlob(pattern string) (glob, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
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
				return glob{}, err
			}
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += n
		case '[':
			n, err := writeClass(&b, pattern[i:])
			if err != nil {
				return glob{}, err
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
		return glob{}, err
	}
	return glob{pattern: pattern, re: re}, nil
}

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
