package tenantsim

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The filters of GET /connectors, in the standard collection grammar:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | "(" expr ")" | field op value | "pr" field | field "isnull"
//	value   = string | boolean | number | "(" value { "," value } ")"
//
// Operators are lower case only; strings are double-quoted with \" and \\
// escapes; string comparisons ignore case. Only the fields and operators the
// spec lists for this endpoint are accepted.

// filterFields maps each filterable field to its operators, as the spec lists them.
func filterFields() map[string][]string {
	return map[string][]string{
		"name":          {"sw", "co"},
		"type":          {"sw", "co", "eq"},
		"directConnect": {"eq"},
		"category":      {"eq"},
		"features":      {"ca"},
		"labels":        {"ca"},
	}
}

// fieldOrder is the order fields are named in messages.
func fieldOrder() []string {
	return []string{"name", "type", "directConnect", "category", "features", "labels"}
}

// knownOperators are the standard operators; a known one that a field does
// not support is refused differently from an unknown word.
func knownOperators() []string {
	return []string{"eq", "ne", "gt", "ge", "lt", "le", "co", "sw", "in", "ca", "pr", "isnull"}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString
	tokNumber
	tokLParen
	tokRParen
	tokComma
)

type token struct {
	kind tokKind
	text string // word, number, or unescaped string
	pos  int    // 1-based character position in the filter
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the filter"
	case tokString:
		return fmt.Sprintf("string %q at position %d", t.text, t.pos)
	}
	return fmt.Sprintf("%q at position %d", t.text, t.pos)
}

// lexFilter splits a filter into tokens.
func lexFilter(s string) ([]token, error) {
	var toks []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r, pos := rs[i], i+1
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{tokLParen, "(", pos})
			i++
		case r == ')':
			toks = append(toks, token{tokRParen, ")", pos})
			i++
		case r == ',':
			toks = append(toks, token{tokComma, ",", pos})
			i++
		case r == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(rs) {
					return nil, fmt.Errorf("unterminated string starting at position %d: add the closing \"", pos)
				}
				if rs[i] == '"' {
					i++
					break
				}
				if rs[i] == '\\' {
					if i+1 >= len(rs) || (rs[i+1] != '"' && rs[i+1] != '\\') {
						return nil, fmt.Errorf("bad escape at position %d: inside a string only \\\" and \\\\ are allowed", i+1)
					}
					i++
				}
				b.WriteRune(rs[i])
				i++
			}
			toks = append(toks, token{tokString, b.String(), pos})
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '.') {
				j++
			}
			toks = append(toks, token{tokWord, string(rs[i:j]), pos})
			i = j
		case unicode.IsDigit(r) || r == '-':
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || strings.ContainsRune(".:-+TZ", rs[j])) {
				j++
			}
			toks = append(toks, token{tokNumber, string(rs[i:j]), pos})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at position %d", r, pos)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(rs) + 1}), nil
}

// filterExpr is a parsed filter over records of type T (a connector, a source).
type filterExpr[T any] interface {
	match(x *T) bool
}

type orExpr[T any] struct{ l, r filterExpr[T] }
type andExpr[T any] struct{ l, r filterExpr[T] }
type notExpr[T any] struct{ e filterExpr[T] }

func (e orExpr[T]) match(x *T) bool  { return e.l.match(x) || e.r.match(x) }
func (e andExpr[T]) match(x *T) bool { return e.l.match(x) && e.r.match(x) }
func (e notExpr[T]) match(x *T) bool { return !e.e.match(x) }

// cmpExpr is "field op value" with the value already checked for the field.
type cmpExpr struct {
	field, op string
	str       string   // name, type, category
	b         bool     // directConnect
	list      []string // features, labels
}

func (e cmpExpr) match(c *DumpConnector) bool {
	switch e.field {
	case "name":
		return matchString(c.Name, e.op, e.str)
	case "type":
		return matchString(c.Type, e.op, e.str)
	case "category":
		return strings.EqualFold(categoryOf(c), e.str)
	case "directConnect":
		return c.DirectConnect == e.b
	case "features":
		return containsAllFold(c.Features, e.list)
	case "labels":
		return containsAllFold(labelsOf(c), e.list)
	}
	return false
}

func matchString(have, op, want string) bool {
	h, w := strings.ToLower(have), strings.ToLower(want)
	switch op {
	case "sw":
		return strings.HasPrefix(h, w)
	case "co":
		return strings.Contains(h, w)
	default: // eq
		return h == w
	}
}

func containsAllFold(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}

// categoryOf is connectorMetadata.category, or "custom" for a custom connector without one.
func categoryOf(c *DumpConnector) string {
	if s, ok := c.ConnectorMetadata["category"].(string); ok {
		return s
	}
	if c.BuiltIn {
		return ""
	}
	return "custom"
}

// labelsOf is connectorMetadata.labels (its strings).
func labelsOf(c *DumpConnector) []string {
	var out []string
	if xs, ok := c.ConnectorMetadata["labels"].([]any); ok {
		for _, x := range xs {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// filterGrammar is what one endpoint accepts: its fields with their
// operators, the order they are named in messages, and how a checked
// "field op" reads its value.
type filterGrammar[T any] struct {
	fields map[string][]string
	order  []string
	value  func(p *filterParser[T], field string, op token) (filterExpr[T], error)
}

type filterParser[T any] struct {
	toks []token
	i    int
	g    filterGrammar[T]
}

func (p *filterParser[T]) peek() token { return p.toks[p.i] }
func (p *filterParser[T]) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// parseFilter parses and checks a filters parameter. The error says what is
// wrong and where, and what the endpoint allows.
func parseFilter(s string) (filterExpr[DumpConnector], error) {
	return parseGrammar(s, filterGrammar[DumpConnector]{fields: filterFields(), order: fieldOrder(),
		value: connectorValue})
}

// parseGrammar parses s with the fields, operators and values of g.
func parseGrammar[T any](s string, g filterGrammar[T]) (filterExpr[T], error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("filter is not valid UTF-8")
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser[T]{toks: toks, g: g}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %s: expected and, or, or the end of the filter", t.describe())
	}
	return e, nil
}

// composite reports whether t is the composite operator word (lower case
// only), and refuses it in another case.
func (p *filterParser[T]) composite(word string) (bool, error) {
	t := p.peek()
	if t.kind != tokWord {
		return false, nil
	}
	if t.text == word {
		return true, nil
	}
	if strings.EqualFold(t.text, word) {
		return false, fmt.Errorf("operator %q at position %d must be lower case: write %q", t.text, t.pos, word)
	}
	return false, nil
}

func (p *filterParser[T]) parseOr() (filterExpr[T], error) {
	l, err := p.parseAnd()
	for err == nil {
		var ok bool
		if ok, err = p.composite("or"); !ok || err != nil {
			break
		}
		p.next()
		var r filterExpr[T]
		if r, err = p.parseAnd(); err == nil {
			l = orExpr[T]{l, r}
		}
	}
	return l, err
}

func (p *filterParser[T]) parseAnd() (filterExpr[T], error) {
	l, err := p.parseUnary()
	for err == nil {
		var ok bool
		if ok, err = p.composite("and"); !ok || err != nil {
			break
		}
		p.next()
		var r filterExpr[T]
		if r, err = p.parseUnary(); err == nil {
			l = andExpr[T]{l, r}
		}
	}
	return l, err
}

func (p *filterParser[T]) parseUnary() (filterExpr[T], error) {
	if ok, err := p.composite("not"); err != nil {
		return nil, err
	} else if ok {
		p.next()
		e, err := p.parseUnary()
		return notExpr[T]{e}, err
	}
	t := p.next()
	switch t.kind {
	case tokLParen:
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("expected \")\" to close the \"(\" at position %d, found %s", t.pos, c.describe())
		}
		return e, nil
	case tokWord:
	default:
		return nil, fmt.Errorf("expected a field name (one of %s), found %s", strings.Join(p.g.order, ", "), t.describe())
	}
	if t.text == "pr" { // "pr field": no field of this endpoint supports it
		f := p.next()
		if err := p.checkField(f); err != nil {
			return nil, err
		}
		return nil, p.unsupportedOp(f.text, t)
	}
	if err := p.checkField(t); err != nil {
		return nil, err
	}
	op := p.next()
	if op.kind != tokWord {
		return nil, fmt.Errorf("expected an operator after field %q, found %s; %s supports %s", t.text, op.describe(), t.text, strings.Join(p.g.fields[t.text], ", "))
	}
	if !slices.Contains(knownOperators(), op.text) {
		if slices.Contains(knownOperators(), strings.ToLower(op.text)) {
			return nil, fmt.Errorf("operator %q at position %d must be lower case: write %q", op.text, op.pos, strings.ToLower(op.text))
		}
		return nil, fmt.Errorf("unknown operator %q at position %d; field %q supports %s", op.text, op.pos, t.text, strings.Join(p.g.fields[t.text], ", "))
	}
	if !slices.Contains(p.g.fields[t.text], op.text) {
		return nil, p.unsupportedOp(t.text, op)
	}
	return p.g.value(p, t.text, op)
}

func (p *filterParser[T]) checkField(t token) error {
	if t.kind == tokWord {
		if _, ok := p.g.fields[t.text]; ok {
			return nil
		}
		for _, f := range p.g.order {
			if strings.EqualFold(f, t.text) {
				return fmt.Errorf("unknown field %q at position %d: field names are case-sensitive, did you mean %q?", t.text, t.pos, f)
			}
		}
		return fmt.Errorf("field %q at position %d cannot be filtered on; filterable fields are %s", t.text, t.pos, strings.Join(p.g.order, ", "))
	}
	return fmt.Errorf("expected a field name (one of %s), found %s", strings.Join(p.g.order, ", "), t.describe())
}

func (p *filterParser[T]) unsupportedOp(field string, op token) error {
	return fmt.Errorf("operator %q at position %d is not supported for field %q; %s supports %s",
		op.text, op.pos, field, field, strings.Join(p.g.fields[field], ", "))
}

// connectorValue reads the value of a connector filter's "field op" and
// checks its type for the field.
func connectorValue(p *filterParser[DumpConnector], field string, op token) (filterExpr[DumpConnector], error) {
	e := cmpExpr{field: field, op: op.text}
	t := p.next()
	switch field {
	case "name", "type", "category":
		if t.kind != tokString {
			return nil, fmt.Errorf("field %q with %q takes one double-quoted string, found %s (e.g. %s %s \"abc\")", field, op.text, t.describe(), field, op.text)
		}
		e.str = t.text
	case "directConnect":
		switch {
		case t.kind == tokWord && (t.text == "true" || t.text == "false"):
			e.b = t.text == "true"
		case t.kind == tokString && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
			e.b = strings.EqualFold(t.text, "true")
		default:
			return nil, fmt.Errorf("field \"directConnect\" takes true or false (or \"true\"/\"false\"), found %s", t.describe())
		}
	case "features", "labels":
		switch t.kind {
		case tokString:
			e.list = []string{t.text}
		case tokLParen:
			for {
				v := p.next()
				if v.kind != tokString {
					return nil, fmt.Errorf("the list of %q holds double-quoted strings, found %s", field, v.describe())
				}
				e.list = append(e.list, v.text)
				sep := p.next()
				if sep.kind == tokRParen {
					break
				}
				if sep.kind != tokComma {
					return nil, fmt.Errorf("expected \",\" or \")\" in the list of %q, found %s", field, sep.describe())
				}
			}
		default:
			return nil, fmt.Errorf("field %q with \"ca\" takes a list of strings like (\"A\",\"B\"), found %s", field, t.describe())
		}
	}
	return e, nil
}
