package transform

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/agnivade/levenshtein"
	"golang.org/x/text/runes"
	xtransform "golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/connvault/connvault/bundle"
	globpkg "github.com/connvault/connvault/internal/glob"
)

// NoMatchError lists the rules that name connectors (include globs, rename
// keys, metadata matches) but match no connector of the bundle: a typo, a
// letter of another script, a name of another bundle. Each problem names
// the rule, where it was written, and a near name of the bundle if there is
// one. Nothing may be written when Check returns it: a rename that matches
// nothing leaves the connector under its old name, which then overwrites the
// target's connector of that name.
type NoMatchError struct {
	Problems []string
}

func (e *NoMatchError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%d rules match no connector of the bundle:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// renameOf returns the name r renames the connector named name to, and
// whether it renames it. Rename keys match names by internal/glob's rule
// (any letter case, NFC), as include and exclude do.
func (r *Rules) renameOf(name string) (string, bool) {
	if to, ok := r.rename[name]; ok {
		return to, true
	}
	if from := sameNameKey(r.rename, name); from != "" {
		return r.rename[from], true
	}
	return "", false
}

// sameNameKey returns the key of m that names the same connector as name
// (globpkg.SameName), "" if none. When several do, the exact one wins.
func sameNameKey[V any](m map[string]V, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if globpkg.SameName(k, name) {
			return k
		}
	}
	return ""
}

// Check reports the rules of r that name connectors but match none of the
// bundle of m (its manifest's connectors, before any filter): every include
// glob, rename key and metadata match must match a connector's name, or
// Check returns a *NoMatchError naming each one that does not. An exclude
// glob that matches nothing is not an error (it still keeps target
// connectors of that name out of the deletion scope) but is returned as a
// warning, since a typo in it lets the connector through. Names are
// compared by internal/glob's rule. A nil r checks nothing.
func (r *Rules) Check(m bundle.Manifest) (warnings []string, err error) {
	if r == nil {
		return nil, nil
	}
	names := make([]string, 0, len(m.Connectors))
	for _, e := range m.Connectors {
		names = append(names, e.Name)
	}
	var problems []string
	for _, g := range r.include {
		if !slices.ContainsFunc(names, g.match) {
			problems = append(problems, r.where(g.line, "include")+fmt.Sprintf("%q matches no connector of the bundle", g.pattern)+hint(m, g.pattern, true))
		}
	}
	for _, g := range r.exclude {
		if !slices.ContainsFunc(names, g.match) {
			warnings = append(warnings, r.where(g.line, "exclude")+fmt.Sprintf("%q matches no connector of the bundle", g.pattern)+hint(m, g.pattern, true))
		}
	}
	for _, from := range slices.Sorted(maps.Keys(r.rename)) {
		if !slices.ContainsFunc(names, func(n string) bool { return globpkg.SameName(n, from) }) {
			problems = append(problems, r.where(r.renameLine[from], "rename")+fmt.Sprintf("%q: no connector of the bundle has this name", from)+hint(m, from, false))
		}
	}
	for _, md := range r.metadata {
		if !slices.ContainsFunc(names, md.match.match) {
			problems = append(problems, r.where(md.match.line, "metadata match")+fmt.Sprintf("%q matches no connector of the bundle", md.match.pattern)+hint(m, md.match.pattern, true))
		}
	}
	if len(problems) > 0 {
		return warnings, &NoMatchError{Problems: problems}
	}
	return warnings, nil
}

// where names a rule for a message: `rules file r.yaml: line 3: rename `, or
// `--include ` for a flag.
func (r *Rules) where(line int, what string) string {
	if r.file == "" {
		return "--" + what + " "
	}
	return fmt.Sprintf("rules file %s: line %d: %s ", r.file, line, what)
}

// hint suggests a near name of the bundle for a pattern (or a name) that
// matched nothing: one equal but for accents, or within a few typing
// errors; and says when the export knew the connector but left it out.
func hint(m bundle.Manifest, pattern string, isGlob bool) string {
	for _, lo := range leftOutOf(m) {
		if lo.Name != "" && matches(pattern, lo.Name, isGlob) {
			return fmt.Sprintf(" (the export left %q out of the bundle: %s)", lo.Name, lo.Reason)
		}
	}
	if near := nearName(m, pattern, isGlob); near != "" {
		return fmt.Sprintf(" (did you mean %q?)", near)
	}
	return ""
}

func leftOutOf(m bundle.Manifest) []bundle.LeftOut {
	if m.Coverage == nil {
		return nil
	}
	return m.Coverage.LeftOut
}

// matches reports whether pattern (a glob, or a name) chooses name.
func matches(pattern, name string, isGlob bool) bool {
	if !isGlob {
		return globpkg.SameName(pattern, name)
	}
	g, err := globpkg.Compile(pattern)
	return err == nil && g.Match(name)
}

// nearName returns the name of a connector of m that pattern nearly
// matches: the same without accents and letter case, or (for a name or a
// glob without wildcards) within a quarter of its letters by edit
// distance. "" when none is near.
func nearName(m bundle.Manifest, pattern string, isGlob bool) string {
	bare := bareLetters(pattern)
	literal := !isGlob || !strings.ContainsAny(pattern, `*?[\`)
	best, bestDist := "", len([]rune(bare))/4+1
	for _, e := range m.Connectors {
		if matches(bare, bareLetters(e.Name), isGlob) {
			return e.Name
		}
		if literal {
			if d := levenshtein.ComputeDistance(bare, bareLetters(e.Name)); d < bestDist {
				best, bestDist = e.Name, d
			}
		}
	}
	return best
}

// bareLetters returns s in lower case without accents (combining marks),
// for suggesting near names only.
func bareLetters(s string) string {
	t := xtransform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := xtransform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// IsNoMatch reports whether err is or wraps a *NoMatchError.
func IsNoMatch(err error) bool {
	var nm *NoMatchError
	return errors.As(err, &nm)
}
