// Package repotest starts what repository tests need: an S3-compatible
// server (github.com/johannesboyne/gofakes3, in memory) over real HTTP on
// loopback, with the AWS environment pointing at it. Only tests import it.
package repotest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credentials of the test server, which refuses any other access key id.
const (
	KeyID  = "CONNVAULTTESTKEY"
	Secret = "connvault-test-secret"
	Bucket = "backups"
)

// NewS3 starts the server with one bucket, Bucket, sets the AWS environment
// for it (t.Setenv: not for parallel tests), and returns its endpoint URL.
// The server answers 403 InvalidAccessKeyId, as S3 does, to a request signed
// with another access key id.
func NewS3(t testing.TB) string {
	t.Helper()
	return NewS3Intercepted(t, nil)
}

// NewS3Intercepted is NewS3 with every authorised request passed to
// intercept (when not nil) along with the server's handler, next: intercept
// serves the request, through next or not, and may alter what the client
// sees (a lost answer, a cancellation at a given moment).
func NewS3Intercepted(t testing.TB, intercept func(w http.ResponseWriter, r *http.Request, next http.Handler)) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+KeyID+"/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
			return
		}
		if intercept != nil {
			intercept(w, r, h)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	SetAWSEnv(t, KeyID, Secret)
	return srv.URL
}

// URL is the repository location of prefix in Bucket at endpoint.
func URL(endpoint, prefix string) string {
	return "s3://" + Bucket + "/" + prefix + "?endpoint=" + endpoint + "&use_path_style=true&region=us-east-1&disable_https=true"
}

// AWSEnv are the variables SetAWSEnv sets, for a child process.
func AWSEnv(id, secret string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=2",
	}
}

// SetAWSEnv points the AWS SDK at the given credentials and nothing else.
func SetAWSEnv(t testing.TB, id, secret string) {
	for _, kv := range AWSEnv(id, secret) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
