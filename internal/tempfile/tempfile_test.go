package tempfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// A spool has no name once created (where the system allows it) and stays
// readable and writable; spools of the pattern older than StaleAge go, newer
// ones and other names stay.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "cv-spool-old")
	young := filepath.Join(dir, "cv-spool-young")
	other := filepath.Join(dir, "other-old")
	for _, p := range []string{old, young, other} {
		if err := os.WriteFile(p, []byte("bundle content"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-StaleAge - time.Minute)
	for _, p := range []string{old, other} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	f, path, err := Spool(dir, "cv-spool-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if runtime.GOOS != "windows" && path != "" {
		t.Errorf("spool still named %s", path)
	}
	if _, err := f.WriteAt([]byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "hello" {
		t.Fatalf("read back %q, %v", b, err)
	}
	left := map[string]bool{}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		left[de.Name()] = true
	}
	if left["cv-spool-old"] || !left["cv-spool-young"] || !left["other-old"] || len(left) != 2+boolInt(path != "") {
		t.Errorf("left %v: want the young spool and the other file (and the new spool only where it keeps a name)", left)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A directory whose process is gone (its lock file there, free) is removed
// by the next Dir of its pattern, and so is one of a process killed before
// it locked it, once a minute old; one whose lock is held, or one being set
// up (no lock yet, young), is not; release removes the directory.
func TestDirRemovesAbandoned(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	mk := func(name string, lock bool, age time.Duration) string {
		d := filepath.Join(os.TempDir(), name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "stdin.tar.gz"), []byte("bundle content"), 0o600); err != nil {
			t.Fatal(err)
		}
		if lock {
			if err := os.WriteFile(filepath.Join(d, lockName), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		then := time.Now().Add(-age)
		if err := os.Chtimes(d, then, then); err != nil {
			t.Fatal(err)
		}
		return d
	}
	killed := mk("cv-dir-killed", true, 0)
	killedEarly := mk("cv-dir-early", false, 2*freshAge)
	settingUp := mk("cv-dir-settingup", false, 0)
	held, releaseHeld, err := Dir("cv-dir-*")
	if err != nil {
		t.Fatal(err)
	}
	defer releaseHeld()

	dir, release, err := Dir("cv-dir-*")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		dir  string
		want bool
	}{{killed, false}, {killedEarly, false}, {held, true}, {settingUp, true}, {dir, true}} {
		if _, err := os.Stat(tt.dir); (err == nil) != tt.want {
			t.Errorf("%s: exists %t, want %t", tt.dir, err == nil, tt.want)
		}
	}
	release()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("release left %s: %v", dir, err)
	}
}
