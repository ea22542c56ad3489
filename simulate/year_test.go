package simulate

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// A small year under every authority's pack: the compliance the product
// reports, stored monthly and recomputed as at the end, matches the
// simulator's own count of what it did, duty by duty, month by month. The
// records' sign-offs run for real where no deadline is set too: they are
// listed, never owed, and must not be counted. The year drives every
// lifecycle the API drives: supervision and the ASYE with their records,
// absences and cover, agreements signed and renewed, cases allocated,
// transferred and closed, the teams' duties, and the duties the report
// does not count: progress reviews, appraisals, practice observations and
// their records, agendas.
func TestSimulatedYearMatchesIndependentCount(t *testing.T) {
	db, err := models.Open("", filepath.Join(t.TempDir(), "year.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	reg, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), db, reg, Options{Staff: 10, Cases: 40, Seed: 7, UntimedSignOffs: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Error(e)
	}
	decided := 0
	for _, a := range res.Authorities {
		for _, m := range a.Mismatches {
			t.Errorf("%s: %s", a.Authority, m)
		}
		for _, d := range a.Duties {
			t.Logf("%s %s: %s", a.Authority, d.Duty, d.Shown)
			decided += d.Simulator.OnTime + d.Simulator.Late + d.Simulator.Missed
		}
	}
	// The run must have exercised something worth comparing.
	if len(res.Authorities) != 5 || decided < 400 || res.Reports != 5*24 {
		t.Errorf("ran %d authorities, %d decided items, %d reports: too little to compare", len(res.Authorities), decided, res.Reports)
	}
	// Each lifecycle the year drives happened, as the product recorded it:
	// the drive cannot silently do nothing.
	for _, act := range []string{
		"agreement.agreed", "agreement.renewal_opened", // signed, and renewed a year on
		"team_duty.held", "team_duty.recorded", // group supervision and the other team duties; a record made late
		"case.transferred", "case.closed",
		"supervision.absence_recorded", "supervision.returned", "supervision.cover_arranged",
	} {
		var n int64
		if err := db.Model(&models.AuditEvent{}).Where("action = ?", act).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no %s in the year", act)
		}
	}
	// The newer duties the report does not count (models.ComplianceDuties):
	// Surrey's progress reviews and appraisals, Cumberland's practice
	// observation records, Bracknell Forest's agendas, each on time and late.
	for what, where := range map[string]string{
		"progress review on time": "kind = 'progress_review' AND status = 'met' AND met_on <= due_on",
		"progress review late":    "kind = 'progress_review' AND status = 'met' AND met_on > due_on",
		"annual appraisal":        "kind = 'appraisal' AND status = 'met'",
		"practice observation":    "kind = 'practice_observation' AND status = 'met'",
	} {
		var n int64
		if err := db.Model(&models.DueItem{}).Where(where).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no %s in the year", what)
		}
	}
	for what, where := range map[string]string{
		"observation recorded in time": "action = 'supervision.observation_recorded' AND rule_id <> '' AND detail LIKE '%record_due%' AND detail NOT LIKE '%recorded_late%'",
		"observation recorded late":    "action = 'supervision.observation_recorded' AND detail LIKE '%\"recorded_late\":true%'",
		"agenda shared in time":        "action = 'supervision.agenda_shared' AND detail NOT LIKE '%shared_late%'",
		"agenda shared late":           "action = 'supervision.agenda_shared' AND detail LIKE '%\"shared_late\":true%'",
		"progress review recorded":     "action = 'supervision.appraisal_recorded' AND detail LIKE '%\"kind\":\"progress\"%'",
		"annual appraisal recorded":    "action = 'supervision.appraisal_recorded' AND detail LIKE '%\"kind\":\"annual\"%'",
	} {
		var n int64
		if err := db.Model(&models.AuditEvent{}).Where(where).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no %s in the year", what)
		}
	}
	for _, kind := range []string{"agreement_signature", "agreement_renewal", "group_supervision_record", "team_brief", "team_caseload_review", "case_file_audit", "case_transfer_supervision"} {
		var n int64
		if err := db.Model(&models.DueItem{}).Where("kind = ? AND status = ?", kind, "met").Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no %s met in the year", kind)
		}
	}
	t.Logf("%d workflows, %d updates, %d audit events in %v", res.Workflows, res.Updates, res.AuditEvents, res.Total)
}
