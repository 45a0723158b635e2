package tenantsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// Benchmarks of the simulator itself, so client benchmarks know its share:
//
//	go test -run '^$' -bench . -benchmem ./tenant/tenantsim/

func BenchmarkNew10000(b *testing.B) {
	for b.Loop() {
		New(Options{Seed: 1, Connectors: 10000})
	}
}

func BenchmarkGetConnectorDetail(b *testing.B) {
	s := New(Options{Seed: 1, Connectors: 10000})
	var names []string
	for _, e := range s.store.sorted {
		names = append(names, e.c.ScriptName)
	}
	srv := newServer(b, s)
	tok := benchToken(b, srv.URL)
	i := 0
	for b.Loop() {
		benchGet(b, srv.URL+"/v2025/connectors/"+names[i%len(names)], tok)
		i++
	}
}

func BenchmarkListPage(b *testing.B) {
	s := New(Options{Seed: 1, Connectors: 10000})
	srv := newServer(b, s)
	tok := benchToken(b, srv.URL)
	i := 0
	for b.Loop() {
		benchGet(b, srv.URL+"/v2025/connectors?count=true&offset="+strconv.Itoa(i%40*250), tok)
		i++
	}
}

func benchToken(b *testing.B, base string) string {
	b.Helper()
	resp, err := http.Post(base+"/oauth/token?grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret", "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		b.Fatal(err)
	}
	return tr.AccessToken
}

func benchGet(b *testing.B, u, tok string) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}
