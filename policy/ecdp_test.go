package policy

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// Issue 12, item 8: every authority has an early career development
// programme version in force from 1 September 2027, two years long, its
// values cited or declared defaults; a worker who started before finishes
// the one-year ASYE.
func TestEveryAuthorityHasTheECDPFromSeptember2027(t *testing.T) {
	r := loadAll(t)
	for _, a := range KnownAuthorities {
		asye := packOn(t, r, a, "2027-08-31")
		ecdp := packOn(t, r, a, "2027-09-01")
		if asye.ASYE.Programme != "ASYE" || asye.ASYE.Length != (Period{12, Months}) {
			t.Errorf("%s before September 2027: %s %s", a, asye.ASYE.Programme, asye.ASYE.Length)
		}
		if ecdp.Version != "2027.1" || !strings.Contains(ecdp.ASYE.Programme, "ECDP") || ecdp.ASYE.Length != (Period{24, Months}) {
			t.Fatalf("%s from September 2027: %s %s %s", a, ecdp.Version, ecdp.ASYE.Programme, ecdp.ASYE.Length)
		}
		length, _ := ecdp.Rule(ecdp.ASYE.LengthRule)
		if !strings.Contains(length.Source, "early career standards") || length.Engine != Enforced {
			t.Errorf("%s: the programme's length cites %+v", a, length)
		}
		if tr := ecdp.Transition; tr == nil || tr.StartedBefore != FinishUnderPrevious {
			t.Errorf("%s: transition %+v", a, tr)
		}
		for _, r := range ecdp.Rules {
			if strings.Contains(r.ID, "-ECDP-") && !IsDefault(r) && !strings.HasPrefix(r.Source, "DfE,") {
				t.Errorf("%s %s: an ECDP value is cited to the national guidance or declared a default: %q", a, r.ID, r.Source)
			}
		}
		sched, err := r.Schedule(a, RoleNQSW, mustDate(t, "2027-09-06"), 0)
		if err != nil {
			t.Fatal(err)
		}
		var reviews []string
		for _, it := range sched.Items {
			if it.Kind == KindReview {
				reviews = append(reviews, it.Name)
			}
		}
		if sched.End.String() != "2029-09-06" || !slices.Equal(reviews, []string{"3-month", "6-month", "12-month", "18-month", "24-month"}) {
			t.Errorf("%s ECDP schedule ends %s, reviews %v", a, sched.End, reviews)
		}
		// A session is still due in the second year, under the ECDP's rule
		// (the first one after the 12-month review is timed from a session
		// of the first year, under that year's rule).
		second := slices.IndexFunc(sched.Items, func(it PlannedItem) bool {
			return it.Kind == KindSession && it.Due.After(mustDate(t, "2028-10-06"))
		})
		if second < 0 || !strings.Contains(sched.Items[second].Rule, "-ECDP-") {
			t.Errorf("%s: no second-year session under the ECDP", a)
		}
		prev, err := r.Schedule(a, RoleNQSW, mustDate(t, "2027-08-31"), 0)
		if err != nil || prev.Pack.Version != "2025.1" || prev.End.String() != "2028-08-31" {
			t.Errorf("%s: a worker starting 31 August 2027 runs the ASYE: %+v %v", a, prev, err)
		}
	}
}

// Issue 12, item 5: Bolton's seed gives no maximum caseload, so its 20 is a
// securebase default, shown and never enforced; a council that sets it
// (set_by: council) has it enforced.
func TestDefaultCaseloadMaximumIsShownNotEnforced(t *testing.T) {
	p := packOn(t, loadAll(t), "bolton", "2026-12-01")
	if _, _, ok := p.Caseload.Limit(0); ok {
		t.Fatal("Bolton's default maximum of 20 is enforced; the protocol gives no number")
	}
	if !strings.Contains(p.Defaults(), "caseload.maximum 20 cases [B-CL-5]: a default, shown only") {
		t.Errorf("the defaults do not list the maximum:\n%s", p.Defaults())
	}
	council := *p.Caseload.Maximum
	council.SetBy = SetByCouncil
	cl := *p.Caseload
	cl.Maximum = &council
	if n, rule, ok := cl.Limit(80); !ok || n != 16 || rule != "B-CL-5" {
		t.Errorf("a council-set maximum: %d %s %v", n, rule, ok)
	}
	text := string(mustRead(t, "packs/bolton.yaml"))
	for _, c := range []struct{ old, new, want string }{
		{"B-CL-5, set_by: default}", "B-CL-5}", "set_by: is missing: the seed gives no maximum"},
		{"B-CL-5, set_by: default}", "B-CL-5, set_by: mayor}", `set_by: "mayor": write council`},
		// A council that sets it is told which rules now act.
		{"B-CL-5, set_by: default}", "B-CL-5, set_by: council}", `rule B-CL-5: engine: "not_yet", but the engine applies this rule (caseload.maximum)`},
	} {
		_, err := ReadPack("packs/bolton.yaml", []byte(strings.Replace(text, c.old, c.new, 1)))
		wantErr(t, err, c.want)
	}
}

// Issue 12, item 5: no seed gives an escalation to a manager, so every
// pack's 5 working days (B-ESC-1, B-ASYE-7, B-ESC-2 and the others'
// likewise) is a default: shown and listed, never escalated; a council that
// sets one in its own pack version (set_by: council) has it escalate.
func TestDefaultEscalationsNeverEscalate(t *testing.T) {
	for _, p := range loadAll(t).Packs() {
		for _, e := range []Escalation{p.Escalation, p.ASYE.Escalation} {
			if e.Escalates() || !strings.Contains(p.Defaults(), "escalation after 5wd ["+e.Rule+"]: a default, shown only") {
				t.Errorf("%s %s: %+v escalates or is not listed as a default", p.Authority, p.Version, e)
			}
		}
	}
	text := string(mustRead(t, "packs/bolton.yaml"))
	council := strings.Replace(text, "rule: B-ESC-1, set_by: default}", "rule: B-ESC-1, set_by: council}", 1)
	p, err := ReadPack("packs/bolton.yaml", []byte(council))
	if err != nil || !p.Escalation.Escalates() || p.ASYE.Escalation.Escalates() {
		t.Fatalf("a council-set B-ESC-1: %+v, ASYE %+v, %v", p.Escalation, p.ASYE.Escalation, err)
	}
	for _, c := range []struct{ old, new, want string }{
		{"rule: B-ESC-1, set_by: default}", "rule: B-ESC-1}", "rule B-ESC-1: escalation.set_by: is missing: the seed gives no escalation"},
		{"rule: B-ESC-2, set_by: default}", "rule: B-ESC-2, set_by: mayor}", `team_duties.escalation.set_by: "mayor": write council`},
		// An escalation a seed gives escalates: it cannot be called a default.
		{"rule: B-ASYE-7, set_by: default}", "rule: B-ASYE-1, set_by: default}", "rule B-ASYE-1: asye.escalation.set_by: says default but the rule cites the seed"},
	} {
		_, err := ReadPack("packs/bolton.yaml", []byte(strings.Replace(text, c.old, c.new, 1)))
		wantErr(t, err, c.want)
	}
}

// Every value no seed gives is listed by one call, with what the engine does
// with it.
func TestDefaultsListEveryAssumption(t *testing.T) {
	for _, p := range loadAll(t).Packs() {
		out := p.Defaults()
		for _, r := range p.Rules {
			if IsDefault(r) != strings.Contains(out, "  "+r.ID+" ") {
				t.Errorf("%s %s: default %v, listed %v", p.Authority, r.ID, IsDefault(r), !IsDefault(r))
			}
		}
	}
	escal := packOn(t, loadAll(t), "plymouth", "2026-12-01").Defaults()
	if !strings.Contains(escal, "P-ASYE-7") || !strings.Contains(escal, "the engine applies it (asye.escalation)") {
		t.Errorf("plymouth defaults:\n%s", escal)
	}
}

// Issue 12, item 9: every role can be planned, not just the nqsw.
func TestScheduleEveryRole(t *testing.T) {
	r := loadAll(t)
	start := mustDate(t, "2026-01-05")
	for _, a := range KnownAuthorities {
		for _, role := range append(StaffRoles(), Roles...) {
			s, err := r.Schedule(a, role, start, 0)
			if err != nil {
				t.Errorf("%s %s: %v", a, role, err)
				continue
			}
			if len(s.Items) == 0 && s.Note == "" {
				t.Errorf("%s %s: no duty and no note", a, role)
			}
		}
	}
	s, err := r.Schedule("surrey", "team_manager", start, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s.Cadence.Role != "manager" || len(s.Items) != 3 || s.Items[0].Rule != "S-PS-4" || s.Items[0].Every != (Period{6, Weeks}) || s.Items[0].Due.String() != "2026-02-16" {
		t.Errorf("a Surrey team manager: %+v %+v", s.Cadence, s.Items)
	}
	s, _ = r.Schedule("bracknell-forest", "agency_residential_worker", start, 0)
	if slices.ContainsFunc(s.Items, func(it PlannedItem) bool { return it.Kind == KindSession }) || !strings.Contains(s.Note, "after every 8 shifts") {
		t.Errorf("shifts: %+v", s)
	}
	if _, err := r.Schedule("surrey", "astronaut", start, 0); err == nil || !strings.Contains(err.Error(), `no role "astronaut"`) {
		t.Errorf("unknown role: %v", err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
