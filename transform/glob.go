package transform

import (
	"fmt"

	globpkg "github.com/connvault/connvault/internal/glob"
)

// glob is a compiled name pattern of a rules file, with the text it was
// written as. The rule is internal/glob's, the same as export's --include.
type glob struct {
	pattern string
	p       globpkg.Pattern
	line    int // its line in the rules file; 0 for a flag
}

// match reports whether the whole name matches the pattern (ignoring case).
func (g glob) match(name string) bool { return g.p.Match(name) }

func matchAny(globs []glob, name string) bool {
	for _, g := range globs {
		if g.match(name) {
			return true
		}
	}
	return false
}

// compileGlob compiles a pattern by internal/glob's rule.
func compileGlob(pattern string) (glob, error) {
	p, err := globpkg.Compile(pattern)
	if err != nil {
		return glob{}, err
	}
	return glob{pattern: pattern, p: p}, nil
}

// NameFilter returns rules that only keep or drop connectors by name, as the
// --include and --exclude flags of plan, import and migrate do; nothing else
// is rewritten and no placeholder is substituted. Applied before a rules
// file, whose include and exclude then narrow further. A malformed glob is
// an error naming it.
func NameFilter(include, exclude []string) (*Rules, error) {
	r := &Rules{}
	for _, f := range []struct {
		what     string
		patterns []string
		into     *[]glob
	}{{"include", include, &r.include}, {"exclude", exclude, &r.exclude}} {
		for _, p := range f.patterns {
			g, err := compileGlob(p)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", f.what, err)
			}
			*f.into = append(*f.into, g)
		}
	}
	return r, nil
}
