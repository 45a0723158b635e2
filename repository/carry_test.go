package repository

import (
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
)

// A hidden connector gone under its old scriptName is replaced by a
// connector of the same name exported under a new one, whatever Unicode
// normalization form or letter case the tenant stored the recreated name in
// ("Cafe\u0301" is "Café"); a different name does not replace it.
func TestGoneHiddenIsReplacedByItsNameInAnyForm(t *testing.T) {
	prev := []HiddenConnector{{ScriptName: "cafe-old", Name: "Café Feed"}, {ScriptName: "hr-old", Name: "HR Feed"}}
	res := export.Result{
		Names: map[string]string{"cafe-new": "Cafe\u0301 Feed", "hr-other": "HR Feeds"},
		Coverage: bundle.Coverage{LeftOut: []bundle.LeftOut{
			{ScriptName: "cafe-old", Name: "Café Feed", Reason: bundle.LeftOutGone},
			{ScriptName: "hr-old", Name: "HR Feed", Reason: bundle.LeftOutGone},
		}},
	}
	carried := []export.Hidden{{ScriptName: "cafe-old"}, {ScriptName: "hr-old"}}
	gone, replaced := goneAfter(prev, carried, res)
	if replaced["cafe-old"] != "cafe-new" {
		t.Errorf("replaced = %v, want cafe-old → cafe-new", replaced)
	}
	if len(gone) != 1 || gone[0].ScriptName != "hr-old" {
		t.Errorf("gone = %+v, want hr-old only", gone)
	}
}
