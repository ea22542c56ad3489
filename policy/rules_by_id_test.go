package policy

import (
	"fmt"
	"testing"
)

// Issue 12: every enforced rule has a test that names it and checks the
// behaviour it encodes. One row per rule id: the value the engine computes
// from the pack in force on `on` (a worker starting that day), which changes
// if the pack or the engine gets the rule wrong. Rules applied by a workflow
// behaviour (applied_by) are also exercised in workflows/rules_by_id_test.go.
func TestEnforcedRulesByID(t *testing.T) {
	reg := loadAll(t)
	const y1, ecdp = "2026-01-05", "2027-09-06" // Mondays: a 2025.1 and a 2027.1 start
	type row struct {
		id, authority, on string
		got               func(p *Pack, start Date) string
		want              string
	}
	// What the engine reads for each kind of rule.
	end := func(p *Pack, s Date) string {
		return fmt.Sprintf("%s %s", p.ASYE.End(s, p.Calendar()), p.ASYE.LengthRule)
	}
	reviews := func(p *Pack, s Date) string { return fmt.Sprint(p.ASYE.ReviewDates(s, p.Calendar())) }
	pauses := func(p *Pack, _ Date) string { return fmt.Sprint(p.ASYE.Pauses) }
	// The latest end an extension may give (workflows/asye_handlers.go).
	extension := func(p *Pack, s Date) string {
		cal := p.Calendar()
		return fmt.Sprintf("%s %s", p.ASYE.ExtensionCap.AddTo(p.ASYE.End(s, cal), cal), p.ASYE.ExtensionRule)
	}
	// The day the supervisor's manager is told of a duty due on the start.
	asyeEscalation := func(p *Pack, s Date) string {
		return fmt.Sprintf("%s %s", p.ASYE.Escalation.After.AddTo(s, p.Calendar()), p.ASYE.Escalation.Rule)
	}
	escalation := func(p *Pack, s Date) string {
		return fmt.Sprintf("%s %s", p.Escalation.After.AddTo(s, p.Calendar()), p.Escalation.Rule)
	}
	// The last due day a reminder sent on the start covers.
	reminder := func(p *Pack, s Date) string {
		return fmt.Sprintf("%s %s", p.Reminders.RemindFrom(s, p.Calendar()), p.Reminders.Rule)
	}
	// The cadence and its rule on a day; the ECDP's second year.
	intervalOn := func(day string) func(p *Pack, s Date) string {
		return func(p *Pack, s Date) string {
			d, cal := mustDate(t, day), p.Calendar()
			return fmt.Sprintf("%s %s", p.ASYE.IntervalAt(s, d, cal), p.ASYE.PhaseRuleAt(s, d, cal))
		}
	}
	// A programme started the day before the ECDP finishes the ASYE.
	transition := func(p *Pack, _ Date) string {
		s, err := reg.Schedule(p.Authority, RoleNQSW, mustDate(t, "2027-08-31"), 0)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %s %s %s", s.Pack.Version, s.Programme, s.End, p.Transition.Rule)
	}
	short := func(p *Pack, _ Date) string {
		_, short := p.ASYE.Short(1)
		return fmt.Sprintf("1 minute short: %v %s", short, p.ASYE.SessionRule)
	}
	caseCadence := func(category string) func(p *Pack, _ Date) string {
		return func(p *Pack, _ Date) string {
			c, ok := p.CaseSupervision.Cadence(category)
			if !ok {
				return "no category " + category
			}
			return fmt.Sprintf("%s %s", c, c.Rule)
		}
	}
	notAllocated := func(role string) func(p *Pack, _ Date) string {
		return func(p *Pack, _ Date) string {
			r, ok := p.Caseload.NotAllocatedFor(role)
			return fmt.Sprintf("%v %+v", ok, r)
		}
	}
	appliedBy := func(id string) func(p *Pack, _ Date) string {
		return func(p *Pack, _ Date) string { r, _ := p.Rule(id); return r.AppliedBy }
	}
	const (
		asyePauses = "{[sickness parental_leave compassionate_leave] [annual_leave workload performance] %s}"
		asyeYear   = "[{3-month 2026-04-02 %[1]s} {6-month 2026-07-03 %[1]s} {12-month 2027-01-05 %[1]s}]"
		ecdpYears  = "[{3-month 2027-12-06 %[1]s} {6-month 2028-03-06 %[1]s} {12-month 2028-09-06 %[1]s} {18-month 2029-03-06 %[2]s} {24-month 2029-09-06 %[2]s}]"
	)
	rows := []row{
		// Bolton
		{"B-ASYE-3", "bolton", y1, end, "2027-01-05 B-ASYE-3"},
		// 5 April 2026 is Easter Sunday: the 3-month review moves to Thursday 2 April (B-WD-1).
		{"B-ASYE-4", "bolton", y1, reviews, fmt.Sprintf(asyeYear, "B-ASYE-4")},
		{"B-ASYE-6", "bolton", y1, extension, "2027-04-05 B-ASYE-6"},
		{"B-BK-1", "bolton", y1, appliedBy("B-BK-1"), "cancellation_recorded"},
		{"B-CASE-2", "bolton", y1, notAllocated("student"), "true {Role:student Instead:supervisor Rule:B-CASE-2}"},
		{"B-CASE-3", "bolton", y1, notAllocated("team_manager"), "true {Role:team_manager Instead: Rule:B-CASE-3}"},
		{"B-CL-1", "bolton", y1, func(p *Pack, s Date) string {
			a := p.Caseload.AnalysisEvery
			return fmt.Sprintf("%s %s", a.Period.AddTo(s, p.Calendar()), a.Rule)
		}, "2026-03-30 B-CL-1"},
		// Once in the assessment service, and still every 3 months (B-CS-1) while there.
		{"B-CS-2", "bolton", y1, func(p *Pack, s Date) string {
			c, _ := p.CaseSupervision.Category("assessment_service")
			return fmt.Sprintf("once %v %s; %s", c.Once, c.Rule, caseCadence("assessment_service")(p, s))
		}, "once true B-CS-2; every 3mo B-CS-1"},
		{"B-ECDP-1", "bolton", ecdp, end, "2029-09-06 B-ECDP-1"},
		{"B-ECDP-5", "bolton", ecdp, transition, "2025.1 ASYE 2028-08-31 B-ECDP-5"},

		// Bracknell Forest
		{"BF-AG-3", "bracknell-forest", y1, func(p *Pack, s Date) string {
			_, _, renews := p.Agreement.RenewalDue(s, p.Calendar())
			return fmt.Sprintf("renewed %v, re-opened on a change of circumstances %v, %s", renews, p.Agreement.Reopens("circumstances_change"), appliedBy("BF-AG-3")(p, s))
		}, "renewed false, re-opened on a change of circumstances true, agreement_not_renewed"},
		// Weekly for six weeks, then two-weekly to six months, then each calendar month.
		{"BF-ASYE-2", "bracknell-forest", y1, func(p *Pack, s Date) string {
			return intervalOn("2026-02-16")(p, s) + "; " + intervalOn("2026-07-06")(p, s)
		}, "2w BF-ASYE-2; 1cmo BF-ASYE-3"},
		{"BF-ASYE-4", "bracknell-forest", y1, end, "2027-01-05 BF-ASYE-4"},
		{"BF-ASYE-5", "bracknell-forest", y1, reviews, fmt.Sprintf(asyeYear, "BF-ASYE-5")},
		{"BF-ASYE-7", "bracknell-forest", y1, pauses, fmt.Sprintf(asyePauses, "BF-ASYE-7")},
		{"BF-ASYE-8", "bracknell-forest", y1, extension, "2027-04-05 BF-ASYE-8"},
		{"BF-ASYE-9", "bracknell-forest", y1, asyeEscalation, "2026-01-12 BF-ASYE-9"},
		{"BF-BK-1", "bracknell-forest", y1, func(p *Pack, s Date) string {
			b := p.PersonalSupervision.BookingHorizon
			return fmt.Sprintf("%s %s", b.Period.AddTo(s, p.Calendar()), b.Rule)
		}, "2026-04-05 BF-BK-1"},
		{"BF-CS-2", "bracknell-forest", y1, func(p *Pack, s Date) string {
			return caseCadence(AllCases)(p, s) + "; " + caseCadence("family_safeguarding_group")(p, s)
		}, "as required BF-CS-2; every 1mo BF-CS-1"},
		{"BF-ECDP-1", "bracknell-forest", ecdp, end, "2029-09-06 BF-ECDP-1"},
		{"BF-ECDP-2", "bracknell-forest", ecdp, intervalOn("2028-10-06"), "1cmo BF-ECDP-2"},
		{"BF-ECDP-3", "bracknell-forest", ecdp, reviews, fmt.Sprintf(ecdpYears, "BF-ASYE-5", "BF-ECDP-3")},
		{"BF-ECDP-5", "bracknell-forest", ecdp, transition, "2025.1 ASYE 2028-08-31 BF-ECDP-5"},
		// The yearly appraisal and its six-month mid-term review, in a social worker's first year.
		{"BF-QA-1", "bracknell-forest", y1, func(p *Pack, s Date) string {
			_, _, items := p.PersonalPlan("social_worker", s, 0, p.Calendar())
			var out []string
			for _, it := range items {
				if it.Kind == KindReview {
					out = append(out, fmt.Sprintf("%s %s %s", it.Name, it.Due, it.Rule))
				}
			}
			return fmt.Sprint(out)
		}, "[appraisal mid-term review 2026-07-05 BF-QA-1 appraisal 2027-01-05 BF-QA-1]"},
		{"BF-REM-1", "bracknell-forest", y1, reminder, "2026-01-08 BF-REM-1"},

		// Cumberland
		{"C-ASYE-13", "cumberland", y1, asyeEscalation, "2026-01-12 C-ASYE-13"},
		{"C-CASE-4", "cumberland", y1, func(p *Pack, _ Date) string { return p.CaseSupervision.Actions.Rule }, "C-CASE-4"},
		{"C-CS-1", "cumberland", y1, caseCadence("ccass_front_door"), "every 1mo C-CS-1"},
		{"C-CS-2", "cumberland", y1, caseCadence("early_help_and_prevention"), "every 4w C-CS-2"},
		{"C-CS-4", "cumberland", y1, func(p *Pack, s Date) string {
			return caseCadence("children_with_disabilities")(p, s) + "; " + caseCadence("children_with_disabilities_after_permanence")(p, s)
		}, "every 4w C-CS-4; every 12w C-CS-4"},
		{"C-CS-6", "cumberland", y1, caseCadence("cared_for_before_permanence"), "every 4w C-CS-6"},
		{"C-CS-9", "cumberland", y1, caseCadence("fostering"), "every 12w C-CS-9"},
		{"C-CS-10", "cumberland", y1, caseCadence("adopters_assessment_stage_1_2"), "every 1mo C-CS-10"},
		{"C-CS-11", "cumberland", y1, caseCadence("adopters_stage_2_pending_or_enquiry"), "every 12w C-CS-11"},
		{"C-CS-12", "cumberland", y1, caseCadence("adopters_approved_affected_family_finding_involved"), "every 8w C-CS-12"},
		{"C-CS-13", "cumberland", y1, caseCadence("adoption_support"), "every 12w C-CS-13"},
		{"C-CS-15", "cumberland", y1, func(p *Pack, s Date) string {
			return caseCadence("adoption_team_allocated_before_permanent_placement")(p, s) + "; " + caseCadence("adoption_team_allocated_in_permanent_placement")(p, s)
		}, "every 4w C-CS-15; every 12w C-CS-15"},
		{"C-CS-16", "cumberland", y1, caseCadence("fgc_residential_edge_of_care"), "every 4w C-CS-16"},
		{"C-ECDP-2", "cumberland", ecdp, intervalOn("2028-10-06"), "1mo C-ECDP-2"},
		{"C-ECDP-5", "cumberland", ecdp, transition, "2025.1 ASYE 2028-08-31 C-ECDP-5"},

		// Plymouth
		{"P-ASYE-1", "plymouth", y1, end, "2027-01-05 P-ASYE-1"},
		{"P-ASYE-2", "plymouth", y1, func(p *Pack, s Date) string { return fmt.Sprint(summary(p.ASYE.Plan(s, 2, p.Calendar()))) },
			"[2026-02-05 session session 1 P-ASYE-2 2026-03-05 session session 2 P-ASYE-2]"},
		{"P-ASYE-3", "plymouth", y1, reviews, fmt.Sprintf(asyeYear, "P-ASYE-3")},
		{"P-ASYE-4", "plymouth", y1, short, "1 minute short: false P-ASYE-4"},
		{"P-ASYE-5", "plymouth", y1, pauses, fmt.Sprintf(asyePauses, "P-ASYE-5")},
		{"P-ASYE-6", "plymouth", y1, extension, "2027-04-05 P-ASYE-6"},
		{"P-CASE-2", "plymouth", y1, caseCadence(AllCases), "as required P-CASE-2"},
		{"P-ECDP-1", "plymouth", ecdp, end, "2029-09-06 P-ECDP-1"},
		{"P-ECDP-2", "plymouth", ecdp, intervalOn("2028-10-06"), "1mo P-ECDP-2"},
		{"P-ECDP-3", "plymouth", ecdp, reviews, fmt.Sprintf(ecdpYears, "P-ASYE-3", "P-ECDP-3")},
		{"P-ECDP-5", "plymouth", ecdp, transition, "2025.1 ASYE 2028-08-31 P-ECDP-5"},
		{"P-ESC-1", "plymouth", y1, escalation, "2026-01-12 P-ESC-1"},
		{"P-REM-1", "plymouth", y1, reminder, "2026-01-08 P-REM-1"},

		// Surrey
		{"S-AG-2", "surrey", y1, appliedBy("S-AG-2"), "agreement_terms"},
		{"S-ASYE-2", "surrey", y1, end, "2027-01-05 S-ASYE-2"},
		{"S-ASYE-4", "surrey", y1, short, "1 minute short: false S-ASYE-4"},
		{"S-ASYE-5", "surrey", y1, pauses, fmt.Sprintf(asyePauses, "S-ASYE-5")},
		{"S-ASYE-6", "surrey", y1, extension, "2027-04-05 S-ASYE-6"},
		{"S-ASYE-7", "surrey", y1, asyeEscalation, "2026-01-12 S-ASYE-7"},
		{"S-ECDP-1", "surrey", ecdp, end, "2029-09-06 S-ECDP-1"},
		{"S-ECDP-2", "surrey", ecdp, intervalOn("2028-10-06"), "1mo S-ECDP-2"},
		{"S-ECDP-3", "surrey", ecdp, reviews, fmt.Sprintf(ecdpYears, "S-ASYE-3", "S-ECDP-3")},
		{"S-ECDP-5", "surrey", ecdp, transition, "2025.1 ASYE 2028-08-31 S-ECDP-5"},
		{"S-ESC-1", "surrey", y1, escalation, "2026-01-12 S-ESC-1"},
		{"S-REC-2", "surrey", y1, appliedBy("S-REC-2"), "record_both_views"},
		{"S-REM-1", "surrey", y1, reminder, "2026-01-08 S-REM-1"},
	}
	for _, r := range rows {
		t.Run(r.id, func(t *testing.T) {
			p := packOn(t, reg, r.authority, r.on)
			if rule, ok := p.Rule(r.id); !ok || rule.Engine != Enforced {
				t.Fatalf("%s %s: %+v", p.Authority, p.Version, rule)
			}
			if got := r.got(p, mustDate(t, r.on)); got != r.want {
				t.Errorf("%s %s:\n got  %s\n want %s", p.Authority, p.Version, got, r.want)
			}
		})
	}
}
