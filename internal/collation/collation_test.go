package collation

import (
	"slices"
	"testing"
)

func TestSortReadsAsPeopleRead(t *testing.T) {
	names := []string{"Zürich HR Feed", "Østfold LDAP", "Århus Badge", "Île-de-France Facturation", "acme CRM", "Bogotá Nómina", "Acme HR"}
	Sort(names)
	want := []string{"acme CRM", "Acme HR", "Århus Badge", "Bogotá Nómina", "Île-de-France Facturation", "Østfold LDAP", "Zürich HR Feed"}
	if !slices.Equal(names, want) {
		t.Errorf("Sort = %q\nwant   %q", names, want)
	}
	if Compare("a", "a") != 0 || Compare("Å", "A") == 0 {
		t.Error("Compare must be 0 only for equal names")
	}
}
