package tenantsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// sourceFilterFields are the filterable fields of listSources with their
// operators, as the v2025 spec lists them. There is no filter on connector.
func sourceFilterFields() map[string][]string {
	dateOps := []string{"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"}
	return map[string][]string{
		"id":                     {"eq", "in", "ge", "gt", "le", "lt", "ne", "isnull", "sw"},
		"name":                   {"co", "eq", "in", "sw", "ge", "gt", "ne", "isnull"},
		"type":                   {"eq", "in", "ge", "gt", "ne", "isnull", "sw"},
		"owner.id":               {"eq", "in", "ge", "gt", "le", "lt", "ne", "isnull", "sw"},
		"features":               {"ca", "co"},
		"created":                dateOps,
		"modified":               dateOps,
		"managementWorkgroup.id": {"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"},
		"description":            {"eq", "sw"},
		"authoritative":          {"eq", "ne", "isnull"},
		"healthy":                {"isnull"},
		"status":                 {"eq", "in", "ge", "gt", "le", "lt", "ne", "isnull", "sw"},
		"connectionType":         {"eq", "ge", "gt", "in", "le", "lt", "ne", "isnull", "sw"},
		"connectorName":          {"eq", "ge", "gt", "in", "ne", "isnull", "sw"},
		"category":               {"co", "eq", "ge", "gt", "in", "le", "lt", "ne", "sw"},
	}
}

func sourceFieldOrder() []string {
	return []string{"id", "name", "type", "owner.id", "features", "created", "modified", "managementWorkgroup.id",
		"description", "authoritative", "healthy", "status", "connectionType", "connectorName", "category"}
}

func sourceFilterHelp() string {
	fields := sourceFilterFields()
	var parts []string
	for _, f := range sourceFieldOrder() {
		parts = append(parts, fmt.Sprintf("%s (%s)", f, strings.Join(fields[f], ", ")))
	}
	return "filterable fields: " + strings.Join(parts, ", ") + "; there is no filter on connector"
}

func parseSourceFilter(s string) (filterExpr[DumpSource], error) {
	return parseGrammar(s, filterGrammar[DumpSource]{fields: sourceFilterFields(), order: sourceFieldOrder(), value: sourceValue})
}

// sourceCmp is "field op value" on a source.
type sourceCmp struct {
	field, op string
	values    []string // one value, or the list of in and ca
}

// sourceField returns a field's value as text ("" = null) and, for features,
// the list.
func sourceField(s *DumpSource, field string) (string, []string) {
	switch field {
	case "id":
		return s.ID, nil
	case "name":
		return s.Name, nil
	case "type":
		return s.Type, nil
	case "owner.id":
		return s.OwnerID, nil
	case "features":
		return "", s.Features
	case "created":
		return s.Created, nil
	case "modified":
		return s.Modified, nil
	case "description":
		return s.Description, nil
	case "authoritative":
		return fmt.Sprint(s.Authoritative), nil
	case "healthy":
		return fmt.Sprint(s.Healthy), nil
	case "status":
		return s.Status, nil
	case "connectionType":
		return s.ConnectionType, nil
	case "connectorName":
		return s.ConnectorName, nil
	}
	return "", nil // managementWorkgroup.id, category: always null here
}

func (e sourceCmp) match(s *DumpSource) bool {
	have, list := sourceField(s, e.field)
	switch e.op {
	case "isnull":
		return have == "" && e.field != "authoritative" && e.field != "healthy"
	case "ca":
		return containsAllFold(list, e.values)
	case "in":
		return slices.ContainsFunc(e.values, func(v string) bool { return strings.EqualFold(have, v) })
	}
	if e.field == "features" { // co: some feature contains the text
		return slices.ContainsFunc(list, func(f string) bool { return matchString(f, "co", e.values[0]) })
	}
	want := e.values[0]
	if have == "" && e.op != "ne" {
		return false
	}
	switch e.op {
	case "eq", "sw", "co":
		return matchString(have, e.op, want)
	case "ne":
		return !strings.EqualFold(have, want)
	}
	c := compareText(e.field, have, want)
	switch e.op {
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	default: // le
		return c <= 0
	}
}

// compareText orders two values of field: date-times in time, the rest as
// case-insensitive text.
func compareText(field, a, b string) int {
	if field == "created" || field == "modified" {
		ta, ea := time.Parse(time.RFC3339, a)
		tb, eb := time.Parse(time.RFC3339, b)
		if ea == nil && eb == nil {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// sourceValue reads the value of "field op" for a source filter.
func sourceValue(p *filterParser[DumpSource], field string, op token) (filterExpr[DumpSource], error) {
	e := sourceCmp{field: field, op: op.text}
	if op.text == "isnull" {
		return e, nil
	}
	scalar := func(t token) (string, error) {
		switch {
		case t.kind == tokString, t.kind == tokNumber:
			return t.text, nil
		case t.kind == tokWord && (t.text == "true" || t.text == "false"):
			return t.text, nil
		}
		return "", fmt.Errorf("field %q with %q takes a value such as \"abc\", true or 2024-01-02T03:04:05Z, found %s", field, op.text, t.describe())
	}
	t := p.next()
	if op.text == "in" || op.text == "ca" {
		if t.kind != tokLParen {
			if op.text == "ca" {
				v, err := scalar(t)
				e.values = []string{v}
				return e, err
			}
			return nil, fmt.Errorf("field %q with \"in\" takes a list like (\"a\",\"b\"), found %s", field, t.describe())
		}
		for {
			v, err := scalar(p.next())
			if err != nil {
				return nil, err
			}
			e.values = append(e.values, v)
			sep := p.next()
			if sep.kind == tokRParen {
				return e, nil
			}
			if sep.kind != tokComma {
				return nil, fmt.Errorf("expected \",\" or \")\" in the list of %q, found %s", field, sep.describe())
			}
		}
	}
	v, err := scalar(t)
	if err != nil {
		return nil, err
	}
	if field == "authoritative" && v != "true" && v != "false" && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
		return nil, fmt.Errorf("field \"authoritative\" takes true or false, found %s", t.describe())
	}
	e.values = []string{strings.ToLower(v)}
	if field != "authoritative" {
		e.values = []string{v}
	}
	return e, nil
}

// sorter is one key of the sorters parameter.
type sorter struct {
	field string
	desc  bool
}

// sourceSortFields are the fields the spec lets listSources sort by.
func sourceSortFields() []string {
	return []string{"type", "created", "modified", "name", "owner.name", "healthy", "status", "id", "description",
		"owner.id", "accountCorrelationConfig.id", "accountCorrelationConfig.name", "managerCorrelationRule.type",
		"managerCorrelationRule.id", "managerCorrelationRule.name", "authoritative", "managementWorkgroup.id",
		"connectorName", "connectionType"}
}

// parseSorters reads "name,-created"; an unknown field is 400.
func parseSorters(v string) ([]sorter, error) {
	var out []sorter
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		so := sorter{field: strings.TrimPrefix(f, "-"), desc: strings.HasPrefix(f, "-")}
		if !slices.Contains(sourceSortFields(), so.field) {
			return nil, badRequest("sorters: field %q cannot be sorted on; sortable fields are %s", so.field, strings.Join(sourceSortFields(), ", "))
		}
		out = append(out, so)
	}
	return out, nil
}

// compareSourceField orders two sources by one sortable field; fields the
// simulator does not model compare equal.
func compareSourceField(a, b *DumpSource, field string) int {
	if field == "owner.name" {
		return strings.Compare(strings.ToLower(a.OwnerName), strings.ToLower(b.OwnerName))
	}
	va, _ := sourceField(a, field)
	vb, _ := sourceField(b, field)
	return compareText(field, va, vb)
}
