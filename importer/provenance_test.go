package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant"
)

// raceTarget answers the first create of a name with a lost answer, after
// "someone else" created a connector of that name with another status.
type raceTarget struct {
	*tenant.Client
	status tenant.Status
	done   bool
	pre    tenant.ConnectorDetail // the connector someone else made, as made
}

func (r *raceTarget) CreateConnector(ctx context.Context, n tenant.NewConnector) (tenant.Connector, error) {
	if r.done {
		return r.Client.CreateConnector(ctx, n)
	}
	r.done = true
	other := n
	other.Status = r.status
	made, err := r.Client.CreateConnector(ctx, other)
	if err != nil {
		return tenant.Connector{}, err
	}
	if r.pre, err = r.Client.GetConnector(ctx, made.ScriptName); err != nil {
		return tenant.Connector{}, err
	}
	return tenant.Connector{}, fmt.Errorf("%w: connection reset", tenant.ErrAmbiguous)
}

// A connector the lookup after a lost create answer finds, but not as the
// create sent it (another status), is not the import's: it is updated from a
// saved pre-image, and a rollback restores it instead of deleting it.
func TestLookupAfterLostAnswerAdoptsOnlyWhatWasSent(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	all := exportSource(t, sandbox)
	var c = all.Connectors[0]
	for _, x := range all.Connectors {
		if strings.HasPrefix(x.Name, "Bogotá") {
			c = withStatus(t, x, "DEVELOPMENT")
		}
	}
	src := writeSource(t, sandbox.url, append(all.Connectors[:0:0], c), nil)
	opts := testOptions(t)
	tg := &raceTarget{Client: prod.client(t), status: tenant.StatusReleased}
	p, err := MakePlan(t.Context(), tg, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Items[0].Action != ActionCreate {
		t.Fatalf("fixture: %q planned as %s", c.Name, p.Items[0].Action)
	}
	res, err := Apply(t.Context(), tg, src, p, opts)
	if err != nil || res.Failed() > 0 {
		t.Fatalf("apply: %v %+v", err, failures(res))
	}
	if !strings.Contains(strings.Join(res.Items[0].Notes, " "), "treated as pre-existing") {
		t.Errorf("the result does not say the connector is treated as pre-existing: %+v", res.Items[0])
	}
	made, ok := byName(prod.sim.Dump(), c.Name)
	if !ok || made.Status != "RELEASED" {
		t.Fatalf("fixture: %q not in the target as RELEASED", c.Name)
	}
	rb, err := Rollback(t.Context(), prod.client(t), res.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	after, ok := byName(prod.sim.Dump(), c.Name)
	if !ok {
		t.Fatalf("rollback deleted %q, which the import did not provably create: %+v", c.Name, rb.Items)
	}
	if after.SourceConfigXml != tg.pre.SourceConfigXML || after.ApplicationXml != tg.pre.ApplicationXML || after.CorrelationConfigXml != tg.pre.CorrelationConfigXML {
		t.Errorf("rollback did not restore %q to its state before the import wrote to it", c.Name)
	}
}
