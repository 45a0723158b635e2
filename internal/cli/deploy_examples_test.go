package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
	"go.yaml.in/yaml/v3"

	"github.com/connvault/connvault/repository"
)

// deployDir holds the deployment examples of the README.
var deployDir = filepath.Join("..", "..", "deploy")

// checkCommandLine checks a connvault command line of an example against the
// app: the command exists and every --flag is one of its flags (or a global
// one), so that an example cannot drift from the CLI.
func checkCommandLine(t *testing.T, where string, args []string) {
	t.Helper()
	app := newApp(&env{})
	if len(args) == 0 {
		t.Fatalf("%s: no connvault command", where)
	}
	var cmd *cli.Command
	for _, c := range app.Commands {
		if c.Name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		t.Fatalf("%s: no command %q", where, args[0])
	}
	known := map[string]bool{}
	for _, f := range append(slices.Clone(cmd.Flags), app.Flags...) {
		for _, n := range f.Names() {
			known[n] = true
		}
	}
	for _, a := range args[1:] {
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "=")
		if !known[name] {
			t.Errorf("%s: connvault %s has no flag --%s", where, args[0], name)
		}
	}
}

// connvaultCalls finds the connvault command lines in shell text.
func connvaultCalls(script string) [][]string {
	var out [][]string
	for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", " "), "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			if w == "connvault" || strings.HasSuffix(w, "/connvault") {
				if i+1 < len(f) && f[i+1] != "backup" && strings.HasPrefix(f[i+1], "-") {
					continue
				}
				out = append(out, f[i+1:])
				break
			}
		}
	}
	return out
}

// iniSections reads a systemd unit: section → key → values.
func iniSections(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	return out
}

var cronRE = regexp.MustCompile(`^(\S+\s+){4}\S+$`)

// TestDeploymentExamples parses each deployment example and checks what a
// reader relies on: the systemd service and timer, the GitHub Actions drift
// workflow and the Kubernetes CronJob with credentials from a Secret mounted
// as files; every connvault command line in them uses flags the CLI has.
func TestDeploymentExamples(t *testing.T) {
	t.Run("systemd", func(t *testing.T) {
		svc := iniSections(t, filepath.Join(deployDir, "systemd", "connvault-backup.service"))
		timer := iniSections(t, filepath.Join(deployDir, "systemd", "connvault-backup.timer"))
		if svc["Service"]["Type"][0] != "oneshot" || len(svc["Service"]["ExecStart"]) != 1 {
			t.Fatalf("service: %v", svc["Service"])
		}
		for _, key := range []string{"ExecStart", "ExecStartPost"} {
			for _, line := range svc["Service"][key] {
				for _, call := range connvaultCalls(line) {
					checkCommandLine(t, "service "+key, call)
				}
			}
		}
		if len(timer["Timer"]["OnCalendar"]) != 1 || timer["Install"]["WantedBy"][0] != "timers.target" {
			t.Fatalf("timer: %v", timer)
		}
	})
	t.Run("github actions", func(t *testing.T) {
		var wf struct {
			On struct {
				Schedule []struct{ Cron string } `yaml:"schedule"`
			} `yaml:"on"`
			Jobs map[string]struct {
				Env   map[string]string `yaml:"env"`
				Steps []struct {
					Name, Run, Uses, If string
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		readYAML(t, filepath.Join(deployDir, "github-actions", "connvault-drift.yml"), &wf)
		if len(wf.On.Schedule) != 1 || !cronRE.MatchString(wf.On.Schedule[0].Cron) {
			t.Fatalf("schedule: %+v", wf.On.Schedule)
		}
		calls := 0
		drift := false
		for _, job := range wf.Jobs {
			if !strings.Contains(job.Env["SAIL_CLIENT_SECRET"], "secrets.") {
				t.Errorf("SAIL_CLIENT_SECRET must come from the repository's secrets, not %q", job.Env["SAIL_CLIENT_SECRET"])
			}
			for _, st := range job.Steps {
				for _, call := range connvaultCalls(st.Run) {
					calls++
					checkCommandLine(t, "step "+st.Name, call)
					drift = drift || (call[0] == "diff" && slices.Contains(call, "--detailed-exitcode"))
				}
				if strings.Contains(st.Run, "git commit") && !strings.Contains(st.If, "drift") {
					t.Errorf("step %q commits without a drift condition", st.Name)
				}
			}
		}
		if calls < 2 || !drift {
			t.Fatalf("the workflow has %d connvault calls, diff --detailed-exitcode among them: %v", calls, drift)
		}
	})
	t.Run("kubernetes", func(t *testing.T) {
		f, err := os.Open(filepath.Join(deployDir, "kubernetes", "cronjob.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		type mount struct {
			Name      string
			MountPath string `yaml:"mountPath"`
		}
		var cm struct {
			Kind string
			Data map[string]string
		}
		var cj struct {
			Kind string
			Spec struct {
				Schedule    string
				JobTemplate struct {
					Spec struct {
						Template struct {
							Spec struct {
								Containers []struct {
									Args         []string
									Env          []struct{ Name, Value string }
									VolumeMounts []mount `yaml:"volumeMounts"`
								}
								Volumes []struct {
									Name   string
									Secret *struct {
										SecretName string `yaml:"secretName"`
									}
								}
							}
						}
					} `yaml:"spec"`
				} `yaml:"jobTemplate"`
			}
		}
		dec := yaml.NewDecoder(f)
		if err := dec.Decode(&cm); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(&cj); err != nil {
			t.Fatal(err)
		}
		if cm.Kind != "ConfigMap" || cj.Kind != "CronJob" || !cronRE.MatchString(cj.Spec.Schedule) {
			t.Fatalf("want a ConfigMap and a CronJob with a schedule, got %q, %q, %q", cm.Kind, cj.Kind, cj.Spec.Schedule)
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		c := pod.Containers[0]
		checkCommandLine(t, "CronJob args", c.Args)
		secretVolumes := map[string]bool{}
		for _, v := range pod.Volumes {
			if v.Secret != nil {
				secretVolumes[v.Name] = true
			}
		}
		secretDir := ""
		for _, m := range c.VolumeMounts {
			if secretVolumes[m.Name] {
				secretDir = m.MountPath
			}
		}
		if secretDir == "" {
			t.Fatal("no Secret is mounted as files")
		}
		for _, e := range c.Env {
			if strings.Contains(strings.ToLower(e.Name), "secret") {
				t.Errorf("a secret in an environment variable: %s", e.Name)
			}
		}
		// The profiles must parse and read their secrets from the mounted Secret.
		dir := t.TempDir()
		profiles := filepath.Join(dir, "profiles.yaml")
		if err := os.WriteFile(profiles, []byte(cm.Data["profiles.yaml"]), 0o600); err != nil {
			t.Fatal(err)
		}
		pf, err := loadProfiles(profiles)
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range pf.Tenants {
			if !strings.HasPrefix(p.ClientSecretFile, secretDir+"/") {
				t.Errorf("tenant %s: clientSecretFile %q is not in the mounted Secret %s", name, p.ClientSecretFile, secretDir)
			}
		}
		recipients := filepath.Join(dir, "recipients.txt")
		if err := os.WriteFile(recipients, []byte(cm.Data["recipients.txt"]), 0o600); err != nil {
			t.Fatal(err)
		}
		if rs, err := repository.Recipients(nil, []string{recipients}); err != nil || len(rs) == 0 {
			t.Fatalf("recipients.txt: %d recipients, %v", len(rs), err)
		}
	})
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
