package repository

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/connvault/connvault/bundle"
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
