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
	if err != nil || out != "ok: 5 packs\n" {
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
		{[]string{"--authority", "cumberland", "--role", "manager", "--start", "2025-09-01"}, "no lifecycle for role manager in this release"},
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
