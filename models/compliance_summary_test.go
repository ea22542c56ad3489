package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/policy"
)

// Issue 14 part 5: the stored summary (migration 23, kept on the write
// path) equals the report recomputed from the due items, for every month,
// authority and team, on random data counted by the migration's rebuild,
// and again after writes through RecordEvent: late items met, items closed,
// items moved between teams and new items due this month (some pending),
// and after a leaver's records are erased.
func TestComplianceSummaryEqualsRecomputed(t *testing.T) {
	ctx := context.Background()
	today := policy.DateOf(time.Now()).String()
	months := []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", today[:7]}
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= 3; seed++ {
				db := b.Open(t)
				seedRandomCompliance(t, db, seed)
				if err := models.RebuildComplianceSummary(ctx, db); err != nil {
					t.Fatal(err)
				}
				compareSummary(t, db, fmt.Sprintf("seed %d, rebuilt", seed), months, today)
				writeRandomUpdates(t, db, seed, today)
				compareSummary(t, db, fmt.Sprintf("seed %d, after updates", seed), months, today)
				// A leaver's personal records erased (retention): their items leave the summary too.
				if err := db.Transaction(func(tx *gorm.DB) error { _, err := models.PurgePersonalRecords(tx, "sw-2"); return err }); err != nil {
					t.Fatal(err)
				}
				compareSummary(t, db, fmt.Sprintf("seed %d, after sw-2's records were erased", seed), months, today)
			}
		})
	}
}

func compareSummary(t *testing.T, db *gorm.DB, where string, months []string, today string) {
	t.Helper()
	ctx := context.Background()
	decided := 0
	for _, authority := range []string{"cumberland", "bolton"} {
		for _, month := range months {
			items, err := models.ComputeCompliance(ctx, db, authority, month, today)
			if err != nil {
				t.Fatal(err)
			}
			for _, team := range []string{"", "north", "south", "east"} {
				want := models.CountsOnly(models.SummariseCompliance(items, team))
				got, err := models.ComplianceSummaryCounts(ctx, db, authority, month, today, team)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: %s %s team %q: the summary differs from the recomputed report:\n got %+v\nwant %+v", where, authority, month, team, got, want)
				}
				if team == "" {
					for _, d := range want {
						decided += d.Total.Due
					}
				}
			}
		}
	}
	if decided < 200 {
		t.Fatalf("%s: only %d items compared", where, decided)
	}
}

// writeRandomUpdates writes through the product's write path (RecordEvent):
// open items met late, open items closed, items moved to another team, and
// new items this month due before and after today, some then met on time.
func writeRandomUpdates(t *testing.T, db *gorm.DB, seed uint64, today string) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 23))
	a := activities.Activities{DB: db}
	var rows []models.DueItem
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	n := 0
	write := func(r models.DueItem) {
		n++
		rec := activities.DueItemRecord{Key: r.Key, Kind: r.Kind, StaffID: r.StaffID, CaseID: r.CaseID, Team: r.Team,
			Authority: r.Authority, DueOn: r.DueOn, Status: r.Status, RuleID: r.RuleID}
		if r.MetOn != nil {
			rec.MetOn = *r.MetOn
		}
		ev := activities.Event{WorkflowID: r.WorkflowID, EventID: fmt.Sprintf("u%d-%d", seed, n), Actor: "system", Action: "test.due_changed",
			Authority: r.Authority, Due: []activities.DueItemRecord{rec}}
		if _, err := a.RecordEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	teams := []string{"north", "south", "east"}
	changed := 0
	for _, r := range rows {
		open := r.Status == models.DueStatusDue || r.Status == models.DueStatusOverdue
		switch k := rng.IntN(6); {
		case open && k == 0: // a late item met today
			r.Status, r.MetOn = models.DueStatusMet, &today
		case open && k == 1: // closed
			r.Status = models.DueStatusClosed
		case k == 2: // a transfer
			r.Team = teams[(slicesIndex(teams, r.Team)+1)%len(teams)]
		default:
			continue
		}
		write(r)
		changed++
	}
	first := today[:8] + "01"
	for i := range 60 {
		r := models.DueItem{WorkflowID: "W:new", Key: fmt.Sprintf("n%d-%d", seed, i), Kind: models.ComplianceDuties[rng.IntN(len(models.ComplianceDuties))].Kinds[0],
			StaffID: "sw-1", Team: teams[rng.IntN(3)], Authority: []string{"cumberland", "bolton"}[rng.IntN(2)],
			DueOn: []string{first, today, "2026-12-31"}[rng.IntN(3)], Status: models.DueStatusDue, RuleID: "R-1"}
		write(r)
		switch rng.IntN(3) {
		case 0: // held today: on time unless it fell due before
			r.Status, r.MetOn = models.DueStatusMet, &today
			write(r)
		case 1: // closed today: not owed if not yet due, else missed
			r.Status = models.DueStatusClosed
			write(r)
		}
	}
	if changed < 50 {
		t.Fatalf("only %d updates", changed)
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
