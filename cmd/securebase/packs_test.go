package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securebase/securebase/policy"
)

// A council's packs outside the binary: `policy validate DIR`, --packs and
// SECUREBASE_PACKS; a bad pack refuses any command before it starts.
func TestCouncilPacksDirectory(t *testing.T) {
	good, err := os.ReadFile("../../policy/packs/surrey.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	surrey := filepath.Join(dir, "surrey.yaml")
	write := func(every string) {
		text := strings.Replace(string(good), "{role: manager, every: 6w, rule: S-PS-4}", "{role: manager, every: "+every+", rule: S-PS-4}", 1)
		text = strings.Replace(text, "(the engine's limit is 6 weeks)", "(the engine's limit is 5 weeks)", 1)
		if err := os.WriteFile(surrey, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("5w") // the council supervises managers every 5 weeks

	builtIn, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, "policy", "validate", dir); err != nil || out != fmt.Sprintf("ok: %d packs\n", len(builtIn.Packs())) {
		t.Fatalf("validate DIR: %q %v", out, err)
	}
	out, err := runCmd(t, "--packs", dir, "policy", "show", "surrey", "--on", "2026-06-01")
	if err != nil || !strings.Contains(out, "the engine's limit is 5 weeks") {
		t.Fatalf("show under --packs: %v\n%s", err, out)
	}
	t.Setenv("SECUREBASE_PACKS", dir)
	if out, err := runCmd(t, "policy", "show", "surrey", "--on", "2026-06-01"); err != nil || !strings.Contains(out, "the engine's limit is 5 weeks") {
		t.Fatalf("show under SECUREBASE_PACKS: %v\n%s", err, out)
	}

	t.Setenv("SECUREBASE_PACKS", "")
	write("-6w")
	// The line of the manager's cadence in the file.
	at := fmt.Sprintf("%s:%d: rule S-PS-4", surrey, 1+strings.Count(strings.Split(string(good), "{role: manager, every: 6w")[0], "\n"))
	out, err = runCmd(t, "policy", "validate", dir)
	if err == nil || !strings.Contains(out, at) {
		t.Fatalf("validate a bad DIR: %q %v", out, err)
	}
	// dev refuses to start (before the embedded server or the database).
	_, err = runCmd(t, "dev", "--packs", dir, "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), at) {
		t.Fatalf("dev with a bad pack: %v", err)
	}
}
