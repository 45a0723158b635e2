package importer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
)

// A bundle whose export could not list every connector is refused by plan,
// and the refusal names the list gap as such: not as a connector with an
// empty name.
func TestPlanNamesAListGap(t *testing.T) {
	f := newTenant(t, sandboxOpts())
	cs := bundleFromDump(t, f.sim.Dump())
	gap := "listed 27 of the 44 connectors the tenant counts"
	src := writeSource(t, f.url, cs[:2], []bundle.ItemError{{Part: bundle.PartList, Error: gap}})
	_, err := MakePlan(context.Background(), f.client(t), src, testOptions(t))
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("plan of a bundle with a list gap: %v, want ErrIncomplete", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "the connector list ("+gap+")") || strings.Contains(msg, `""`) {
		t.Errorf("the refusal should name the list gap, not an empty connector name: %s", msg)
	}
	if n := src.Manifest.FailedConnectors(); n != 0 {
		t.Errorf("FailedConnectors = %d for a bundle whose only error is a list gap, want 0", n)
	}
}
