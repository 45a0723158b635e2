package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// seqs sets how many random sequences TestSequences runs; 0 runs the fixed
// seeds CI runs. A longer run: go test ./importer -run TestSequences -seqs 5000
var seqs = flag.Int("seqs", 0, "random sequences for TestSequences (0: the fixed CI seeds)")

// ciSeeds are the sequences CI runs.
var ciSeeds = []uint64{1, 2, 3, 4, 5, 6}

// seqSecret is the client secret of the simulated tenants: it must appear
// in no tenant content, bundle, log or error.
const seqSecret = "sim-secret"

// TestSequences is a stateful randomized test in the manner of model-based
// (Jepsen-style) checks. Each sequence is made of steps drawn at random —
// export and import (random include, rules narrowing, mapping, allow-delete,
// faults: 500s, lost write answers, resets; kills), edits an administrator
// makes through the API, and rollbacks — against simulated tenants, and
// after each step it checks the invariants an administrator relies on:
//
//   - nothing is deleted outside the bundle's scope, or without allow-delete;
//   - rollback touches only what the import wrote and has not changed since,
//     and deletes only connectors the import provably created;
//   - no connector name is duplicated;
//   - a finished import leaves every bundle connector equal to the
//     transformed bundle;
//   - no secret appears in the tenant, a bundle, a log or an error.
func TestSequences(t *testing.T) {
	t.Parallel()
	seeds := ciSeeds
	if *seqs > 0 {
		seeds = nil
		for i := range *seqs {
			seeds = append(seeds, 1000+uint64(i))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			runSequence(t, seed)
		})
	}
}

// seqModel is what the checker knows about the target between steps.
type seqModel struct {
	t        *testing.T
	rng      *rand.Rand
	sandbox  tenantFixture
	target   tenantFixture
	opts     Options
	log      bytes.Buffer
	bundles  []string
	undo     string              // the last import's undo bundle, not yet rolled back
	before   tenantsim.Dump      // the target before that import
	edited   map[string][]string // since that import: scriptName → parts an administrator wrote
	added    int                 // connectors the administrator created
	writeErr []string            // errors seen, checked for secrets
}

func runSequence(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	m := &seqModel{t: t, rng: rng,
		sandbox: newTenant(t, tenantsim.Options{Seed: int64(seed), Connectors: 6, MaxLocales: 1, TenantName: "sandbox"}),
		target:  newTenant(t, tenantsim.Options{Seed: int64(seed) + 100, Connectors: 6, MaxLocales: 1, TenantName: "target"}),
		edited:  map[string][]string{},
	}
	m.opts = testOptions(t)
	m.opts.Logger = slog.New(slog.NewTextHandler(&m.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var steps []string
	for range 8 {
		var step string
		switch n := rng.IntN(10); {
		case n < 5:
			step = m.importStep()
		case n < 8:
			step = m.editStep()
		default:
			step = m.rollbackStep()
		}
		steps = append(steps, step)
		checkNoDuplicates(t, m.target.sim.Dump())
		m.checkNoSecret()
		if t.Failed() {
			t.Fatalf("seed %d, after steps:\n  %s", seed, strings.Join(steps, "\n  "))
		}
	}
	t.Logf("seed %d:\n  %s", seed, strings.Join(steps, "\n  "))
}

// importStep exports the sandbox or the target itself (a restore) with a
// random include, and imports it with random options, faults and a kill.
func (m *seqModel) importStep() string {
	t, rng := m.t, m.rng
	from, fromName := m.sandbox, "the sandbox"
	if rng.IntN(3) == 0 {
		from, fromName = m.target, "the target itself"
	}
	all := bundleFromDump(t, from.sim.Dump())
	glob := "*"
	if rng.IntN(2) == 0 && len(all) > 0 {
		glob = string([]rune(all[rng.IntN(len(all))].Name)[:1]) + "*"
	}
	cs := keepNamed(t, all, glob)
	src := writeScoped(t, from.url, &bundle.Scope{Include: []string{glob}}, cs, nil)
	m.bundles = append(m.bundles, src.Path)
	opts := m.opts
	opts.AllowDelete = rng.IntN(2) == 0
	opts.MaxDeletes = 100
	opts.Mapping = unlistedSameName(src, m.target.sim.Dump())
	faults := []tenantsim.Faults{{}, {LoseWrite: 0.2}, {Error500: 0.1}, {Reset: 0.1}}[rng.IntN(4)]
	faults.Seed = int64(rng.Uint64() >> 1)
	kill := 0
	if rng.IntN(4) == 0 {
		kill = 1 + rng.IntN(8)
	}
	desc := fmt.Sprintf("import %d connectors from %s (include %q, allow-delete %t, faults %q, kill at write %d)",
		len(cs), fromName, glob, opts.AllowDelete, faults.String(), kill)

	before := m.target.sim.Dump()
	m.target.sim.SetFaults(faults)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var tg Target = m.target.client(t)
	if kill > 0 {
		tg = &crashTarget{Client: m.target.client(t), cancel: cancel, at: kill, after: rng.IntN(2) == 0}
	}
	res, err := importOnce(ctx, t, tg, src, opts)
	m.target.sim.SetFaults(tenantsim.Faults{})
	after := m.target.sim.Dump()
	if err != nil {
		m.writeErr = append(m.writeErr, err.Error())
	}
	for _, it := range res.Items {
		m.writeErr = append(m.writeErr, it.Error)
	}

	// Nothing deleted outside the scope, nor without allow-delete.
	inBundle := map[string]bool{}
	for _, c := range cs {
		inBundle[strings.ToLower(c.Name)] = true
	}
	for _, c := range before.Connectors {
		if _, ok := byScriptName(after, c.ScriptName); ok {
			continue
		}
		switch {
		case !opts.AllowDelete:
			t.Errorf("%s: %q deleted without allow-delete", desc, c.Name)
		case c.BuiltIn:
			t.Errorf("%s: built-in %q deleted", desc, c.Name)
		case inBundle[strings.ToLower(c.Name)]:
			t.Errorf("%s: %q deleted though the bundle holds it", desc, c.Name)
		case !globMatch(glob, c.Name):
			t.Errorf("%s: %q deleted outside the scope %q", desc, c.Name, glob)
		}
	}
	// A finished import leaves every bundle connector as the bundle says.
	if err == nil && res.Failed() == 0 && kill == 0 {
		checkMigrated(t, src, after, res.MappingPath)
	}
	if res.UndoPath != "" {
		if res.UndoPath != m.undo {
			m.before, m.edited = before, map[string][]string{}
		}
		m.undo = res.UndoPath
		m.bundles = append(m.bundles, res.UndoPath)
	}
	return desc
}

// editStep makes an administrator's change through the API: a part of a
// connector, a new locale, a new connector, or a deletion.
func (m *seqModel) editStep() string {
	t, rng := m.t, m.rng
	cl := m.target.client(t)
	var custom []tenantsim.DumpConnector
	for _, c := range m.target.sim.Dump().Connectors {
		if !c.BuiltIn {
			custom = append(custom, c)
		}
	}
	if len(custom) == 0 || rng.IntN(4) == 0 {
		m.added++
		name := fmt.Sprintf("Admin Added %d", m.added)
		c, err := cl.CreateConnector(t.Context(), tenant.NewConnector{Name: name, ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: tenant.StatusReleased})
		if err != nil {
			t.Fatalf("edit: create %q: %v", name, err)
		}
		m.edited[c.ScriptName] = append(m.edited[c.ScriptName], "created")
		return "administrator creates " + name
	}
	c := custom[rng.IntN(len(custom))]
	switch rng.IntN(3) {
	case 0:
		if err := cl.DeleteConnector(t.Context(), c.ScriptName); err != nil {
			t.Fatalf("edit: delete %q: %v", c.Name, err)
		}
		delete(m.edited, c.ScriptName)
		return "administrator deletes " + c.Name
	case 1:
		text := strings.Replace(c.SourceConfigXml, "<BaseConfig>", fmt.Sprintf("<BaseConfig><!-- admin %d -->", rng.IntN(1000)), 1)
		if text == c.SourceConfigXml {
			text += fmt.Sprintf("<!-- admin %d -->", rng.IntN(1000))
		}
		if _, err := cl.PutPart(t.Context(), c.ScriptName, tenant.Part{Kind: tenant.SourceConfig}, []byte(text)); err != nil {
			t.Fatalf("edit: source-config of %q: %v", c.Name, err)
		}
		m.edited[c.ScriptName] = append(m.edited[c.ScriptName], "source-config")
		return "administrator edits the source-config of " + c.Name
	default:
		loc := []string{"fr", "nl", "fi"}[rng.IntN(3)]
		if _, err := cl.PutPart(t.Context(), c.ScriptName, tenant.Part{Kind: tenant.Translations, Locale: loc}, []byte(fmt.Sprintf("k=admin %d\n", rng.IntN(1000)))); err != nil {
			t.Fatalf("edit: translations/%s of %q: %v", loc, c.Name, err)
		}
		m.edited[c.ScriptName] = append(m.edited[c.ScriptName], "translations/"+loc)
		return "administrator writes translations/" + loc + " of " + c.Name
	}
}

// rollbackStep rolls the last import back and checks that it touched only
// what the import wrote and nobody changed since.
func (m *seqModel) rollbackStep() string {
	t := m.t
	if m.undo == "" {
		return "rollback: nothing to roll back"
	}
	before := m.target.sim.Dump()
	res, err := Rollback(t.Context(), m.target.client(t), m.undo, m.opts)
	if err != nil {
		m.writeErr = append(m.writeErr, err.Error())
		t.Errorf("rollback: %v", err)
	}
	for _, it := range res.Items {
		m.writeErr = append(m.writeErr, it.Error)
	}
	after := m.target.sim.Dump()
	for _, c := range before.Connectors {
		now, ok := byScriptName(after, c.ScriptName)
		if !ok {
			if _, existed := byScriptName(m.before, c.ScriptName); existed {
				t.Errorf("rollback deleted %q, which existed before the import", c.Name)
			}
			if len(m.edited[c.ScriptName]) > 0 {
				t.Errorf("rollback deleted %q, changed since the import (%v)", c.Name, m.edited[c.ScriptName])
			}
			continue
		}
		for _, p := range m.edited[c.ScriptName] {
			switch {
			case p == "source-config" && now.SourceConfigXml != c.SourceConfigXml:
				t.Errorf("rollback overwrote the source-config of %q, edited since the import", c.Name)
			case strings.HasPrefix(p, "translations/") && now.Translations[strings.TrimPrefix(p, "translations/")] != c.Translations[strings.TrimPrefix(p, "translations/")]:
				t.Errorf("rollback overwrote %s of %q, edited since the import", p, c.Name)
			}
		}
	}
	m.undo = ""
	return fmt.Sprintf("rollback (%d items, %d failed or partial)", len(res.Items), res.Failed())
}

// checkNoSecret checks the tenant, every bundle written, the log and every
// error for the client secret.
func (m *seqModel) checkNoSecret() {
	t := m.t
	raw, err := json.Marshal(m.target.sim.Dump())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(seqSecret)) {
		t.Error("the client secret is in the tenant")
	}
	for _, p := range m.bundles {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(seqSecret)) {
			t.Errorf("the client secret is in %s", filepath.Base(p))
		}
	}
	journals, _ := filepath.Glob(filepath.Join(m.opts.StateDir, "*"))
	for _, p := range journals {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(seqSecret)) {
			t.Errorf("the client secret is in %s", filepath.Base(p))
		}
	}
	if strings.Contains(m.log.String(), seqSecret) || strings.Contains(m.log.String(), "Bearer ") {
		t.Error("a secret or token is in the log")
	}
	if slices.ContainsFunc(m.writeErr, func(s string) bool { return strings.Contains(s, seqSecret) || strings.Contains(s, "Bearer ") }) {
		t.Error("a secret or token is in an error")
	}
}

func byScriptName(d tenantsim.Dump, s string) (tenantsim.DumpConnector, bool) {
	for _, c := range d.Connectors {
		if c.ScriptName == s {
			return c, true
		}
	}
	return tenantsim.DumpConnector{}, false
}

// globMatch is the model's own reading of the one-letter globs the
// sequences use ("*" or "X*"), whole name, ignoring case as export does.
func globMatch(glob, name string) bool {
	if glob == "*" {
		return true
	}
	prefix := strings.TrimSuffix(glob, "*")
	return len([]rune(name)) > 0 && strings.EqualFold(string([]rune(name)[:len([]rune(prefix))]), prefix)
}
