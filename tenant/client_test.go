package tenant

import (
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	creds := func(o Options) Options { o.ClientID, o.ClientSecret = "id", "secret"; return o }
	tests := []struct {
		name     string
		opts     Options
		wantErr  string
		wantBase string
		wantAPI  string
	}{
		{"https", creds(Options{BaseURL: "https://acme.api.identitynow.com/"}), "", "https://acme.api.identitynow.com", "v2025"},
		{"http loopback v4", creds(Options{BaseURL: "http://127.0.0.1:8080"}), "", "http://127.0.0.1:8080", "v2025"},
		{"http loopback 127/8", creds(Options{BaseURL: "http://127.3.2.1"}), "", "http://127.3.2.1", "v2025"},
		{"http loopback v6", creds(Options{BaseURL: "http://[::1]:9"}), "", "http://[::1]:9", "v2025"},
		{"http localhost", creds(Options{BaseURL: "http://localhost:9", API: "v1"}), "", "http://localhost:9", "v1"},
		{"http remote", creds(Options{BaseURL: "http://acme.api.identitynow.com"}), "not loopback", "", ""},
		{"http private address", creds(Options{BaseURL: "http://10.0.0.1"}), "not loopback", "", ""},
		{"http localhost lookalike", creds(Options{BaseURL: "http://localhost.evil.example"}), "not loopback", "", ""},
		{"token URL over http", creds(Options{BaseURL: "https://a.example", TokenURL: "http://a.example/oauth/token"}), "token URL", "", ""},
		{"relative", creds(Options{BaseURL: "acme.api.identitynow.com"}), "not absolute", "", ""},
		{"empty", creds(Options{}), "base URL is empty", "", ""},
		{"ftp", creds(Options{BaseURL: "ftp://a.example"}), "not https", "", ""},
		{"user info", creds(Options{BaseURL: "https://u:p@a.example"}), "must not contain credentials", "", ""},
		{"unknown API", creds(Options{BaseURL: "https://a.example", API: "v3"}), "unknown API surface", "", ""},
		{"no credentials", Options{BaseURL: "https://a.example"}, "no credentials", "", ""},
		{"id only", Options{BaseURL: "https://a.example", ClientID: "id"}, "without a client secret", "", ""},
		{"secret only", Options{BaseURL: "https://a.example", ClientSecret: "s"}, "without a client id", "", ""},
		{"access token", Options{BaseURL: "https://a.example", AccessToken: "tok"}, "", "https://a.example", "v2025"},
		{"bad rate", creds(Options{BaseURL: "https://a.example", Rate: Rate{Requests: 5}}), "period must be positive", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tt.wantBase || c.API() != tt.wantAPI {
				t.Fatalf("BaseURL, API = %q, %q; want %q, %q", c.BaseURL(), c.API(), tt.wantBase, tt.wantAPI)
			}
		})
	}
}

func TestNewGovernorChoice(t *testing.T) {
	shared := NewGovernor(Rate{Requests: 5, Per: time.Second})
	tests := []struct {
		name string
		opts Options
		want Rate
	}{
		{"default", Options{}, DefaultRate()},
		{"rate", Options{Rate: Rate{Requests: 1000, Per: time.Second}}, Rate{Requests: 1000, Per: time.Second}},
		{"unlimited", Options{Rate: Unlimited()}, Unlimited()},
		{"shared governor wins", Options{Rate: DefaultRate(), Governor: shared}, shared.Rate()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.BaseURL, tt.opts.AccessToken = "https://a.example", "tok"
			c, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Governor().Rate(); got != tt.want {
				t.Fatalf("rate %v, want %v", got, tt.want)
			}
			if tt.opts.Governor != nil && c.Governor() != tt.opts.Governor {
				t.Fatal("the shared governor is not used")
			}
		})
	}
}
