package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const cumberland2027 = "packs/cumberland-2027.yaml"

func TestLoadEmbeddedPacks(t *testing.T) {
	r := loadAll(t)
	if got := r.Authorities(); !slices.Equal(got, KnownAuthorities) {
		t.Fatalf("authorities %v", got)
	}
	for _, p := range r.Packs() {
		if file := map[string]string{"2025.1": "packs/" + p.Authority + ".yaml", "2027.1": "packs/" + p.Authority + "-2027.yaml"}[p.Version]; p.File != file {
			t.Errorf("%s %s read from %s", p.Authority, p.Version, p.File)
		}
		if p.Name == "" || p.Source.File == "" || p.Source.Title == "" {
			t.Errorf("%s: header %+v", p.Authority, p)
		}
		if ref := p.Ref(); ref.Authority != p.Authority || ref.Version != p.Version {
			t.Errorf("ref %+v", ref)
		}
	}
	// The embedded packs are the files on disk.
	paths, _ := filepath.Glob("packs/*.yaml")
	if n, err := CheckPacks(paths...); err != nil || n != 10 {
		t.Errorf("CheckPacks(files) = %d, %v", n, err)
	}
	if n, err := CheckPacks(); err != nil || n != 10 {
		t.Errorf("CheckPacks() = %d, %v", n, err)
	}
}

// Every pack states the policy-matrix sections its seed covers, and every
// seed rule the engine reads is enforced and cites where it comes from.
func TestPackRules(t *testing.T) {
	sections := map[string][]int{
		"cumberland":       {1, 2, 3, 4, 5, 6, 9, 10},
		"plymouth":         {1, 2, 3, 6, 10},
		"bracknell-forest": {1, 2, 3, 4, 5, 8, 9, 10},
		"surrey":           {1, 2, 3, 4, 5, 6, 8, 9, 10}, // 9: S-CONC-1, raising a concern
		"bolton":           {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
	}
	for _, p := range loadAll(t).Packs() {
		var got []int
		for _, r := range p.Rules {
			// A securebase default fills a silence; it is no rule of the seed's.
			if !slices.Contains(got, r.Section) && r.Source != "securebase default (policy silent)" {
				got = append(got, r.Section)
			}
			if strings.Contains(r.Source, "default") && !strings.Contains(r.Source, "securebase default (policy silent)") {
				t.Errorf("%s %s: a default must say it is one: %q", p.Authority, r.ID, r.Source)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, sections[p.Authority]) {
			t.Errorf("%s covers sections %v, want %v", p.Authority, got, sections[p.Authority])
		}
		for _, id := range []string{p.ASYE.Escalation.Rule, p.Escalation.Rule} {
			r, ok := p.Rule(id)
			if !ok || r.Engine != Enforced || r.Source != "securebase default (policy silent)" {
				t.Errorf("%s: escalation rule %q: %+v", p.Authority, id, r)
			}
		}
		if _, ok := p.Rule("NO-SUCH-1"); ok {
			t.Error("found a rule that does not exist")
		}
	}
}

func TestPackSelection(t *testing.T) {
	r := loadAll(t)
	if _, err := r.Pack("cumbria", mustDate(t, "2025-01-01")); err == nil || !strings.Contains(err.Error(), `unknown authority "cumbria"`) {
		t.Errorf("unknown authority: %v", err)
	}
	if _, err := r.Pack("bolton", mustDate(t, "2024-06-02")); err == nil || !strings.Contains(err.Error(), "no version of the bolton pack is in force on 2024-06-02") {
		t.Errorf("before the first version: %v", err)
	}
	if p, err := r.Pack("bolton", mustDate(t, "2024-06-03")); err != nil || p.Version != "2025.1" {
		t.Errorf("on effective_from: %v", err)
	}
	if p, err := r.Version("surrey", "2025.1"); err != nil || p.Authority != "surrey" {
		t.Errorf("Version: %v", err)
	}
	if _, err := r.Version("surrey", "1999.1"); err == nil || !strings.Contains(err.Error(), `no version "1999.1" of the surrey pack`) {
		t.Errorf("missing version: %v", err)
	}
	if _, err := r.Version("nowhere", "2025.1"); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("Version of unknown authority: %v", err)
	}
	only, err := LoadFiles("packs/surrey.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := only.Pack("bolton", mustDate(t, "2025-01-01")); err == nil || !strings.Contains(err.Error(), `no pack is loaded for authority "bolton"`) {
		t.Errorf("known but not loaded: %v", err)
	}
}

// The two-year early career programme replaces the ASYE from September 2027
// as a second, effective-dated version of a pack: data only.
func TestEarlyCareerProgramme2027(t *testing.T) {
	r, err := LoadFiles("packs/cumberland.yaml", cumberland2027)
	if err != nil {
		t.Fatal(err)
	}
	old := packOn(t, r, "cumberland", "2027-08-31")
	ecp := packOn(t, r, "cumberland", "2027-09-01")
	if old.Version != "2025.1" || old.ASYE.Programme != "ASYE" {
		t.Errorf("before September 2027: %s %s", old.Version, old.ASYE.Programme)
	}
	if ecp.Version != "2027.1" || ecp.ASYE.Programme != "Early career development programme (ECDP)" || ecp.ASYE.Length != (Period{24, Months}) {
		t.Errorf("from September 2027: %s %s %s", ecp.Version, ecp.ASYE.Programme, ecp.ASYE.Length)
	}
	if v, err := r.Version("cumberland", "2025.1"); err != nil || v != old {
		t.Errorf("a running ASYE still finds its pinned version: %v", err)
	}

	start := mustDate(t, "2027-09-06")
	sched, err := r.Schedule("cumberland", "nqsw", start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sched.Pack.Version != "2027.1" || sched.End.String() != "2029-09-06" {
		t.Errorf("schedule %+v", sched.Pack)
	}
	var reviews []string
	last := sched.Items[len(sched.Items)-1]
	for _, it := range sched.Items {
		if it.Kind == KindReview {
			reviews = append(reviews, it.Name+" "+it.Due.String())
		}
	}
	want := []string{"3-month 2027-12-06", "6-month 2028-03-06", "12-month 2028-09-06", "18-month 2029-03-06", "24-month 2029-09-06"}
	if !slices.Equal(reviews, want) {
		t.Errorf("reviews %v", reviews)
	}
	if last.Name != "24-month" || last.Rule != "C-ECDP-3" {
		t.Errorf("last item %+v", last)
	}
	// The same start a week earlier still runs the one-year ASYE.
	prev, err := r.Schedule("cumberland", "nqsw", mustDate(t, "2027-08-30"), 0)
	if err != nil || prev.Pack.Version != "2025.1" || prev.End.String() != "2028-08-30" {
		t.Errorf("ASYE before the switch: %+v %v", prev, err)
	}
}

func TestVersionsMustNotOverlap(t *testing.T) {
	dir := t.TempDir()
	base, _ := os.ReadFile("packs/cumberland.yaml")
	next, _ := os.ReadFile(cumberland2027)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fixture := write("next.yaml", string(next))

	// An explicit end after the next version's start.
	late := write("late.yaml", strings.Replace(string(base), "effective_from: 2023-04-01\n", "effective_from: 2023-04-01\neffective_to: 2027-12-31\n", 1))
	err := ValidateFiles(late, fixture)
	wantErr(t, err, fixture+":", ": effective_from: version 2027.1 of cumberland (from 2027-09-01) overlaps version 2025.1 ("+late+":")

	// An explicit end the day before is fine.
	ok := write("ok.yaml", strings.Replace(string(base), "effective_from: 2023-04-01\n", "effective_from: 2023-04-01\neffective_to: 2027-08-31\n", 1))
	if err := ValidateFiles(ok, fixture); err != nil {
		t.Errorf("adjacent versions: %v", err)
	}

	// Two versions from the same day.
	same := write("same.yaml", strings.Replace(string(next), "effective_from: 2027-09-01", "effective_from: 2023-04-01", 1))
	wantErr(t, ValidateFiles("packs/cumberland.yaml", same), "overlaps version 2025.1")

	// The same version twice.
	twice := write("twice.yaml", strings.Replace(string(next), `version: "2027.1"`, `version: "2025.1"`, 1))
	wantErr(t, ValidateFiles("packs/cumberland.yaml", twice), twice+":", `: version: version "2025.1" of cumberland is also defined in packs/cumberland.yaml:5`)

	// A gap between versions is allowed, and leaves no pack in force.
	gap := write("gap.yaml", strings.Replace(string(base), "effective_from: 2023-04-01\n", "effective_from: 2023-04-01\neffective_to: 2027-06-30\n", 1))
	r, err := LoadFiles(gap, fixture)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pack("cumberland", mustDate(t, "2027-07-15")); err == nil || !strings.Contains(err.Error(), "2025.1 2023-04-01 to 2027-06-30; 2027.1 from 2027-09-01") {
		t.Errorf("in the gap: %v", err)
	}

	wantErr(t, ValidateFiles(filepath.Join(dir, "missing.yaml")), "missing.yaml: cannot read: no such file or directory")
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error:\n%v\nwant it to contain %q", err, p)
		}
	}
}

func TestPackOrTodayTakesTodaysVersionForADayBeforeEveryVersion(t *testing.T) {
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	today, _ := ParseDate("2026-12-03")
	first := reg.versions["cumberland"][0].EffectiveFrom
	before := first.AddDays(-400)
	p, from, err := reg.PackOrToday("cumberland", before, today)
	if err != nil {
		t.Fatalf("a start before every version is refused: %v", err)
	}
	want, _ := reg.Pack("cumberland", today)
	if p != want || !from.Equal(today) {
		t.Fatalf("got version %s from %s, want %s from %s", p.Version, from, want.Version, today)
	}
	if _, err := reg.Pack("cumberland", before); err == nil {
		t.Fatal("Pack itself should still refuse the day")
	}
	p, from, err = reg.PackOrToday("cumberland", today, today)
	if err != nil || !from.IsZero() || p != want {
		t.Fatalf("a day in force: got %v %s %v", p, from, err)
	}
}
