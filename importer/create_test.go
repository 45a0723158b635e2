package importer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// ambiguousTarget makes the first create of every name ambiguous: with
// applied, the tenant creates the connector and the answer is lost; without,
// the request never reached the tenant. Later creates go through.
type ambiguousTarget struct {
	*tenant.Client
	applied bool

	mu    sync.Mutex
	posts map[string]int
}

func (a *ambiguousTarget) CreateConnector(ctx context.Context, n tenant.NewConnector) (tenant.Connector, error) {
	a.mu.Lock()
	a.posts[n.Name]++
	first := a.posts[n.Name] == 1
	a.mu.Unlock()
	if !first {
		return a.Client.CreateConnector(ctx, n)
	}
	if a.applied {
		if _, err := a.Client.CreateConnector(ctx, n); err != nil {
			return tenant.Connector{}, err
		}
	}
	return tenant.Connector{}, fmt.Errorf("createCustomConnector: connection reset by peer: %w", tenant.ErrAmbiguous)
}

// A create whose outcome is unknown looks the name up before sending again,
// and never creates a duplicate.
func TestSafeCreate(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	var one bundle.Connector
	for _, c := range bundleFromDump(t, sandbox.sim.Dump()) {
		if c.Name == "Bogotá Nómina" {
			one = c
		}
	}
	tests := []struct {
		name      string
		status    string
		applied   bool
		wantPosts int
		wantErr   string // "" → created exactly once
	}{
		{"released, created, answer lost: found in the list", "RELEASED", true, 1, ""},
		{"released, never reached the tenant: sent again", "RELEASED", false, 2, ""},
		{"development, never reached the tenant: sent again", "DEVELOPMENT", false, 2, ""},
		{"development, created, answer lost: refused again, user asked for a mapping entry", "DEVELOPMENT", true, 2,
			`add "` + one.ScriptName + `": "<its scriptName>" to the mapping file (--map) and rerun`},
	}
	// The status of a taken name is undocumented: 400 or 409 (tenantsim
	// variant duplicate-name); both must read as "name taken".
	for _, dup := range []int{400, 409} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s (duplicate name %d)", tt.name, dup), func(t *testing.T) {
				prod := newTenant(t, tenantsim.Options{TenantName: "p", Variants: tenantsim.Variants{DuplicateName: dup}})
				c := withStatus(t, one, tt.status)
				src := writeSource(t, sandbox.url, []bundle.Connector{c}, nil)
				at := &ambiguousTarget{Client: prod.client(t), applied: tt.applied, posts: map[string]int{}}
				res, err := importOnce(t.Context(), t, at, src, testOptions(t))
				if err != nil {
					t.Fatal(err)
				}
				if got := at.posts[c.Name]; got != tt.wantPosts {
					t.Errorf("%d creates sent, want %d", got, tt.wantPosts)
				}
				n := 0
				for _, dc := range prod.sim.Dump().Connectors {
					if dc.Name == c.Name {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%d connectors named %q, want exactly 1", n, c.Name)
				}
				if tt.wantErr == "" {
					if res.Failed() != 0 {
						t.Fatalf("failed: %+v", failures(res))
					}
					checkMigrated(t, src, prod.sim.Dump(), res.MappingPath)
					return
				}
				if res.Failed() != 1 || !strings.Contains(res.Items[0].Error, tt.wantErr) ||
					!strings.Contains(res.Items[0].Error, ErrUnresolvedCreate.Error()) {
					t.Fatalf("result %+v; want a failure saying %q", res.Items, tt.wantErr)
				}
			})
		}
	}
}
