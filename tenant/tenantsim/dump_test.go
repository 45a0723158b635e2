package tenantsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestDumpRestoreRoundTrip(t *testing.T) {
	s := New(Options{Seed: 8, Connectors: 30})
	h := newHarness(t, Options{Seed: 8, Connectors: 30})
	// Change a few connectors so the dump mixes generated and stored content.
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	h.putFile("/"+sn+"/translations/ja", "キー=値").mustOK(t)
	h.patch("/"+sn, map[string]any{"op": "add", "path": "/connectorMetadata/n", "value": 7}).mustOK(t)
	h.create(map[string]any{"name": "Brand New", "className": "x.Y"}).mustOK(t)
	want := h.sim.Dump()

	if err := s.Restore(want); err != nil {
		t.Fatal(err)
	}
	if got := s.Dump(); !reflect.DeepEqual(got, want) {
		t.Fatal("Dump after Restore differs")
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded := New(Options{Seed: 99})
	if err := loaded.Load(&buf); err != nil {
		t.Fatal(err)
	}
	if got := loaded.Dump(); !reflect.DeepEqual(got, want) {
		t.Fatal("Dump after Save and Load differs")
	}
	// The restored tenant serves what it was given.
	lh := harnessFor(t, loaded)
	if got := string(lh.get("/" + sn + "/translations/ja").mustOK(t).body); got != "キー=値" {
		t.Errorf("restored translation %q", got)
	}
	// The HTTP dump is the same data.
	var viaHTTP Dump
	res := lh.send(mustRequest(t, http.MethodGet, lh.srv.URL+"/_sim/tenant", nil, ""))
	res.decode(t, &viaHTTP)
	if !reflect.DeepEqual(viaHTTP, want) {
		t.Error("GET /_sim/tenant differs from Dump")
	}
}

// TestRollbackRestoresDump mimics an import and its undo through the API:
// afterwards the dump is DeepEqual to the one before.
func TestRollbackRestoresDump(t *testing.T) {
	h := newHarness(t, Options{Seed: 12, Connectors: 20})
	before := h.sim.Dump()
	c := firstWithStatus(t, h.sim, "RELEASED")
	sn := "/" + c.ScriptName

	h.putFile(sn+"/source-config", "<Form type=\"SourceConfig\"/>").mustOK(t)
	h.putFile(sn+"/translations/en", "x=y").mustOK(t)
	h.patch(sn, map[string]any{"op": "replace", "path": "/connectorMetadata", "value": map[string]any{"new": true}}).mustOK(t)
	var created connectorDto
	h.create(map[string]any{"name": "Imported Thing", "className": "x.Y", "status": "RELEASED"}).mustOK(t).decode(t, &created)
	if reflect.DeepEqual(h.sim.Dump(), before) {
		t.Fatal("the import changed nothing")
	}

	h.putFile(sn+"/source-config", c.SourceConfigXml).mustOK(t)
	h.putFile(sn+"/translations/en", c.Translations["en"]).mustOK(t)
	h.patch(sn, map[string]any{"op": "replace", "path": "/connectorMetadata", "value": c.ConnectorMetadata}).mustOK(t)
	h.api(http.MethodDelete, "/"+created.ScriptName, nil, "").mustOK(t)
	if after := h.sim.Dump(); !reflect.DeepEqual(after, before) {
		t.Error("after undo the dump differs from before")
	}
}

func TestRestoreRefusesInconsistentDumps(t *testing.T) {
	good := DumpConnector{ScriptName: "a-1", Name: "A", Status: "RELEASED"}
	with := func(f func(*DumpConnector)) DumpConnector { c := good; f(&c); return c }
	tests := []struct {
		name string
		cs   []DumpConnector
		want string
	}{
		{"empty scriptName", []DumpConnector{with(func(c *DumpConnector) { c.ScriptName = "" })}, "scriptName is empty"},
		{"slash in scriptName", []DumpConnector{with(func(c *DumpConnector) { c.ScriptName = "a/b" })}, "URL path segment"},
		{"duplicate scriptName", []DumpConnector{good, with(func(c *DumpConnector) { c.Name = "B" })}, "used twice"},
		{"built-in scriptName", []DumpConnector{with(func(c *DumpConnector) { c.ScriptName = "workday" })}, "built-in"},
		{"duplicate name", []DumpConnector{good, with(func(c *DumpConnector) { c.ScriptName = "b"; c.Name = "a" })}, `name "a" is used twice`},
		{"empty name", []DumpConnector{with(func(c *DumpConnector) { c.Name = " " })}, "name is empty"},
		{"bad status", []DumpConnector{with(func(c *DumpConnector) { c.Status = "LIVE" })}, `status "LIVE"`},
		{"bad locale", []DumpConnector{with(func(c *DumpConnector) { c.Translations = map[string]string{"en-US": ""} })}, `locale "en-US"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Seed: 1, Connectors: 3})
			before := s.Dump()
			err := s.Restore(Dump{Connectors: tt.cs})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Restore: %v, want an error with %q", err, tt.want)
			}
			if !reflect.DeepEqual(s.Dump(), before) {
				t.Error("a refused Restore changed the tenant")
			}
		})
	}
}

func TestRestoreNormalizes(t *testing.T) {
	s := New(Options{})
	in := DumpConnector{ScriptName: "x", Name: "X", Status: "DEMO", Features: []string{},
		ConnectorMetadata: map[string]any{"n": 3, "l": []string{"a"}}, Translations: map[string]string{}}
	if err := s.Restore(Dump{Connectors: []DumpConnector{in}}); err != nil {
		t.Fatal(err)
	}
	got, _ := dumped(t, s, "x")
	want := DumpConnector{ScriptName: "x", Name: "X", Status: "DEMO", ConnectorMetadata: map[string]any{"n": float64(3), "l": []any{"a"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v,\nwant %#v", got, want)
	}
	b, _ := json.Marshal(s.Dump())
	var back Dump
	_ = json.Unmarshal(b, &back)
	if !reflect.DeepEqual(back, s.Dump()) {
		t.Error("Dump does not survive a JSON round trip")
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	err := New(Options{}).Load(strings.NewReader(`{"connectors":[],"extra":1}`))
	if err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("Load: %v", err)
	}
}
