package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A council's directory of packs: a file named like a built-in one replaces
// it, another adds a version; a bad file is refused with file:line.
func TestLoadWithACouncilsDirectory(t *testing.T) {
	builtIn := func(name string) string {
		b, err := os.ReadFile(filepath.Join("packs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dir := t.TempDir()
	put := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Surrey supervises managers every 5 weeks, not 6.
	put("surrey.yaml", strings.Replace(builtIn("surrey.yaml"), "{role: manager, every: 6w, rule: S-PS-4}", "{role: manager, every: 5w, rule: S-PS-4}", 1))
	// Bolton's council adds a version in force from April 2027.
	next := strings.Replace(builtIn("bolton.yaml"), `version: "2025.1"`, `version: "2027.0"`, 1)
	put("bolton-2027-04.yaml", strings.Replace(next, "effective_from: 2024-06-03", "effective_from: 2027-04-01", 1))
	builtins, err := Load()
	if err != nil {
		t.Fatal(err)
	}

	reg, err := LoadWith(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, want := len(reg.Packs()), len(builtins.Packs())+1; n != want {
		t.Fatalf("%d packs, want the %d built-in (one replaced) and 1 added", n, want)
	}
	day, _ := ParseDate("2026-06-01")
	surrey, err := reg.Pack("surrey", day)
	if err != nil {
		t.Fatal(err)
	}
	if every := surrey.PersonalSupervision.CadenceFor("team_manager").Every.String(); surrey.File != filepath.Join(dir, "surrey.yaml") || every != "5w" {
		t.Errorf("surrey from %s, a manager every %s: want the council's file, every 5w", surrey.File, every)
	}
	later, _ := ParseDate("2027-05-01")
	if p, err := reg.Pack("bolton", later); err != nil || p.Version != "2027.0" {
		t.Errorf("bolton in May 2027: %v %v, want the council's version 2027.0", p, err)
	}
	if p, err := reg.Pack("bolton", day); err != nil || p.Version != "2025.1" {
		t.Errorf("bolton in 2026: %v %v, want the built-in 2025.1", p, err)
	}

	// A bad value is refused, naming the council's file and line.
	bad := put("surrey.yaml", strings.Replace(builtIn("surrey.yaml"), "{role: manager, every: 6w, rule: S-PS-4}", "{role: manager, every: -6w, rule: S-PS-4}", 1))
	line := 1 + strings.Count(strings.Split(builtIn("surrey.yaml"), "{role: manager, every: 6w")[0], "\n")
	if _, err := LoadWith(dir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s:%d: rule S-PS-4", bad, line)) {
		t.Errorf("a bad pack: %v, want it refused at %s:%d", err, bad, line)
	}
	// A directory without packs, or none at all, is refused.
	if _, err := LoadWith(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no pack files") {
		t.Errorf("an empty directory: %v", err)
	}
	if _, err := LoadWith(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory was accepted")
	}
}

// A lifecycle pinned to a version moves to the one After it: the next by
// date among the loaded packs (a council's own directory included), none
// after the last or for a version no longer loaded.
func TestAfterIsTheNextVersionLoaded(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if p := r.After("surrey", "2025.1"); p == nil || p.Version != "2027.1" {
		t.Errorf("after surrey 2025.1: %v", p)
	}
	if p := r.After("surrey", "2027.1"); p != nil {
		t.Errorf("after the last version: %s", p.Version)
	}
	if p := r.After("surrey", "1999.1"); p != nil {
		t.Errorf("after a version not loaded: %s", p.Version)
	}
	dir := t.TempDir()
	data, err := os.ReadFile("packs/surrey.yaml")
	if err != nil {
		t.Fatal(err)
	}
	own := strings.Replace(strings.Replace(string(data), `version: "2025.1"`, `version: "2026.2"`, 1), "effective_from: 2019-12-02", "effective_from: 2027-03-01", 1)
	if err := os.WriteFile(filepath.Join(dir, "surrey-2026-2.yaml"), []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = LoadWith(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p := r.After("surrey", "2025.1"); p == nil || p.Version != "2026.2" {
		t.Errorf("after surrey 2025.1 with the council's version: %v", p)
	}
	if p := r.After("surrey", "2026.2"); p == nil || p.Version != "2027.1" {
		t.Errorf("after the council's version: %v", p)
	}
}
