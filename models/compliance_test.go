package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
)

// seedItem is a due item with the instants it was first and last written.
type seedItem struct {
	key, kind, staff, team, authority, due, met, status string
	created, updated                                    string // YYYY-MM-DD, written at 12:00 UTC
}

func noon(t *testing.T, day string) time.Time {
	t.Helper()
	d, err := time.Parse(models.DateLayout, day)
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(12 * time.Hour)
}

func seedCompliance(t *testing.T, db *gorm.DB, items []seedItem) {
	t.Helper()
	for _, s := range items {
		row := models.DueItem{WorkflowID: "W:" + s.staff, Key: s.key, Kind: s.kind, StaffID: s.staff, Team: s.team, Authority: s.authority,
			DueOn: s.due, Status: s.status, RuleID: "R-" + s.kind, CreatedAt: noon(t, s.created), UpdatedAt: noon(t, s.updated)}
		if s.met != "" {
			row.MetOn = &s.met
		}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	to := "2026-03-12"
	for _, a := range []models.SupervisorAssignment{
		{StaffID: "sw-1", SupervisorID: "tm-1", From: "2026-01-01", To: &to, WorkflowID: "W:sw-1", EventID: "a1"},
		{StaffID: "sw-1", SupervisorID: "tm-2", From: "2026-03-12", WorkflowID: "W:sw-1", EventID: "a2"},
		{StaffID: "sw-2", SupervisorID: "tm-1", From: "2025-01-01", WorkflowID: "W:sw-2", EventID: "a1"},
		{StaffID: "sw-3", SupervisorID: "tm-3", From: "2025-01-01", WorkflowID: "W:sw-3", EventID: "a1"},
	} {
		if err := db.Create(&a).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// March 2026 in Cumberland: every outcome and its boundaries.
var marchItems = []seedItem{
	{"a", "asye_session", "sw-1", "north", "cumberland", "2026-03-10", "2026-03-10", "met", "2026-03-01", "2026-03-10"},        // held on the due day: on time
	{"b", "asye_review", "sw-1", "north", "cumberland", "2026-03-10", "2026-03-11", "met", "2026-03-01", "2026-03-11"},         // a day late
	{"c", "asye_session", "sw-1", "north", "cumberland", "2026-03-15", "", "overdue", "2026-03-01", "2026-03-16"},              // never held
	{"d", "supervision_session", "sw-2", "north", "cumberland", "2026-03-31", "", "due", "2026-03-01", "2026-03-01"},           // due on the last day
	{"e", "supervision_session", "sw-2", "north", "cumberland", "2026-03-20", "2026-03-19", "met", "2026-03-01", "2026-03-25"}, // held early, recorded late
	{"f", "agreement_signature", "sw-2", "north", "cumberland", "2026-03-12", "", "closed", "2026-03-01", "2026-03-05"},        // closed before due: not owed
	{"g", "agreement_signature", "sw-2", "north", "cumberland", "2026-03-12", "", "closed", "2026-03-01", "2026-03-20"},        // closed after due: missed
	{"h", "case_supervision", "sw-3", "south", "cumberland", "2026-03-05", "2026-03-04", "met", "2026-03-01", "2026-03-04"},
	{"i", "record_signoff", "sw-1", "north", "cumberland", "2026-02-28", "", "overdue", "2026-02-01", "2026-02-01"},        // another month
	{"j", "supervision_rebooking", "sw-1", "north", "cumberland", "2026-03-20", "", "overdue", "2026-04-03", "2026-04-03"}, // recorded in April
	{"k", "asye_session", "sw-9", "north", "bolton", "2026-03-10", "", "overdue", "2026-03-01", "2026-03-01"},              // another authority
	{"l", "case_record", "sw-3", "south", "cumberland", "2026-03-10", "", "overdue", "2026-03-01", "2026-03-01"},           // not a supervision duty
}

type counts struct{ due, onTime, late, missed, pending int }

func countsOf(c models.ComplianceCounts) counts {
	return counts{c.Due, c.OnTime, c.Late, c.Missed, c.Pending}
}

func duty(t *testing.T, ds []models.DutyCompliance, name string) models.DutyCompliance {
	t.Helper()
	for _, d := range ds {
		if d.Duty == name {
			return d
		}
	}
	t.Fatalf("no duty %q in the report", name)
	return models.DutyCompliance{}
}

func TestComplianceAsAt(t *testing.T) {
	ctx := context.Background()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			seedCompliance(t, db, marchItems)
			// A sign-off no rule dates (Plymouth, Bracknell Forest) is listed
			// from its session, never owed: no record_signoff is counted.
			unruled := models.DueItem{WorkflowID: "SignOff:sw-2.s1", Key: "signoff", Kind: "record_signoff", StaffID: "sw-2", Team: "north",
				Authority: "cumberland", DueOn: "2026-03-05", Status: "due", CreatedAt: noon(t, "2026-03-05"), UpdatedAt: noon(t, "2026-03-05")}
			if err := db.Create(&unruled).Error; err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				asAt string
				want map[string]counts
			}{
				{"2026-04-01", map[string]counts{
					"asye_session": {3, 1, 1, 1, 0}, "personal_supervision": {2, 1, 0, 1, 0}, "agreement": {1, 0, 0, 1, 0},
					"case_supervision": {1, 1, 0, 0, 0}, "record_signoff": {}, "rebooking": {},
				}},
				// The last day: an item due today is not yet missed.
				{"2026-03-31", map[string]counts{"personal_supervision": {2, 1, 0, 0, 1}, "agreement": {1, 0, 0, 1, 0}}},
				// The session of the 19th was recorded on the 25th: unknown on the 22nd.
				{"2026-03-22", map[string]counts{"asye_session": {3, 1, 1, 1, 0}, "personal_supervision": {2, 0, 0, 1, 1}, "agreement": {1, 0, 0, 1, 0}}},
				// On the 15th agreement g's closure was not yet recorded: open, past due.
				{"2026-03-15", map[string]counts{"asye_session": {3, 1, 1, 0, 1}, "agreement": {1, 0, 0, 1, 0}}},
				// On the due day itself nothing is missed; f was already closed.
				{"2026-03-10", map[string]counts{"asye_session": {3, 1, 0, 0, 2}, "agreement": {1, 0, 0, 0, 1}, "case_supervision": {1, 1, 0, 0, 0}}},
				// The rebooking recorded in April counts once recorded.
				{"2026-04-05", map[string]counts{"rebooking": {1, 0, 0, 1, 0}}},
			} {
				items, err := models.ComputeCompliance(ctx, db, "cumberland", "2026-03", tc.asAt)
				if err != nil {
					t.Fatal(err)
				}
				report := models.SummariseCompliance(items, "")
				if len(report) != len(models.ComplianceDuties) {
					t.Fatalf("as at %s: %d duties, want every one", tc.asAt, len(report))
				}
				for name, want := range tc.want {
					if got := countsOf(duty(t, report, name).Total); got != want {
						t.Errorf("as at %s: %s = %+v, want %+v", tc.asAt, name, got, want)
					}
				}
			}
		})
	}
}

func TestComplianceBreakdownsAndLists(t *testing.T) {
	ctx := context.Background()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			seedCompliance(t, db, marchItems)
			items, err := models.ComputeCompliance(ctx, db, "cumberland", "2026-03", "2026-04-01")
			if err != nil {
				t.Fatal(err)
			}
			asye := duty(t, models.SummariseCompliance(items, ""), "asye_session")
			if asye.Total.Rate == nil || *asye.Total.Rate < 0.333 || *asye.Total.Rate > 0.334 {
				t.Fatalf("ASYE rate %v, want 1/3", asye.Total.Rate)
			}
			if !slices.Equal(asye.Total.OnTimeItems, []string{"W:sw-1/a"}) || !slices.Equal(asye.Total.LateItems, []string{"W:sw-1/b"}) ||
				!slices.Equal(asye.Total.MissedItems, []string{"W:sw-1/c"}) {
				t.Fatalf("ASYE lists %+v", asye.Total)
			}
			// sw-1 changed supervisor on the 12th: the items due on the 10th
			// are tm-1's, the one due on the 15th tm-2's.
			if len(asye.BySupervisor) != 2 || asye.BySupervisor[0].ID != "tm-1" || countsOf(asye.BySupervisor[0].ComplianceCounts) != (counts{2, 1, 1, 0, 0}) ||
				asye.BySupervisor[1].ID != "tm-2" || countsOf(asye.BySupervisor[1].ComplianceCounts) != (counts{1, 0, 0, 1, 0}) {
				t.Fatalf("ASYE by supervisor %+v", asye.BySupervisor)
			}
			if len(asye.ByWorker) != 1 || asye.ByWorker[0].ID != "sw-1" || len(asye.ByTeam) != 1 || asye.ByTeam[0].ID != "north" {
				t.Fatalf("ASYE by worker %+v, by team %+v", asye.ByWorker, asye.ByTeam)
			}
			personal := duty(t, models.SummariseCompliance(items, ""), "personal_supervision")
			if personal.Total.Rate == nil || *personal.Total.Rate != 0.5 {
				t.Fatalf("personal supervision rate %v, want 0.5", personal.Total.Rate)
			}
			if none := duty(t, models.SummariseCompliance(items, ""), "record_signoff"); none.Total.Rate != nil || none.Total.Due != 0 {
				t.Fatalf("record sign-off: %+v, want nothing due and no rate", none.Total)
			}

			// A team's view is the same items filtered.
			south := models.SummariseCompliance(items, "south")
			if got := countsOf(duty(t, south, "case_supervision").Total); got != (counts{1, 1, 0, 0, 0}) {
				t.Fatalf("south case supervision %+v", got)
			}
			if got := duty(t, south, "asye_session").Total.Due; got != 0 {
				t.Fatalf("south has %d ASYE items, want 0", got)
			}
		})
	}
}

func TestComplianceReportStoredOncePerMonth(t *testing.T) {
	ctx := context.Background()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			seedCompliance(t, db, marchItems)
			for _, asAt := range []string{"2026-03-22", "2026-04-01"} {
				items, err := models.ComputeCompliance(ctx, db, "cumberland", "2026-03", asAt)
				if err != nil {
					t.Fatal(err)
				}
				if err := models.SaveComplianceReport(ctx, db, "cumberland", "2026-03", asAt, "ComplianceReport:cumberland", items); err != nil {
					t.Fatal(err)
				}
			}
			var n int64
			db.Model(&models.ComplianceReport{}).Count(&n)
			if n != 1 {
				t.Fatalf("%d stored reports for one month, want 1", n)
			}
			rep, items, err := models.GetComplianceReport(ctx, db, "cumberland", "2026-03")
			if err != nil {
				t.Fatal(err)
			}
			if rep.AsAt != "2026-04-01" || len(items) != 7 {
				t.Fatalf("stored report as at %s with %d items, want the latest (2026-04-01, 7 items)", rep.AsAt, len(items))
			}
			if _, _, err := models.GetComplianceReport(ctx, db, "cumberland", "2026-02"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("a month never stored: %v, want not found", err)
			}
			if _, err := models.ComputeCompliance(ctx, db, "cumberland", "March", "2026-04-01"); err == nil || !strings.Contains(err.Error(), "YYYY-MM") {
				t.Fatalf("bad month: %v", err)
			}
		})
	}
}
