package policy

import (
	"fmt"
	"strings"
	"testing"
)

// The team duties each pack gives (issue 12 item 7), read as the seeds say:
// Cumberland's monthly group supervision in every team, recorded within 10
// working days (C-QA-3, C-REC-5); Bracknell Forest's weekly team brief in the
// MASH and Referral and Assessment only (BF-QA-3); Bolton's quarterly DMT
// review of each team's average caseload (B-CL-4) and bi-monthly case file
// audits (B-QA-1); each escalating under its pack's default (C-ESC-2,
// BF-ESC-2, B-ESC-2).
func TestTeamDutiesFromThePacks(t *testing.T) {
	reg := loadAll(t)
	on := NewDate(2026, 3, 10)
	type want struct {
		authority, team, duty, every, heldBy, rule, record, escalation string
	}
	for _, w := range []want{
		{"cumberland", "north", "group_supervision", "1cmo", HeldByTeamManager, "C-QA-3", "10wd C-REC-5", "C-ESC-2"},
		{"bracknell-forest", "mash", "team_brief", "1w", HeldByTeamManager, "BF-QA-3", "", "BF-ESC-2"},
		{"bracknell-forest", "referral_and_assessment", "team_brief", "1w", HeldByTeamManager, "BF-QA-3", "", "BF-ESC-2"},
		{"bolton", "north", "team_caseload_review", "3mo", HeldByDMT, "B-CL-4", "", "B-ESC-2"},
		{"bolton", "north", "case_file_audit", "2mo", HeldByTeamManager, "B-QA-1", "", "B-ESC-2"},
	} {
		p, err := reg.Pack(w.authority, on)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := p.TeamDuty(w.team, w.duty)
		if !ok {
			t.Errorf("%s team %s owes no %s", w.authority, w.team, w.duty)
			continue
		}
		record := ""
		if d.RecordWithin != nil {
			record = d.RecordWithin.Period.String() + " " + d.RecordWithin.Rule
		}
		got := want{w.authority, w.team, d.Duty, d.Every.String(), d.HeldBy, d.Rule, record, p.TeamDuties.Escalation.Rule}
		if got != w {
			t.Errorf("got %+v, want %+v", got, w)
		}
		if r, _ := p.Rule(d.Rule); r.Engine != Enforced || IsDefault(r) || !strings.Contains(r.Says, "'") {
			t.Errorf("%s %s: want an enforced rule quoting its seed, got %+v", w.authority, d.Rule, r)
		}
		if r, _ := p.Rule(p.TeamDuties.Escalation.Rule); r.Engine != Enforced || !IsDefault(r) {
			t.Errorf("%s %s: the escalation is a declared default, got %+v", w.authority, r.ID, r)
		}
	}
	// Group supervision "each month": due by a month's last day, a team's
	// first the first whole month after its lifecycle starts.
	p, _ := reg.Pack("cumberland", on)
	d, _ := p.TeamDuty("north", "group_supervision")
	if got := d.Every.AddTo(on, p.Calendar()); got != NewDate(2026, 4, 30) {
		t.Errorf("group supervision started 2026-03-10 is due %s, want 2026-04-30", got)
	}
	// The team brief is only the MASH's and the Referral and Assessment Team's.
	bf, _ := reg.Pack("bracknell-forest", on)
	if got := bf.TeamDutiesFor("children_in_care"); len(got) != 0 {
		t.Errorf("a Bracknell Forest team outside the MASH and R&A owes %+v", got)
	}
	for _, a := range []string{"plymouth", "surrey"} {
		if p, _ := reg.Pack(a, on); len(p.TeamDutiesFor("north")) != 0 {
			t.Errorf("%s's seed names no team duty, but the pack gives %+v", a, p.TeamDuties)
		}
	}
}

// Every pack routes a supervisee's concern: Surrey's seed gives the route
// (S-CONC-1: the supervisor, then the supervisor's line manager); the others
// are silent, so theirs is a declared default (C-CONC-1, BF-CONC-1, B-CONC-1,
// P-CONC-1).
func TestConcernRoutes(t *testing.T) {
	reg := loadAll(t)
	for a, rule := range map[string]string{"surrey": "S-CONC-1", "cumberland": "C-CONC-1", "bracknell-forest": "BF-CONC-1", "bolton": "B-CONC-1", "plymouth": "P-CONC-1"} {
		p, err := reg.Pack(a, NewDate(2026, 3, 10))
		if err != nil {
			t.Fatal(err)
		}
		cn := p.Concerns
		if cn == nil || cn.Rule != rule || fmt.Sprint(cn.Route) != "[supervisor supervisors_manager]" {
			t.Fatalf("%s concerns = %+v", a, cn)
		}
		r, _ := p.Rule(rule)
		if seed := a == "surrey"; IsDefault(r) == seed || (cn.SetBy == "default") == seed {
			t.Errorf("%s %s: set_by %q, source %q", a, rule, cn.SetBy, r.Source)
		}
		if step, err := cn.ConcernStep(""); err != nil || step != "supervisor" {
			t.Errorf("%s: first step %q, %v", a, step, err)
		}
		if _, err := cn.ConcernStep("chief_executive"); err == nil {
			t.Errorf("%s: a step off the route is taken", a)
		}
	}
}

// A team duty or concern route the engine cannot run is refused where it is
// written.
func TestValidateRefusesBadTeamDuties(t *testing.T) {
	base := cumberland(t)
	for _, e := range []edit{
		{name: "an unknown duty",
			old: "{duty: group_supervision, every: 1cmo", new: "{duty: away_day, every: 1cmo",
			at: "duty: away_day", want: `rule C-QA-3: duty: "away_day" is not a team duty`},
		{name: "nobody holds it",
			old: "held_by: team_manager, record_within", new: "held_by: the_team, record_within",
			at: "held_by: the_team", want: `rule C-QA-3: held_by: "the_team": write team_manager or departmental_management_team`},
		{name: "a default route not declared",
			old: "set_by: default, rule: C-CONC-1", new: "rule: C-CONC-1",
			at: "concerns:", want: "rule C-CONC-1: concerns.set_by"},
		{name: "a step twice",
			old: "route: [supervisor, supervisors_manager], set_by", new: "route: [supervisor, supervisor], set_by",
			at: "concerns:", want: `"supervisor": each step once`},
	} {
		t.Run(e.name, func(t *testing.T) {
			if !strings.Contains(base, e.old) {
				t.Fatalf("the pack no longer has %q", e.old)
			}
			text := strings.Replace(base, e.old, e.new, 1)
			_, err := ReadPack(packName, []byte(text))
			wantErr(t, err, e.want)
		})
	}
}
