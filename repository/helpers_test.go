package repository

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/repository/repotest"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

var _ export.Source = (*tenant.Client)(nil)

// Credentials of the test S3 server (repotest).
const (
	testSecret = repotest.Secret
	testBucket = repotest.Bucket
)

// newS3 starts an S3-compatible server and returns the repository URL of
// prefix in its bucket.
func newS3(t *testing.T, prefix string) string {
	t.Helper()
	return repotest.URL(repotest.NewS3(t), prefix)
}

func s3URL(endpoint, prefix string) string { return repotest.URL(endpoint, prefix) }

func setAWSEnv(t *testing.T, id, secret string) { repotest.SetAWSEnv(t, id, secret) }

// newSim starts a simulated tenant over real HTTP and returns it with a client.
func newSim(t *testing.T, connectors int, seed int64) (*tenantsim.Sim, *tenant.Client) {
	t.Helper()
	sim := tenantsim.New(tenantsim.Options{Connectors: connectors, Seed: seed, TenantName: fmt.Sprintf("t%d", seed)})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := tenant.New(tenant.Options{
		BaseURL: srv.URL, ClientID: "sim-client", ClientSecret: "sim-secret",
		Rate: tenant.Unlimited(), MaxAttempts: 20, BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// backupOpts are the options of a test backup of tenant name from c.
func backupOpts(c *tenant.Client, name string, at time.Time, rs ...age.Recipient) BackupOptions {
	return BackupOptions{
		Tenant:     name,
		Export:     export.Options{Locales: []string{"detail"}},
		Writer:     bundle.WriterOptions{CreatedAt: at, ToolVersion: "test", Source: bundle.Source{URL: c.BaseURL(), API: c.API()}},
		Recipients: rs,
	}
}

// mustOpen opens the repository at loc, creating it with create.
func mustOpen(t *testing.T, loc string, create bool) *Repo {
	t.Helper()
	r, err := Open(t.Context(), loc, create)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// objects lists every object key of the repository with its size.
func objects(t *testing.T, r *Repo) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	it := r.bucket.List(nil)
	for {
		o, err := it.Next(t.Context())
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[o.Key] = o.Size
	}
}

// newKey returns a fresh age identity.
func newKey(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// putSnapshot stores a small snapshot of tenant name at time at with the
// given completeness and tags, without a tenant: for policy and prune tests.
func putSnapshot(t *testing.T, r *Repo, name string, at time.Time, complete bool, tags ...string) Snapshot {
	t.Helper()
	s := Snapshot{Tenant: name, Time: at.UTC().Truncate(time.Second), Tags: tags}
	err := r.put(t.Context(), &s, nil, func(out io.Writer) error {
		w, err := bundle.CreateStream(out, t.TempDir(), bundle.WriterOptions{CreatedAt: at, ToolVersion: "test"})
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"name": "c " + at.String(), "scriptName": "c"})
		if _, err := w.Add(bundle.Connector{ScriptName: "c", Name: "c " + at.String(), Detail: detail}); err != nil {
			return err
		}
		if !complete {
			w.Fail(bundle.ItemError{ScriptName: "d", Error: "boom"})
		}
		m, err := w.Commit(t.Context())
		s.Connectors, s.ContentDigest, s.Complete = len(m.Connectors), m.ContentDigest, m.Complete
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ids returns the ids of snaps.
func ids(snaps []Snapshot) []string {
	out := make([]string, len(snaps))
	for i, s := range snaps {
		out[i] = s.ID
	}
	return out
}

// containsBytes reports whether any stored object contains b.
func containsBytes(t *testing.T, r *Repo, b []byte) bool {
	t.Helper()
	for k := range objects(t, r) {
		data, err := r.bucket.ReadAll(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}
