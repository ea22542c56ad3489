package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/policy"
)

// Issue 14 part 5: the report is computed by one statement read in index
// order and summarised in one pass. It must equal what the report computed
// before (kept below as the reference: every due item of the month loaded,
// supervisors looked up in Go, one pass per duty): random due items,
// supervision histories and sessions, then every authority, month and a
// spread of "as at" days compared, on both databases.
func TestComplianceEqualsReferenceOnRandomData(t *testing.T) {
	ctx := context.Background()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= 3; seed++ {
				db := b.Open(t)
				seedRandomCompliance(t, db, seed)
				compared := 0
				for _, authority := range []string{"cumberland", "bolton"} {
					for _, month := range []string{"2026-02", "2026-03", "2026-04"} {
						for _, asAt := range []string{month + "-01", month + "-15", month + "-28", "2026-04-30", "2026-05-31"} {
							if asAt < month+"-01" {
								continue
							}
							want, err := referenceCompliance(ctx, db, authority, month, asAt)
							if err != nil {
								t.Fatal(err)
							}
							got, err := models.ComputeCompliance(ctx, db, authority, month, asAt)
							if err != nil {
								t.Fatal(err)
							}
							where := fmt.Sprintf("seed %d, %s %s as at %s", seed, authority, month, asAt)
							if !reflect.DeepEqual(got, want) {
								t.Fatalf("%s: items differ from the reference:\n got %+v\nwant %+v", where, got, want)
							}
							for _, team := range []string{"", "north", "south"} {
								if g, w := models.SummariseCompliance(got, team), referenceSummarise(want, team); !reflect.DeepEqual(g, w) {
									t.Fatalf("%s team %q: summary differs from the reference:\n got %+v\nwant %+v", where, team, g, w)
								}
							}
							compared += len(want)
						}
					}
				}
				if compared < 500 {
					t.Fatalf("seed %d: only %d items compared: the random data is too thin to prove anything", seed, compared)
				}
			}
		})
	}
}

// seedRandomCompliance writes due items of every report kind (and some
// not reported, or without a rule) over February to April 2026 in two
// authorities, written at random instants (some across London midnight),
// overlapping supervision histories and sessions, some shorter than usual.
func seedRandomCompliance(t *testing.T, db *gorm.DB, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 14))
	var kinds []string
	for _, d := range models.ComplianceDuties {
		kinds = append(kinds, d.Kinds...)
	}
	kinds = append(kinds, "case_record", "agreement_signature")
	staff := []string{"sw-1", "sw-2", "sw-3", "sw-4", "sw-5", "sw-6", "nq-1", ""}
	start := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	instant := func(after time.Time, days int) time.Time {
		return after.Add(time.Duration(rng.IntN(days*24*60)) * time.Minute).Truncate(time.Second)
	}
	day := func(from time.Time, days int) string {
		return from.AddDate(0, 0, rng.IntN(days)).Format(models.DateLayout)
	}
	var rows []models.DueItem
	for i := range 400 {
		s := staff[rng.IntN(len(staff))]
		wf := "W:" + s
		if rng.IntN(3) == 0 {
			wf = fmt.Sprintf("C:case-%d", rng.IntN(5))
		}
		r := models.DueItem{WorkflowID: wf, Key: fmt.Sprintf("k%03d", i), Kind: kinds[rng.IntN(len(kinds))], StaffID: s,
			Team: []string{"north", "south", "east"}[rng.IntN(3)], Authority: []string{"cumberland", "bolton"}[rng.IntN(2)],
			DueOn: day(start, 100), RuleID: "R-1"}
		if rng.IntN(10) == 0 {
			r.RuleID = ""
		}
		if wf != "W:"+s {
			r.CaseID = wf[2:]
		}
		r.CreatedAt = instant(start, 100)
		r.UpdatedAt = r.CreatedAt
		if rng.IntN(4) > 0 {
			r.UpdatedAt = instant(r.CreatedAt, 40)
		}
		switch rng.IntN(4) {
		case 0:
			r.Status = models.DueStatusDue
		case 1:
			r.Status = models.DueStatusOverdue
		case 2:
			r.Status = models.DueStatusMet
			met := r.UpdatedAt.AddDate(0, 0, -rng.IntN(5)).Format(models.DateLayout)
			r.MetOn = &met
		default:
			r.Status = models.DueStatusClosed
		}
		rows = append(rows, r)
	}
	if err := db.CreateInBatches(rows, 100).Error; err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range staff[:len(staff)-1] {
		from := start.AddDate(0, 0, -30)
		for k := range 1 + rng.IntN(4) {
			n++
			a := models.SupervisorAssignment{StaffID: s, SupervisorID: fmt.Sprintf("tm-%d", rng.IntN(4)), From: day(from, 40),
				WorkflowID: "W:" + s, EventID: fmt.Sprintf("a%d", n)}
			if k < 3 || rng.IntN(2) == 0 {
				to := day(from.AddDate(0, 0, 20), 60) // histories overlap and share days
				a.To = &to
			}
			from = from.AddDate(0, 0, rng.IntN(30))
			if err := db.Create(&a).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 120 {
		s := staff[rng.IntN(len(staff)-1)]
		ses := models.Session{WorkflowID: "W:" + s, EventID: fmt.Sprintf("e%d", i), StaffID: s, HeldOn: day(start, 100),
			DurationMinutes: 30 + rng.IntN(90), UsualMinutes: []int{0, 60, 90}[rng.IntN(3)]}
		if err := db.Create(&ses).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// referenceCompliance is ComputeCompliance as it was before issue 14 part
// 5, kept as the definition the fast one must equal.
func referenceCompliance(ctx context.Context, db *gorm.DB, authority, month, asAt string) ([]models.ComplianceItem, error) {
	first, last, err := models.MonthBounds(month)
	if err != nil {
		return nil, err
	}
	d, err := policy.ParseDate(asAt)
	if err != nil {
		return nil, err
	}
	next := d.AddDays(1)
	cutoff := time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, policy.London)
	var kinds []string
	dutyOf := map[string]string{}
	for _, duty := range models.ComplianceDuties {
		kinds = append(kinds, duty.Kinds...)
		for _, k := range duty.Kinds {
			dutyOf[k] = duty.Name
		}
	}
	var rows []models.DueItem
	if err := db.WithContext(ctx).
		Where("authority = ? AND due_on >= ? AND due_on <= ? AND kind IN ? AND rule_id <> ''", authority, first, last, kinds).
		Order(`due_on, staff_id, workflow_id, "key", id`).Find(&rows).Error; err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range rows {
		if r.StaffID != "" && !slices.Contains(ids, r.StaffID) {
			ids = append(ids, r.StaffID)
		}
	}
	supervisors := map[string][]models.SupervisorAssignment{}
	if len(ids) > 0 {
		var as []models.SupervisorAssignment
		if err := db.WithContext(ctx).Where("staff_id IN ?", ids).Order("from_date, id").Find(&as).Error; err != nil {
			return nil, err
		}
		for _, a := range as {
			supervisors[a.StaffID] = append(supervisors[a.StaffID], a)
		}
	}
	supervisorOn := func(as []models.SupervisorAssignment, day string) string {
		who := ""
		for _, a := range as {
			if a.From <= day && (a.To == nil || day < *a.To) {
				who = a.SupervisorID
			}
		}
		return who
	}
	items := make([]models.ComplianceItem, 0, len(rows))
	for _, r := range rows {
		if !r.CreatedAt.Before(cutoff) {
			continue
		}
		it := models.ComplianceItem{
			DueItemID: r.ID, WorkflowID: r.WorkflowID, Key: r.Key, Kind: r.Kind, Duty: dutyOf[r.Kind],
			StaffID: r.StaffID, CaseID: r.CaseID, Team: r.Team, DueOn: r.DueOn,
			SupervisorID: supervisorOn(supervisors[r.StaffID], r.DueOn),
		}
		settledByD := r.UpdatedAt.Before(cutoff)
		switch {
		case r.MetOn != nil && *r.MetOn <= asAt && settledByD:
			it.MetOn = *r.MetOn
			it.Outcome = models.OutcomeOnTime
			if *r.MetOn > r.DueOn {
				it.Outcome = models.OutcomeLate
			}
		case r.Status == models.DueStatusClosed && r.MetOn == nil && settledByD:
			if policy.DateOf(r.UpdatedAt).String() <= r.DueOn {
				continue
			}
			it.Outcome = models.OutcomeMissed
		case r.DueOn < asAt:
			it.Outcome = models.OutcomeMissed
		default:
			it.Outcome = models.OutcomePending
		}
		items = append(items, it)
	}
	// Short sessions, as flagShortSessions reads them.
	var short []models.Session
	if err := db.WithContext(ctx).Where("usual_minutes > 0 AND usual_minutes > duration_minutes").Find(&short).Error; err != nil {
		return nil, err
	}
	for i := range items {
		it := &items[i]
		if it.MetOn == "" || (it.Kind != "supervision_session" && it.Kind != "asye_session") {
			continue
		}
		for _, s := range short {
			if s.WorkflowID == it.WorkflowID && s.HeldOn == it.MetOn {
				it.Short = true
			}
		}
	}
	return items, nil
}

// referenceSummarise is SummariseCompliance as it was: one pass per duty.
func referenceSummarise(items []models.ComplianceItem, team string) []models.DutyCompliance {
	add := func(c *models.ComplianceCounts, it models.ComplianceItem) {
		c.Due++
		if it.Short {
			c.Short++
			c.ShortItems = append(c.ShortItems, it.Ref())
		}
		switch it.Outcome {
		case models.OutcomeOnTime:
			c.OnTime++
			c.OnTimeItems = append(c.OnTimeItems, it.Ref())
		case models.OutcomeLate:
			c.Late++
			c.LateItems = append(c.LateItems, it.Ref())
		case models.OutcomeMissed:
			c.Missed++
			c.MissedItems = append(c.MissedItems, it.Ref())
		default:
			c.Pending++
			c.PendingItems = append(c.PendingItems, it.Ref())
		}
		if decided := c.OnTime + c.Late + c.Missed; decided > 0 {
			r := float64(c.OnTime) / float64(decided)
			c.Rate = &r
		}
	}
	emptyLists := func(c *models.ComplianceCounts) {
		for _, l := range []*[]string{&c.OnTimeItems, &c.LateItems, &c.MissedItems, &c.PendingItems} {
			if *l == nil {
				*l = []string{}
			}
		}
	}
	group := func(m map[string]*models.GroupCounts, id string) *models.ComplianceCounts {
		if m[id] == nil {
			m[id] = &models.GroupCounts{ID: id}
		}
		return &m[id].ComplianceCounts
	}
	sorted := func(m map[string]*models.GroupCounts) []models.GroupCounts {
		out := make([]models.GroupCounts, 0, len(m))
		for _, g := range m {
			emptyLists(&g.ComplianceCounts)
			out = append(out, *g)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	out := make([]models.DutyCompliance, 0, len(models.ComplianceDuties))
	for _, duty := range models.ComplianceDuties {
		dc := models.DutyCompliance{Duty: duty.Name, Kinds: duty.Kinds}
		teams, sups, workers := map[string]*models.GroupCounts{}, map[string]*models.GroupCounts{}, map[string]*models.GroupCounts{}
		for _, it := range items {
			if it.Duty != duty.Name || (team != "" && it.Team != team) {
				continue
			}
			add(&dc.Total, it)
			add(group(teams, it.Team), it)
			add(group(sups, it.SupervisorID), it)
			add(group(workers, it.StaffID), it)
		}
		emptyLists(&dc.Total)
		dc.ByTeam, dc.BySupervisor, dc.ByWorker = sorted(teams), sorted(sups), sorted(workers)
		out = append(out, dc)
	}
	return out
}

// Migration 19 on a database that has migration 9's index: the report's
// index replaces it, and a fresh database ends the same.
func TestMigration19ReplacesTheAuthorityIndex(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			m := db.Migrator()
			if !m.HasIndex(&models.DueItem{}, "ix_due_items_report") || m.HasIndex(&models.DueItem{}, "ix_due_items_authority_due") {
				t.Fatal("a fresh database: want ix_due_items_report and not ix_due_items_authority_due")
			}
			// Back to version 18 with migration 9's index, then up again.
			if err := db.Exec("DROP INDEX ix_due_items_report").Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("CREATE INDEX ix_due_items_authority_due ON due_items (authority, due_on)").Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("DELETE FROM schema_migrations WHERE version >= 19").Error; err != nil {
				t.Fatal(err)
			}
			if err := models.Migrate(db); err != nil {
				t.Fatal(err)
			}
			if !m.HasIndex(&models.DueItem{}, "ix_due_items_report") || m.HasIndex(&models.DueItem{}, "ix_due_items_authority_due") {
				t.Fatal("after migration 19: want ix_due_items_report and not ix_due_items_authority_due")
			}
		})
	}
}
