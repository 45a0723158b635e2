package repository

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

var _ export.Source = (*tenant.Client)(nil)

// Credentials of the test S3 server, which refuses any other access key id.
const (
	testKeyID  = "CONNVAULTTESTKEY"
	testSecret = "connvault-test-secret"
	testBucket = "backups"
)

// newS3 starts an S3-compatible server (gofakes3, in memory) over real HTTP
// on loopback with one bucket, sets the AWS environment for it, and returns
// the repository URL of prefix in that bucket. The server answers 403
// InvalidAccessKeyId, as S3 does, to a request signed with another key id.
func newS3(t *testing.T, prefix string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(backend)
	h := faker.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+testKeyID+"/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	setAWSEnv(t, testKeyID, testSecret)
	return s3URL(srv.URL, prefix)
}

// s3URL is the repository URL of prefix in the test bucket at endpoint.
func s3URL(endpoint, prefix string) string {
	return "s3://" + testBucket + "/" + prefix + "?endpoint=" + endpoint + "&use_path_style=true&region=us-east-1&disable_https=true"
}

// setAWSEnv points the AWS SDK at the given credentials and nothing else.
func setAWSEnv(t *testing.T, id, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
}

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
