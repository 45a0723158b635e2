package repository

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/repository/repotest"
)

// TestInterruptedBackup cancels backups at random moments, into a directory
// in clear, and into S3, encrypted: every snapshot listed afterwards opens
// and verifies, and a backup that did not finish lists none.
func TestInterruptedBackup(t *testing.T) {
	for _, s3 := range []bool{false, true} {
		for _, encrypted := range []bool{s3} { // a directory in clear, S3 encrypted
			name := map[bool]string{false: "dir", true: "s3"}[s3] + map[bool]string{false: "", true: " encrypted"}[encrypted]
			t.Run(name, func(t *testing.T) {
				loc := t.TempDir()
				if s3 {
					loc = newS3(t, "k")
				}
				key := newKey(t)
				var rs []age.Recipient
				if encrypted {
					rs = []age.Recipient{key.Recipient()}
				}
				_, c := newSim(t, 20, 11)
				r := mustOpen(t, loc, true)
				// How long a whole backup takes here bounds the random moments.
				start := time.Now()
				if _, err := r.Backup(t.Context(), c, backupOpts(c, "full", time.Now(), rs...)); err != nil {
					t.Fatal(err)
				}
				full := time.Since(start)
				rng := rand.New(rand.NewPCG(7, uint64(len(name))))
				finished := 0
				for i := range 6 {
					ctx, cancel := context.WithTimeout(t.Context(), time.Duration(rng.Int64N(int64(full)+1)))
					res, err := r.Backup(ctx, c, backupOpts(c, "killed", time.Date(2026, 3, 1, 0, i, 0, 0, time.UTC), rs...))
					cancel()
					snaps, lerr := r.List(t.Context(), "killed")
					if lerr != nil {
						t.Fatalf("run %d: list after an interrupted backup: %v", i, lerr)
					}
					if err == nil && !res.Unchanged {
						finished++
					}
					if len(snaps) > finished || (err == nil && len(snaps) != finished) {
						t.Fatalf("run %d (err %v): %d snapshots listed, %d backups finished", i, err, len(snaps), finished)
					}
					for _, s := range snaps {
						b, err := r.Open(t.Context(), s, []age.Identity{key}, bundle.ReadOptions{})
						if err != nil {
							t.Fatalf("run %d: listed snapshot %s does not open: %v", i, s.ID, err)
						}
						_ = b.Close()
					}
				}
			})
		}
	}
}

// TestRecordOutcomeUnknown stops a backup at the moment its record is
// written, the record stored but its answer never reaching connvault: the
// answer lost (the server fails the request after storing it) or the run
// cancelled while the answer is on its way. Either way the repository must
// stay consistent: every snapshot listed has its bundle and opens, and a
// backup that reports success is listed. (A record whose bundle had been
// removed made `snapshots` fail for the whole tenant.)
func TestRecordOutcomeUnknown(t *testing.T) {
	for _, how := range []string{"answer lost", "cancelled after storing"} {
		t.Run(how, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var once sync.Once
			endpoint := repotest.NewS3Intercepted(t, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				hit := false
				if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/snapshots/") && strings.HasSuffix(r.URL.Path, ".json") {
					once.Do(func() { hit = true })
				}
				if !hit {
					next.ServeHTTP(w, r)
					return
				}
				next.ServeHTTP(httptest.NewRecorder(), r) // stored
				if how == "answer lost" {
					w.Header().Set("Content-Type", "application/xml")
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
					return
				}
				cancel()
				time.Sleep(200 * time.Millisecond) // the client gives up first
				w.WriteHeader(http.StatusOK)
			})
			_, c := newSim(t, 5, 3)
			r := mustOpen(t, s3URL(endpoint, "u"), true)
			res, err := r.Backup(ctx, c, backupOpts(c, "t", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))
			snaps, lerr := r.List(t.Context(), "t")
			if lerr != nil {
				t.Fatalf("list after the backup (err %v): %v", err, lerr)
			}
			if err == nil && (len(snaps) != 1 || snaps[0].ID != res.Snapshot.ID) {
				t.Fatalf("the backup reported snapshot %s stored; listed: %v", res.Snapshot.ID, snaps)
			}
			for _, s := range snaps {
				b, err := r.Open(t.Context(), s, nil, bundle.ReadOptions{})
				if err != nil {
					t.Fatalf("listed snapshot %s does not open: %v", s.ID, err)
				}
				_ = b.Close()
			}
		})
	}
}

// TestPruneRemovesLeftovers: a backup killed between storing its bundle and
// writing its record leaves a bundle no record names (written here by hand,
// as the kill would leave it). Prune removes such leftovers once older than
// LeftoverAge, also of a tenant with no snapshot, and leaves a younger one
// (a backup may be about to write its record) and every snapshot alone; a
// dry run only reports them.
func TestPruneRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	r := mustOpen(t, dir, true)
	_, c := newSim(t, 3, 5)
	res, err := r.Backup(t.Context(), c, backupOpts(c, "t", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	leftover := func(key string, age time.Duration) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("a bundle whose record was never written"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	oldT := "tenants/t/snapshots/20260201T000000Z-0000dead.tar.gz"
	oldGhost := "tenants/ghost/snapshots/20260201T000000Z-0000beef.tar.gz.age"
	young := "tenants/t/snapshots/20260301T000500Z-0000f00d.tar.gz"
	leftover(oldT, 2*LeftoverAge)
	leftover(oldGhost, 3*LeftoverAge)
	leftover(young, LeftoverAge/2)

	reported := func(plans []TenantPrune) []string {
		var keys []string
		for _, p := range plans {
			for _, l := range p.Leftovers {
				keys = append(keys, l.Key)
			}
		}
		return keys
	}
	want := []string{oldGhost, oldT} // by tenant
	plans, err := r.Prune(t.Context(), PruneOptions{Policy: Policy{Last: 1}, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := reported(plans); !slices.Equal(got, want) {
		t.Fatalf("dry run reports leftovers %v, want %v", got, want)
	}
	if objs := objects(t, r); objs[oldT] == 0 || objs[oldGhost] == 0 {
		t.Fatalf("a dry run removed a leftover: %v", objs)
	}
	var removed []string
	plans, err = r.Prune(t.Context(), PruneOptions{Policy: Policy{Last: 1}, RemovedLeftover: func(l Leftover) { removed = append(removed, l.Key) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := reported(plans); !slices.Equal(got, want) || !slices.Equal(removed, want) {
		t.Fatalf("prune reports leftovers %v and removed %v, want %v", got, removed, want)
	}
	objs := objects(t, r)
	if _, ok := objs[oldT]; ok {
		t.Errorf("old leftover %s is still stored", oldT)
	}
	if _, ok := objs[oldGhost]; ok {
		t.Errorf("old leftover %s is still stored", oldGhost)
	}
	if _, ok := objs[young]; !ok {
		t.Errorf("a leftover younger than LeftoverAge was removed: %s", young)
	}
	snaps, err := r.List(t.Context(), "")
	if err != nil || len(snaps) != 1 || snaps[0].ID != res.Snapshot.ID {
		t.Fatalf("after prune: snapshots %v, %v; want only %s", snaps, err, res.Snapshot.ID)
	}
}
