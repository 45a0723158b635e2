package repository

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// TestBackupRoundTrip backs a simulated tenant up into a directory and into
// an S3-compatible server, in clear and encrypted: a first backup stores a
// snapshot that opens and matches the tenant; a second of the unchanged
// tenant stores nothing and says so; a change gives a new snapshot; an
// encrypted snapshot holds no clear text, and opens only with its key.
func TestBackupRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name      string
		s3        bool
		encrypted bool
	}{{"dir", false, false}, {"dir encrypted", false, true}, {"s3", true, false}, {"s3 encrypted", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			loc := t.TempDir() + "/repo"
			if tt.s3 {
				loc = newS3(t, "nightly/connvault")
			}
			_, c := newSim(t, 12, 3)
			key := newKey(t)
			var rs []age.Recipient
			var idents []age.Identity
			if tt.encrypted {
				rs, idents = []age.Recipient{key.Recipient()}, []age.Identity{key}
			}
			r := mustOpen(t, loc, true)
			day := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

			first, err := r.Backup(t.Context(), c, backupOpts(c, "prod", day, rs...))
			if err != nil {
				t.Fatal(err)
			}
			if first.Unchanged || !first.Snapshot.Complete || first.Snapshot.Connectors == 0 || first.Snapshot.Encrypted != tt.encrypted {
				t.Fatalf("first backup: %+v", first.Snapshot)
			}
			stored := objects(t, r)

			second, err := r.Backup(t.Context(), c, backupOpts(c, "prod", day.Add(24*time.Hour), rs...))
			if err != nil {
				t.Fatal(err)
			}
			if !second.Unchanged || second.Snapshot.ID != first.Snapshot.ID {
				t.Fatalf("second backup of an unchanged tenant: unchanged %v, snapshot %s (first %s)", second.Unchanged, second.Snapshot.ID, first.Snapshot.ID)
			}
			after := objects(t, r)
			delete(after, "tenants/prod/status.json")
			delete(stored, "tenants/prod/status.json")
			if len(after) != len(stored) {
				t.Fatalf("an unchanged backup stored objects: before %v, after %v", stored, after)
			}
			st, ok, err := r.LastStatus(t.Context(), "prod")
			if err != nil || !ok || st.Result != "unchanged" || st.Snapshot != first.Snapshot.ID {
				t.Fatalf("status after an unchanged backup: %+v, %v, %v", st, ok, err)
			}

			// A change in the tenant gives a new snapshot.
			listed, err := c.ListAllConnectors(t.Context(), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(listed, func(c tenant.Connector) bool { return strings.HasPrefix(c.Type, "custom") })
			listed = listed[i:]
			if _, err := c.PatchConnector(t.Context(), listed[0].ScriptName, []tenant.PatchOp{{Op: "replace", Path: "/sourceConfigXml", Value: "<changed/>"}}); err != nil {
				t.Fatal(err)
			}
			third, err := r.Backup(t.Context(), c, backupOpts(c, "prod", day.Add(48*time.Hour), rs...))
			if err != nil {
				t.Fatal(err)
			}
			if third.Unchanged || third.Snapshot.ContentDigest == first.Snapshot.ContentDigest {
				t.Fatalf("a changed tenant was not stored: %+v", third)
			}
			snaps, err := r.List(t.Context(), "prod")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(snaps), []string{first.Snapshot.ID, third.Snapshot.ID}) {
				t.Fatalf("snapshots %v", ids(snaps))
			}
			latest, err := r.Resolve(t.Context(), "latest", "")
			if err != nil || latest.ID != third.Snapshot.ID {
				t.Fatalf("latest: %v, %v", latest.ID, err)
			}

			b, err := r.Open(t.Context(), latest, idents, bundle.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cs, err := b.LoadAll()
			_ = b.Close()
			if err != nil || len(cs) != latest.Connectors {
				t.Fatalf("opened %d connectors (%v), record says %d", len(cs), err, latest.Connectors)
			}
			changed := false
			for _, cn := range cs {
				changed = changed || (cn.ScriptName == listed[0].ScriptName && string(cn.SourceConfig) == "<changed/>")
			}
			if !changed {
				t.Fatal("the latest snapshot does not hold the change")
			}

			if tt.encrypted {
				if containsBytes(t, r, []byte("manifest.json")) || containsBytes(t, r, []byte("<changed/>")) {
					t.Fatal("an encrypted repository holds clear text of a bundle")
				}
				if _, err := r.Open(t.Context(), latest, nil, bundle.ReadOptions{}); !errors.Is(err, ErrEncrypted) {
					t.Fatalf("no identity: got %v, want ErrEncrypted", err)
				}
				if _, err := r.Open(t.Context(), latest, []age.Identity{newKey(t)}, bundle.ReadOptions{}); !errors.Is(err, ErrWrongKey) {
					t.Fatalf("another key: got %v, want ErrWrongKey", err)
				}
			}
		})
	}
}

// TestCarryForward checks that a hidden (DEVELOPMENT or DEMO) connector named
// once is backed up by every later backup without naming it, and that one
// deleted since is reported gone, not failed.
func TestCarryForward(t *testing.T) {
	sim, c := newSim(t, 30, 5)
	var hidden []string
	for _, dc := range sim.Dump().Connectors {
		if dc.Status == "DEVELOPMENT" || dc.Status == "DEMO" {
			hidden = append(hidden, dc.ScriptName)
		}
	}
	if len(hidden) < 2 {
		t.Fatalf("the simulated tenant has %d hidden connectors, want 2 or more", len(hidden))
	}
	r := mustOpen(t, t.TempDir(), true)
	// Without source discovery, which would bring in every hidden connector a
	// source uses (export/sources_test.go): this is about what was named.
	opts := backupOpts(c, "dev", time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC))
	opts.Export.ScriptNames, opts.Export.NoSources = hidden[:2], true
	first, err := r.Backup(t.Context(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Snapshot.Hidden) != 2 || first.Snapshot.Hidden[0].ScriptName != hidden[0] || first.Snapshot.Hidden[1].ScriptName != hidden[1] {
		t.Fatalf("record's hidden %v, want %v", first.Snapshot.Hidden, hidden[:2])
	}
	if err := c.DeleteConnector(t.Context(), hidden[1]); err != nil {
		t.Fatal(err)
	}
	opts2 := backupOpts(c, "dev", time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
	opts2.Export.NoSources = true
	second, err := r.Backup(t.Context(), c, opts2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.CarriedForward, hidden[:2]) || !slices.Equal(goneNames(second.Gone), hidden[1:2]) {
		t.Fatalf("carried %v, gone %v", second.CarriedForward, second.Gone)
	}
	if !second.Snapshot.Complete || len(second.Snapshot.Hidden) != 1 || second.Snapshot.Hidden[0].ScriptName != hidden[0] {
		t.Fatalf("second snapshot: complete %v, hidden %v", second.Snapshot.Complete, second.Snapshot.Hidden)
	}
}

// TestBadRepositories checks that an unreachable bucket, refused
// credentials, a missing bucket and a location that is no repository are
// clear errors naming the location.
func TestBadRepositories(t *testing.T) {
	good := newS3(t, "p")
	for _, tt := range []struct {
		name, loc, want string
		setup           func(t *testing.T)
		create          bool
	}{
		{"unreachable bucket", s3URL("http://127.0.0.1:1", "p"), "reach the bucket", nil, true},
		{"wrong credentials", good, "access denied", func(t *testing.T) { setAWSEnv(t, "NOTTHEKEY", "x") }, true},
		{"no such bucket", strings.Replace(good, "s3://"+testBucket, "s3://nosuchbucket", 1), `bucket "nosuchbucket" does not exist`, nil, true},
		{"no repository in a directory", t.TempDir(), "no connvault repository", nil, false},
		{"missing directory", t.TempDir() + "/nothing", "no such file", nil, false},
		{"unknown scheme", "ftp://x/y", "unsupported scheme", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			_, err := Open(t.Context(), tt.loc, tt.create)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Fatal("the error holds the secret")
			}
		})
	}
}

// TestDamagedSnapshots checks that a corrupted, truncated or replaced
// snapshot and an unknown id are clear errors, and that nothing is removed.
func TestDamagedSnapshots(t *testing.T) {
	_, c := newSim(t, 6, 9)
	r := mustOpen(t, t.TempDir(), true)
	res, err := r.Backup(t.Context(), c, backupOpts(c, "prod", time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Snapshot
	good, err := r.bucket.ReadAll(t.Context(), s.Object)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"corrupted", flip(good, len(good)/2), "snapshot " + s.ID},
		{"truncated", good[:len(good)*2/3], "truncated"},
		{"replaced by another valid archive", nil, "is not the one the record names"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if data == nil {
				other := putSnapshot(t, r, "other", time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), true)
				if data, err = r.bucket.ReadAll(t.Context(), other.Object); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.bucket.WriteAll(t.Context(), s.Object, data, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.bucket.WriteAll(t.Context(), s.Object, good, nil) })
			_, err := r.Open(t.Context(), s, nil, bundle.ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
			if _, err := r.Resolve(t.Context(), s.ID, "prod"); err != nil {
				t.Fatalf("the damaged snapshot is no longer listed: %v", err)
			}
		})
	}
	_, err = r.Resolve(t.Context(), "20990101T000000Z-00000000", "")
	if !errors.Is(err, ErrUnknownSnapshot) {
		t.Fatalf("unknown id: got %v, want ErrUnknownSnapshot", err)
	}
}

// flip returns a copy of b with the byte at i inverted.
func flip(b []byte, i int) []byte {
	out := slices.Clone(b)
	out[i] ^= 0xff
	return out
}
