package policy

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Bolton's pack lets a supervisor delegate the supervision tasks; the other
// packs do not provide for delegation.
func TestDelegationBlock(t *testing.T) {
	b, err := os.ReadFile("packs/bolton.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadPack("packs/bolton.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Delegation; d == nil || d.Rule != "B-CONF-1" || !d.Allows("personal_supervision") || !d.Allows("case_supervision") || d.Allows("closure") {
		t.Fatalf("bolton delegation %+v", p.Delegation)
	}
	if got := p.Delegation.LastDay(NewDate(2026, time.November, 30)); got != NewDate(2027, time.February, 28) {
		t.Fatalf("a delegation made on 2026-11-30 may run until %s, want 2027-02-28 (3 months, B-CONF-3)", got)
	}
	c, err := ReadPack(packName, []byte(cumberland(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Delegation != nil || c.Delegation.Allows("personal_supervision") {
		t.Fatalf("cumberland provides for delegation: %+v", c.Delegation)
	}

	text := string(b)
	block := "delegation: {rule: B-CONF-1, tasks: [personal_supervision, case_supervision], longest: {period: 3mo, rule: B-CONF-3}}"
	for _, e := range []struct{ name, new, want string }{
		{"managerial task", "delegation: {rule: B-CONF-1, tasks: [personal_supervision, closure]}", `"closure" is a managerial task: managerial tasks are never delegated`},
		{"unknown task", "delegation: {rule: B-CONF-1, tasks: [paperwork]}", `"paperwork" is not a delegable task`},
		{"no tasks", "delegation: {rule: B-CONF-1, tasks: []}", "tasks: is missing"},
		{"unknown rule", "delegation: {rule: B-CONF-9, tasks: [case_supervision]}", `"B-CONF-9" is not a rule of this pack`},
		{"rule not enforced", "delegation: {rule: B-CL-2, tasks: [case_supervision]}", `the delegation block uses it, so the engine enforces it`},
		{"open-ended", "delegation: {rule: B-CONF-1, tasks: [case_supervision]}", "longest: is missing"},
		{"no length", "delegation: {rule: B-CONF-1, tasks: [case_supervision], longest: {period: 0d, rule: B-CONF-3}}", "longest.period"},
	} {
		t.Run(e.name, func(t *testing.T) {
			if !strings.Contains(text, block) {
				t.Fatal("the bolton pack has no delegation block")
			}
			_, err := ReadPack("packs/bolton.yaml", []byte(strings.Replace(text, block, e.new, 1)))
			if err == nil || !strings.Contains(err.Error(), e.want) {
				t.Fatalf("error %v, want it to contain %q", err, e.want)
			}
		})
	}
}
