package tenant

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestNewAPIError(t *testing.T) {
	noRedact := func(s string) string { return s }
	tests := []struct {
		name       string
		status     int
		body       string
		wantDetail string
		wantTrack  string
		wantMsgs   []string
		wantBody   string
		wantError  string
	}{
		{
			name:   "ErrorResponseDto",
			status: 404,
			body: `{"detailCode":"404 Not found","trackingId":"1234","messages":[{"locale":"en-US",` +
				`"localeOrigin":"DEFAULT","text":"connector \"abc\" not found"}]}`,
			wantDetail: "404 Not found", wantTrack: "1234", wantMsgs: []string{`connector "abc" not found`},
			wantError: `getConnector "abc": 404 Not found: connector "abc" not found (trackingId 1234)`,
		},
		{
			name:   "causes",
			status: 400,
			body: `{"detailCode":"400.1 Bad Request Content","trackingId":"t","messages":[{"text":"bad"}],` +
				`"causes":[{"text":"want xml"}]}`,
			wantDetail: "400.1 Bad Request Content", wantTrack: "t", wantMsgs: []string{"bad", "cause: want xml"},
			wantError: `getConnector "abc": 400.1 Bad Request Content: bad; cause: want xml (trackingId t)`,
		},
		{
			name: "401 error", status: 401, body: `{"error":"JWT validation failed: JWT is expired"}`,
			wantMsgs:  []string{"JWT validation failed: JWT is expired"},
			wantError: `getConnector "abc": 401 Unauthorized: JWT validation failed: JWT is expired`,
		},
		{
			name: "401 error not a string", status: 401, body: `{"error":{"code":7}}`,
			wantMsgs: []string{`{"code":7}`},
		},
		{
			name: "429 message", status: 429, body: `{"message":" Rate Limit Exceeded "}`,
			wantMsgs:  []string{"Rate Limit Exceeded"},
			wantError: `getConnector "abc": 429 Too Many Requests: Rate Limit Exceeded`,
		},
		{
			name: "html", status: 502, body: "<html>bad gateway</html>",
			wantBody:  "<html>bad gateway</html>",
			wantError: `getConnector "abc": 502 Bad Gateway: <html>bad gateway</html>`,
		},
		{
			name: "unknown json", status: 500, body: `{"weird":true}`,
			wantBody: `{"weird":true}`,
		},
		{
			name: "empty", status: 503, body: "",
			wantError: `getConnector "abc": 503 Service Unavailable`,
		},
		{
			name: "long body truncated", status: 500, body: strings.Repeat("x", 2000),
			wantBody: strings.Repeat("x", maxErrorBody) + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIError("getConnector", "GET", "/v2025/connectors/abc", "abc", tt.status, []byte(tt.body), noRedact)
			if e.Status != tt.status || e.DetailCode != tt.wantDetail || e.TrackingID != tt.wantTrack || e.Body != tt.wantBody {
				t.Errorf("got status %d detail %q tracking %q body %q", e.Status, e.DetailCode, e.TrackingID, e.Body)
			}
			if fmt.Sprint(e.Messages) != fmt.Sprint(tt.wantMsgs) {
				t.Errorf("messages = %q, want %q", e.Messages, tt.wantMsgs)
			}
			if tt.wantError != "" && e.Error() != tt.wantError {
				t.Errorf("Error() =\n  %s\nwant\n  %s", e.Error(), tt.wantError)
			}
		})
	}
}

func TestAPIErrorRedacts(t *testing.T) {
	redact := newSecrets("s3cr3t-value").redact
	e := newAPIError(opToken, "POST", "/oauth/token", "", 400, []byte(`you sent client_secret=s3cr3t-value`), redact)
	if strings.Contains(e.Error(), "s3cr3t") {
		t.Errorf("secret in error: %s", e)
	}
}

// A secret is redacted where it stands as a token — in a form, a header,
// JSON, a URL, at either end — but not inside an ordinary word.
func TestRedactWholeTokensOnly(t *testing.T) {
	redact := newSecrets("Test", "s3cr3t/value").redact
	for _, tc := range []struct{ in, want string }{
		{"client_secret=s3cr3t%2Fvalue&grant_type=x", "client_secret=[redacted]&grant_type=x"},
		{`{"secret":"s3cr3t/value"}`, `{"secret":"[redacted]"}`},
		{"Bearer s3cr3t/value", "Bearer [redacted]"},
		{"s3cr3t/value", "[redacted]"},
		{"Test: the latest Testing of Test.", "[redacted]: the latest Testing of [redacted]."},
		{"Attestation of a contested test", "Attestation of a contested test"},
		{"x-s3cr3t/valueX", "x-s3cr3t/valueX"},
	} {
		if got := redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsStatus(t *testing.T) {
	notFound := fmt.Errorf("export: %w", &APIError{Status: 404})
	forbidden := &APIError{Status: 403}
	tests := []struct {
		name                     string
		err                      error
		wantNotFound, wantForbid bool
	}{
		{"wrapped 404", notFound, true, false},
		{"403", forbidden, false, true},
		{"other", errors.New("x"), false, false},
		{"nil", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if IsNotFound(tt.err) != tt.wantNotFound || IsForbidden(tt.err) != tt.wantForbid {
				t.Errorf("IsNotFound = %v, IsForbidden = %v", IsNotFound(tt.err), IsForbidden(tt.err))
			}
		})
	}
	if !IsStatus(notFound, 404) || IsStatus(notFound, 500) {
		t.Error("IsStatus does not match the status")
	}
}
