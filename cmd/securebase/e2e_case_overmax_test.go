package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Bolton's maximum caseload through the API, once the council has set it in
// its own pack version (the protocol gives no number: the built-in pack's 20
// is a default, never enforced): the allocation that takes a worker above it
// is refused until it records a reason and a review date, and the review
// becomes a duty on the case, cited to the pack's rule.
func TestEndToEndAllocationAboveMaximum(t *testing.T) {
	packs := councilSetsBoltonMaximum(t)
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	joined := today.AddDays(-400)
	west := sys.team("bolton", "west")
	west.onboard("hos-1", "senior_manager", "", joined)
	west.onboard("tm-1", "team_manager", "hos-1", joined)
	west.onboard("sw-1", "social_worker", "tm-1", joined)
	pack, err := packs.Pack("bolton", today)
	if err != nil || pack.Caseload == nil || pack.Caseload.Maximum == nil {
		t.Fatalf("Bolton's pack sets no maximum caseload: %v", err)
	}
	limit, rule := pack.Caseload.Maximum.Cases, pack.Caseload.Maximum.Rule
	alloc := func(id string) map[string]any {
		return map[string]any{"case_id": id, "authority": "bolton", "team": "west", "category": "all_cases", "worker_id": "sw-1", "allocated_on": today.String()}
	}
	for i := 1; i <= limit; i++ {
		sys.expect("POST", "/api/v1/cases", alloc(fmt.Sprintf("case-%d", i)), 201, "")
	}
	// The check reads the caseload from the database, which each case's
	// lifecycle writes just after the allocation is answered.
	eventually(t, "every allocation written", func() bool {
		return count(t, db, &models.Case{}, "worker_id = ? AND status = ?", "sw-1", models.CaseOpen) == int64(limit)
	})
	over := alloc("case-over")
	out := sys.expect("POST", "/api/v1/cases", over, 422, "over_max_reason")
	named := map[string]string{}
	for _, p := range out["problems"].([]any) {
		m := p.(map[string]any)
		named[m["field"].(string)], _ = m["rule"].(string)
	}
	if named["over_max_reason"] != rule || named["review_date"] != rule {
		t.Fatalf("refusal names %v, want over_max_reason and review_date under %s", named, rule)
	}
	if n := count(t, db, &models.Case{}, "id = ?", "case-over"); n != 0 {
		t.Fatal("a refused allocation was written")
	}
	over["over_max_reason"] = "no other worker in the team has capacity this month"
	over["review_date"] = today.AddDays(28).String()
	sys.expect("POST", "/api/v1/cases", over, 201, "")
	eventually(t, "the review of the allocation above the maximum as a due item", func() bool {
		return count(t, db, &models.DueItem{}, "case_id = ? AND kind = ? AND due_on = ? AND rule_id = ?",
			"case-over", "caseload_over_max_review", today.AddDays(28).String(), rule) == 1
	})

	// A worker holding cases cannot simply leave: the cases go first.
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "l1", "on": today.String(), "reason": "resigned"}, 409, "cases")
	if st, err := models.GetStaff(t.Context(), db, "sw-1"); err != nil || st.Status != "active" {
		t.Fatalf("a refused leaver was changed: %+v %v", st, err)
	}
}

// councilSetsBoltonMaximum runs the server under the built-in packs with
// Bolton's maximum caseload set by the council (set_by: council).
func councilSetsBoltonMaximum(t *testing.T) *policy.Registry {
	t.Helper()
	reg := councilPacks(t, "bolton", func(text string) string {
		// The council sets the number and, as validation then asks, marks the
		// rules that act on it enforced.
		text = strings.Replace(text, "B-CL-5, set_by: default}", "B-CL-5, set_by: council}", 1)
		for _, id := range []string{"B-CL-3", "B-CL-5"} {
			i := strings.Index(text, "  - id: "+id+"\n")
			j := i + strings.Index(text[i:], "    engine: not_yet\n")
			text = text[:j] + "    engine: enforced\n" + text[j+len("    engine: not_yet\n"):]
		}
		return text
	})
	if _, _, ok := packOrFail(t, reg).Caseload.Limit(0); !ok {
		t.Fatal("the council's maximum is not enforced")
	}
	return reg
}

// councilEscalations sets every escalation of a pack as the council would
// in its own pack version (set_by: council): the built-in ones are
// securebase defaults, shown and never escalated.
var councilEscalations = func(text string) string {
	return regexp.MustCompile(`(escalation: \{after: \w+, rule: [A-Z0-9-]+), set_by: default\}`).ReplaceAllString(text, "$1, set_by: council}")
}

// councilPacks runs the server under the built-in packs, those of the
// authority edited as its council would in its own pack versions.
func councilPacks(t *testing.T, authority string, edit func(string) string) *policy.Registry {
	t.Helper()
	paths, err := filepath.Glob("../../policy/packs/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no packs: %v", err)
	}
	dir := t.TempDir()
	for i, p := range paths {
		if !strings.HasPrefix(filepath.Base(p), authority) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		paths[i] = filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(paths[i], []byte(edit(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := policy.LoadFiles(paths...)
	if err != nil {
		t.Fatal(err)
	}
	old := loadPacks
	loadPacks = func() (*policy.Registry, error) { return reg, nil }
	t.Cleanup(func() { loadPacks = old })
	return reg
}

func packOrFail(t *testing.T, reg *policy.Registry) *policy.Pack {
	t.Helper()
	p, err := reg.Pack("bolton", policy.DateOf(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
