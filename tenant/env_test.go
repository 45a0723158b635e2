package tenant

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOptionsFromEnv(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("file-secret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const base = "https://acme.api.identitynow.com"
	tests := []struct {
		name    string
		env     map[string]string
		want    Options
		wantErr string
	}{
		{
			name: "client credentials",
			env:  map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET": "sec", "SAIL_TOKEN_URL": base + "/oauth/token"},
			want: Options{BaseURL: base, ClientID: "id", ClientSecret: "sec", TokenURL: base + "/oauth/token"},
		},
		{
			name: "secret from file",
			env:  map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET_FILE": secretFile},
			want: Options{BaseURL: base, ClientID: "id", ClientSecret: "file-secret"},
		},
		{
			name: "access token",
			env:  map[string]string{"SAIL_BASE_URL": base, "SAIL_ACCESS_TOKEN": "tok"},
			want: Options{BaseURL: base, AccessToken: "tok"},
		},
		{
			name: "access token from file",
			env:  map[string]string{"SAIL_BASE_URL": base, "SAIL_ACCESS_TOKEN_FILE": secretFile},
			want: Options{BaseURL: base, AccessToken: "file-secret"},
		},
		{name: "no base url", env: map[string]string{"SAIL_ACCESS_TOKEN": "tok"}, wantErr: "SAIL_BASE_URL is not set"},
		{name: "no credentials", env: map[string]string{"SAIL_BASE_URL": base}, wantErr: "SAIL_CLIENT_ID and SAIL_CLIENT_SECRET are not set"},
		{name: "id without secret", env: map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "id"}, wantErr: "SAIL_CLIENT_SECRET (or SAIL_CLIENT_SECRET_FILE) is not set"},
		{name: "secret without id", env: map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_SECRET": "sec"}, wantErr: "SAIL_CLIENT_ID is not set"},
		{name: "both secret forms", env: map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET": "sec", "SAIL_CLIENT_SECRET_FILE": secretFile}, wantErr: "both SAIL_CLIENT_SECRET and SAIL_CLIENT_SECRET_FILE"},
		{name: "missing file", env: map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET_FILE": filepath.Join(dir, "nope")}, wantErr: "read SAIL_CLIENT_SECRET_FILE"},
		{name: "empty file", env: map[string]string{"SAIL_BASE_URL": base, "SAIL_ACCESS_TOKEN_FILE": emptyFile}, wantErr: "SAIL_ACCESS_TOKEN_FILE " + emptyFile + " is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OptionsFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "file-secret") {
					t.Fatalf("secret in error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
