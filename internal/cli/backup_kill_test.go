package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/repository"
	"github.com/connvault/connvault/repository/repotest"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestBackupKilledAtRandomMoments SIGKILLs `connvault backup` child
// processes at random moments, into a directory and into an S3-compatible
// server, encrypted or not: afterwards `snapshots` works and lists only
// snapshots that open and verify, and a killed run's tenant has none.
func TestBackupKilledAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	_, vars := startSim(t, tenantsim.Options{Seed: 51, Connectors: 60, MaxLocales: 3, Latency: time.Millisecond})
	keyFile, recipient := ageKey(t)
	for _, tt := range []struct {
		name      string
		s3        bool
		encrypted bool
	}{{"dir", false, false}, {"s3 encrypted", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			childEnv := append(os.Environ(), "CONNVAULT_TEST_BE_MAIN=1")
			if tt.s3 {
				repo = repotest.URL(repotest.NewS3(t), "k")
				childEnv = append(childEnv, repotest.AWSEnv(repotest.KeyID, repotest.Secret)...)
			}
			for k, v := range vars {
				childEnv = append(childEnv, k+"="+v)
			}
			backup := func(name string) *exec.Cmd {
				args := []string{"backup", "--repo", repo, "--tenant", name, "--rate", "0", "--concurrency", "4"}
				if tt.encrypted {
					args = append(args, "--recipient", recipient)
				}
				cmd := exec.Command(os.Args[0], args...)
				cmd.Env = childEnv
				return cmd
			}
			start := time.Now()
			if out, err := backup("whole").CombinedOutput(); err != nil {
				t.Fatalf("an uninterrupted backup: %v\n%s", err, out)
			}
			full := time.Since(start)
			rng := rand.New(rand.NewPCG(51, uint64(len(tt.name))))
			for i := range 6 {
				name := fmt.Sprintf("killed%d", i)
				cmd := backup(name)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(rng.Int64N(int64(full))))
				_ = cmd.Process.Kill()
				_ = cmd.Wait() // killed, or ended before the kill: a listed snapshot must open either way
			}
			r := runCLI(t, nil, "snapshots", "--repo", repo, "--json")
			var rows []snapshotRow
			if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &rows) != nil {
				t.Fatalf("snapshots after the kills: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			rp, err := repository.Open(t.Context(), repo, false)
			if err != nil {
				t.Fatal(err)
			}
			defer rp.Close()
			ids, err := repository.Identities(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, row := range rows {
				seen[row.Tenant] = true
				s, err := rp.Resolve(t.Context(), row.ID, row.Tenant)
				if err != nil {
					t.Fatal(err)
				}
				b, err := rp.Open(t.Context(), s, ids, bundle.ReadOptions{})
				if err != nil {
					t.Fatalf("snapshot %s of %s (a killed run) is listed but does not open: %v", row.ID, row.Tenant, err)
				}
				_ = b.Close()
			}
			if !seen["whole"] {
				t.Fatal("the uninterrupted backup is not listed")
			}
			t.Logf("a whole backup took %s; %d of 6 killed runs had finished their snapshot", full.Round(time.Millisecond), len(seen)-1)
		})
	}
}
