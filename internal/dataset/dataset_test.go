package dataset_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/securebase/securebase/internal/dataset"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/models/pgtest"
	"github.com/securebase/securebase/policy"
)

// TestMain stops the PostgreSQL cluster pgtest starts.
func TestMain(m *testing.M) { pgtest.Main(m) }

var datasetDay = policy.NewDate(2026, 11, 30)

// loadDataset generates a dataset into a fresh PostgreSQL database.
func loadDataset(t testing.TB, seed int64, staff, cases, items int) (*gorm.DB, dataset.DatasetCounts) {
	t.Helper()
	packs, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.OpenDB(t, pgtest.URL(t), "")
	if err := models.Migrate(db); err != nil {
		t.Fatal(err)
	}
	counts, err := dataset.GenerateDataset(context.Background(), db, dataset.DatasetOptions{
		Seed: seed, Staff: staff, Cases: cases, Items: items, AsOf: datasetDay, Packs: packs,
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return db, counts
}

func checksum(t *testing.T, db *gorm.DB) string {
	t.Helper()
	sum, err := dataset.DatasetChecksum(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestDatasetIsDeterministicForASeed(t *testing.T) {
	t.Parallel()
	a, ca := loadDataset(t, 7, 110, 400, 6000)
	b, cb := loadDataset(t, 7, 110, 400, 6000)
	c, _ := loadDataset(t, 8, 110, 400, 6000)
	if ca != cb {
		t.Fatalf("same seed, different counts:\n%+v\n%+v", ca, cb)
	}
	if sa, sb := checksum(t, a), checksum(t, b); sa != sb {
		t.Fatalf("same seed, different checksums %s and %s", sa, sb)
	}
	if sa, sc := checksum(t, a), checksum(t, c); sa == sc {
		t.Fatalf("seeds 7 and 8 gave the same checksum %s", sa)
	}
	// Loading twice into one database is refused, not doubled.
	packs, _ := policy.Load()
	if _, err := dataset.GenerateDataset(context.Background(), a, dataset.DatasetOptions{
		Seed: 7, Staff: 110, Cases: 400, Items: 6000, AsOf: datasetDay, Packs: packs,
	}); err == nil || !strings.Contains(err.Error(), "already has 110 staff") {
		t.Fatalf("second load into the same database: %v", err)
	}
}

// TestDatasetShapeAndHotReadPlans loads a dataset large enough that the
// planner's choices are its own (no enable_seqscan tricks), checks the rows
// look like what the lifecycles write, and that no hot read path scans a
// hot table sequentially.
func TestDatasetShapeAndHotReadPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const staff, cases, items = 1100, 10000, 100000
	db, counts := loadDataset(t, 1, staff, cases, items)
	if counts.Staff != staff || counts.Cases != cases {
		t.Fatalf("counts %+v, want %d staff and %d cases", counts, staff, cases)
	}
	if n := counts.Sessions + counts.DueItems; n < items*3/4 || n > items*5/4 {
		t.Errorf("%d sessions + due items, want about %d", n, items)
	}
	if counts.Records == 0 || counts.Audit == 0 || counts.Assignments < staff*9/10 {
		t.Errorf("counts %+v: want records, an audit sample and an assignment for (nearly) every supervisee", counts)
	}

	// Formats: dates as YYYY-MM-DD, business-keyed workflow ids, every rule id
	// one of its authority's pack.
	var bad int64
	db.Raw(`SELECT count(*) FROM due_items WHERE due_on !~ '^\d{4}-\d{2}-\d{2}$' OR (met_on IS NOT NULL AND met_on !~ '^\d{4}-\d{2}-\d{2}$')
		OR workflow_id !~ '^(Supervision|ASYE|Case|SignOff):' OR status NOT IN ('due', 'overdue', 'met', 'closed')
		OR (status = 'met') <> (met_on IS NOT NULL)`).Scan(&bad)
	if bad != 0 {
		t.Errorf("%d due items are not shaped as the lifecycles write them", bad)
	}
	var rules []struct{ Authority, RuleID string }
	db.Raw("SELECT DISTINCT authority, rule_id FROM due_items").Scan(&rules)
	packs, _ := policy.Load()
	for _, r := range rules {
		p, err := packs.Pack(r.Authority, datasetDay)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.Rule(r.RuleID); !ok {
			t.Errorf("due items of %s cite rule %q, not in its pack", r.Authority, r.RuleID)
		}
	}
	var statuses []string
	db.Raw("SELECT DISTINCT status FROM due_items ORDER BY status").Scan(&statuses)
	if strings.Join(statuses, ",") != "closed,due,met,overdue" {
		t.Errorf("due item statuses %v, want all four", statuses)
	}
	if checked, broken, err := models.VerifyAudit(ctx, db); err != nil || broken != nil || int64(checked) != counts.Audit {
		t.Errorf("audit chain: checked %d of %d, broken %v, err %v", checked, counts.Audit, broken, err)
	}

	// The hot read paths, for a busy team and worker.
	var args dataset.ReadArgs
	db.Raw("SELECT team FROM due_items WHERE status = 'overdue' GROUP BY team ORDER BY count(*) DESC, team LIMIT 1").Scan(&args.Team)
	db.Raw(`SELECT staff_id FROM due_items WHERE workflow_id LIKE 'SignOff:%' AND status IN ('due', 'overdue')
		GROUP BY staff_id ORDER BY count(*) DESC, staff_id LIMIT 1`).Scan(&args.Worker)
	args.Authority, args.Authorities, args.Today = "cumberland", packs.Authorities(), datasetDay
	for _, r := range dataset.DatasetReads {
		var rows int
		stmts, err := dataset.CaptureSQL(db, func(db *gorm.DB) error {
			var err error
			rows, err = r.Run(ctx, db, args)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		if rows == 0 || len(stmts) == 0 {
			t.Errorf("%s: %d rows from %d statements, want some of each", r.Name, rows, len(stmts))
		}
		for _, stmt := range stmts {
			plan, err := dataset.ExplainAnalyze(ctx, db, stmt)
			if err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			if hot := dataset.SeqScans(plan); len(hot) > 0 {
				t.Errorf("%s: sequential scan on %v:\n%s", r.Name, hot, strings.Join(plan, "\n"))
			}
			// A month of one authority's items comes through the index made for it (migration 19).
			if strings.Contains(stmt, `FROM due_items d`) && !strings.Contains(strings.Join(plan, "\n"), "ix_due_items_report") {
				t.Errorf("%s: the compliance items are not read through ix_due_items_report:\n%s", r.Name, strings.Join(plan, "\n"))
			}
		}
	}
}

func TestSeqScansNamesHotTablesOnly(t *testing.T) {
	plan := []string{
		"Sort  (cost=85.69..86.85 rows=465 width=89)",
		"  ->  Seq Scan on due_items  (cost=0.00..65.09 rows=465 width=89)",
		"  ->  Seq Scan on supervisor_assignments  (cost=1.08..65.09 rows=465 width=89)",
		"  ->  Parallel Seq Scan on sessions  (cost=0.00..1.00 rows=1 width=8)",
		"  ->  Index Scan using staff_pkey on staff  (cost=0.28..8.29 rows=1 width=109)",
	}
	if got := strings.Join(dataset.SeqScans(plan), ","); got != "due_items,sessions" {
		t.Fatalf("SeqScans = %q, want due_items,sessions", got)
	}
}

// BenchmarkDatasetReads times the hot read paths on a small dataset; `securebase
// bench reads` does the same at national scale.
func BenchmarkDatasetReads(b *testing.B) {
	db, _ := loadDataset(b, 1, 1100, 10000, 100000)
	packs, _ := policy.Load()
	var teams, workers []string
	db.Raw("SELECT DISTINCT team FROM staff WHERE role = 'team_manager' ORDER BY team").Scan(&teams)
	db.Raw("SELECT id FROM staff WHERE role = 'social_worker' ORDER BY id").Scan(&workers)
	for _, r := range dataset.DatasetReads {
		b.Run(r.Name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				args := dataset.ReadArgs{Team: teams[i%len(teams)], Worker: workers[i%len(workers)],
					Authority: packs.Authorities()[i%5], Authorities: packs.Authorities(), Today: datasetDay}
				if _, err := r.Run(context.Background(), db, args); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
