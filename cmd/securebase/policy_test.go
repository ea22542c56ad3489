package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/policy"
)

func TestPolicyValidateCmd(t *testing.T) {
	out, err := runCmd(t, "policy", "validate")
	if err != nil || out != "ok: 10 packs\n" {
		t.Fatalf("validate built-in packs: %q %v", out, err)
	}
	out, err = runCmd(t, "policy", "validate", "../../policy/packs/surrey.yaml", "../../policy/packs/bolton.yaml")
	if err != nil || out != "ok: 2 packs\n" {
		t.Fatalf("validate files: %q %v", out, err)
	}

	good, err := os.ReadFile("../../policy/packs/surrey.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "surrey.yaml")
	text := strings.Replace(string(good), "{role: manager, every: 6w, rule: S-PS-4}", "{role: manager, every: -6w, rule: S-PS-4}", 1)
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "policy", "validate", bad)
	if err == nil || !strings.Contains(out, bad+":") || !strings.Contains(out, `rule S-PS-4: every: "-6w" is negative`) {
		t.Fatalf("validate a bad file: %q %v", out, err)
	}
}

func TestPolicyShowCmd(t *testing.T) {
	out, err := runCmd(t, "policy", "show", "bracknell-forest", "--on", "2025-09-01")
	if err != nil || !strings.Contains(out, "BF-ASYE-1 (enforced): ") || !strings.Contains(out, "BF-PS-5 (not yet enforced): ") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	defer func(f func() time.Time) { timeNow = f }(timeNow)
	timeNow = func() time.Time { return time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC) }
	if out, err := runCmd(t, "policy", "show", "surrey"); err != nil || !strings.Contains(out, "S-ASYE-1") {
		t.Fatalf("show today: %v", err)
	}
	for _, args := range [][]string{
		{"policy", "show", "cumbria"},
		{"policy", "show"},
		{"policy", "show", "surrey", "--on", "1 May"},
	} {
		if _, err := runCmd(t, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestPolicyScheduleCmd(t *testing.T) {
	out, err := runCmd(t, "policy", "schedule", "--authority", "cumberland", "--role", "nqsw", "--start", "2025-09-01", "--count", "7")
	if err != nil {
		t.Fatal(err)
	}
	var s policy.Schedule
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(s.Items) != 7 || s.Items[0].Due.String() != "2025-09-08" || s.Items[6].Due.String() != "2025-10-27" || s.Items[6].Rule != "C-ASYE-3" {
		t.Errorf("schedule %+v", s.Items)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--authority", "cumberland", "--role", "astronaut", "--start", "2025-09-01"}, `no role "astronaut"`},
		{[]string{"--authority", "cumberland", "--role", "nqsw", "--start", "01/09/2025"}, `--start: "01/09/2025" is not a date`},
		{[]string{"--authority", "cumberland", "--role", "nqsw"}, `required flag(s) "start" not set`},
		{[]string{"--authority", "nowhere", "--role", "nqsw", "--start", "2025-09-01"}, `unknown authority "nowhere"`},
		{[]string{"--authority", "cumberland", "--role", "nqsw", "--start", "2025-09-01", "--count", "x"}, `invalid argument "x" for "--count"`},
		{[]string{"--authority", "cumberland", "--role", "nqsw", "--start", "2025-09-01", "--count", "-2"}, "count -2"},
	} {
		_, err := runCmd(t, append([]string{"policy", "schedule"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

func TestCalendarAddCmd(t *testing.T) {
	out, err := runCmd(t, "calendar", "add", "--from", "2025-12-24", "--working-days", "1")
	if err != nil || out != "2025-12-29\n" {
		t.Fatalf("calendar add: %q %v", out, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2025-12-24", "--working-days", "-1"}, "--working-days: -1 is negative"},
		{[]string{"--from", "24 Dec", "--working-days", "1"}, `--from: "24 Dec" is not a date`},
		{[]string{"--from", "2025-12-24"}, `required flag(s) "working-days" not set`},
	} {
		_, err := runCmd(t, append([]string{"calendar", "add"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// Issue 12, item 5: one command lists every value no seed gives, for every
// pack or one, and says whether the engine acts on it.
func TestPolicyShowDefaultsCmd(t *testing.T) {
	out, err := runCmd(t, "policy", "show", "--defaults", "bolton")
	if err != nil || !strings.Contains(out, "caseload.maximum 20 cases [B-CL-5]: a default, shown only") ||
		!strings.Contains(out, "B-ESC-1 [§8]") || strings.Contains(out, "Surrey") {
		t.Fatalf("show --defaults bolton: %v\n%s", err, out)
	}
	all, err := runCmd(t, "policy", "show", "--defaults")
	if err != nil || strings.Count(all, "values the policy does not give") != 10 {
		t.Fatalf("show --defaults: %v\n%s", err, all)
	}
	if _, err := runCmd(t, "policy", "show", "--defaults", "cumbria"); err == nil {
		t.Error("an unknown authority accepted")
	}
}

// Issue 12, item 9: a role other than the nqsw is planned.
func TestPolicyScheduleEveryRoleCmd(t *testing.T) {
	out, err := runCmd(t, "policy", "schedule", "--authority", "cumberland", "--role", "student", "--start", "2026-01-05", "--count", "2")
	if err != nil || !strings.Contains(out, `"rule": "C-PS-2"`) || !strings.Contains(out, `"due": "2026-01-12"`) {
		t.Fatalf("schedule a student: %v\n%s", err, out)
	}
}

// docs/policy-table.md is what `securebase policy table` prints from the
// packs and the tests: regenerate it with
// `go run ./cmd/securebase policy table > docs/policy-table.md`.
func TestPolicyTableIsCommitted(t *testing.T) {
	out, err := runCmd(t, "policy", "table", "--repo", "../..")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../docs/policy-table.md")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(committed) {
		t.Errorf("docs/policy-table.md differs from `securebase policy table`: regenerate it")
	}
	for _, want := range []string{"| seed clause | pack rule | what the engine does | test |", "B-CL-5 (2025.1, §7)", "C-ECDP-1 (2027.1, §2)", "enforced from retention"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q", want)
		}
	}
}
