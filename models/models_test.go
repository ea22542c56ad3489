package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/dbtest"
	"github.com/securebase/securebase/models/pgtest"
)

// TestMain stops the PostgreSQL cluster pgtest starts.
func TestMain(m *testing.M) { pgtest.Main(m) }

// each runs a test once per database backend.
func each(t *testing.T, test func(t *testing.T, b dbtest.Backend)) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

func TestCheckSchemaBehindCurrentAhead(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.OpenEmpty(t)

		err := models.CheckSchema(db)
		if !errors.Is(err, models.ErrSchemaBehind) || errors.Is(err, models.ErrSchemaAhead) {
			t.Fatalf("empty database: CheckSchema = %v, want ErrSchemaBehind", err)
		}
		want := fmt.Sprintf("database schema is at version 0, this binary needs %d: run `securebase migrate`", models.SchemaVersion())
		if err.Error() != want {
			t.Fatalf("message = %q, want %q", err, want)
		}

		if err := models.Migrate(db); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if err := models.CheckSchema(db); err != nil {
			t.Fatalf("after Migrate: CheckSchema = %v", err)
		}
		if err := models.Migrate(db); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		for _, m := range models.All() {
			if !db.Migrator().HasTable(m) {
				t.Errorf("table for %T missing", m)
			}
		}
		if !db.Migrator().HasIndex(&models.SupervisorAssignment{}, "ux_assignments_open") {
			t.Errorf("partial unique index ux_assignments_open missing")
		}
		var n int64
		db.Model(&models.SchemaMigration{}).Count(&n)
		if n != int64(len(models.Migrations())) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(models.Migrations()))
		}

		// A newer binary has been here.
		if err := db.Create(&models.SchemaMigration{Version: models.SchemaVersion() + 1, Name: "from the future", AppliedAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		err = models.CheckSchema(db)
		if !errors.Is(err, models.ErrSchemaAhead) || errors.Is(err, models.ErrSchemaBehind) {
			t.Fatalf("ahead: CheckSchema = %v, want ErrSchemaAhead", err)
		}
		if err := models.Migrate(db); !errors.Is(err, models.ErrSchemaAhead) {
			t.Fatalf("ahead: Migrate = %v, want ErrSchemaAhead", err)
		}
	})
}

// Several processes starting at once must all succeed and apply each
// migration exactly once.
func TestMigrateConcurrently(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		url, path := b.New(t)
		const procs = 4
		dbs := make([]*gorm.DB, procs)
		for i := range dbs {
			dbs[i] = dbtest.OpenDB(t, url, path)
		}
		var wg sync.WaitGroup
		errs := make([]error, procs)
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = models.Migrate(db)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d: Migrate: %v", i, err)
			}
		}
		if err := models.CheckSchema(dbs[0]); err != nil {
			t.Fatal(err)
		}
		var n int64
		dbs[0].Model(&models.SchemaMigration{}).Count(&n)
		if n != int64(len(models.Migrations())) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(models.Migrations()))
		}
	})
}

func TestOneOpenAssignmentPerStaff(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.Open(t)
		a := models.SupervisorAssignment{StaffID: "emp-1", SupervisorID: "mgr-1", From: "2025-01-06", WorkflowID: "ASYE:emp-1", EventID: "e1"}
		if err := db.Create(&a).Error; err != nil {
			t.Fatal(err)
		}
		second := models.SupervisorAssignment{StaffID: "emp-1", SupervisorID: "mgr-2", From: "2025-02-03", WorkflowID: "ASYE:emp-1", EventID: "e2"}
		if err := db.Create(&second).Error; err == nil {
			t.Fatal("a second open assignment for the same staff was accepted")
		}
		closed := "2025-02-03"
		if err := db.Model(&a).Update("to_date", closed).Error; err != nil {
			t.Fatal(err)
		}
		second.ID = 0
		if err := db.Create(&second).Error; err != nil {
			t.Fatalf("new assignment after closing the old one: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestReadHelpers(t *testing.T) {
	each(t, func(t *testing.T, b dbtest.Backend) {
		db := b.Open(t)
		ctx := context.Background()
		mustCreate := func(v any) {
			t.Helper()
			if err := db.Create(v).Error; err != nil {
				t.Fatalf("create %T: %v", v, err)
			}
		}

		mustCreate(&models.Staff{ID: "emp-1", Name: "Ada", Authority: "bracknell-forest", Team: "north", Role: "nqsw",
			SupervisorID: ptr("mgr-1"), StartDate: "2025-01-06", Status: "active", PackVersion: "2025.1"})
		s, err := models.GetStaff(ctx, db, "emp-1")
		if err != nil || s.Name != "Ada" || s.SupervisorID == nil || *s.SupervisorID != "mgr-1" || s.StartDate != "2025-01-06" {
			t.Fatalf("GetStaff = %+v, %v", s, err)
		}
		if _, err := models.GetStaff(ctx, db, "nobody"); !errors.Is(err, models.ErrNotFound) || !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Fatalf("GetStaff(nobody) error = %v, want not found", err)
		}

		// Due items, inserted out of order.
		for _, d := range []models.DueItem{
			{WorkflowID: "ASYE:emp-1", Key: "session:3", StaffID: "emp-1", Team: "north", Authority: "cumberland", DueOn: "2025-02-03", Status: "due"},
			{WorkflowID: "ASYE:emp-1", Key: "session:1", StaffID: "emp-1", Team: "north", Authority: "cumberland", DueOn: "2025-01-13", Status: "met", MetOn: ptr("2025-01-10")},
			{WorkflowID: "ASYE:emp-1", Key: "session:2", StaffID: "emp-1", Team: "north", Authority: "cumberland", DueOn: "2025-01-20", Status: "overdue"},
			{WorkflowID: "ASYE:emp-1", Key: "review:3-month", StaffID: "emp-1", Team: "north", Authority: "cumberland", DueOn: "2025-04-06", Status: "due"},
			{WorkflowID: "ASYE:emp-2", Key: "session:1", StaffID: "emp-2", Team: "north", Authority: "cumberland", DueOn: "2025-01-20", Status: "due"},
			{WorkflowID: "ASYE:emp-2", Key: "session:0", StaffID: "emp-2", Team: "north", Authority: "cumberland", DueOn: "2025-01-01", Status: "closed"},
			{WorkflowID: "ASYE:emp-3", Key: "session:1", StaffID: "emp-3", Team: "south", DueOn: "2025-01-14", Status: "due"},
			// Another authority's team of the same name.
			{WorkflowID: "ASYE:emp-4", Key: "session:1", StaffID: "emp-4", Team: "north", Authority: "surrey", DueOn: "2025-01-15", Status: "overdue"},
		} {
			mustCreate(&d)
		}
		staffDue, err := models.ListDueForStaff(ctx, db, "emp-1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := keys(staffDue), "session:1 session:2 session:3 review:3-month"; got != want {
			t.Errorf("ListDueForStaff = %s, want %s", got, want)
		}
		teamDue, err := models.ListDueForTeam(ctx, db, "cumberland", "north", "2025-02-03") // inclusive
		if err != nil {
			t.Fatal(err)
		}
		if got, want := staffKeys(teamDue), "emp-1/session:2 emp-2/session:1 emp-1/session:3"; got != want {
			t.Errorf("ListDueForTeam = %s, want %s", got, want)
		}
		everywhere, err := models.ListDueForTeam(ctx, db, "", "north", "2025-02-03")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := staffKeys(everywhere), "emp-4/session:1 emp-1/session:2 emp-2/session:1 emp-1/session:3"; got != want {
			t.Errorf("ListDueForTeam in every authority = %s, want %s", got, want)
		}
		if over, err := models.ListOverdueForTeam(ctx, db, "surrey", "north"); err != nil || staffKeys(over) != "emp-4/session:1" {
			t.Errorf("ListOverdueForTeam(surrey, north) = %s %v, want only Surrey's", staffKeys(over), err)
		}
		if _, err := models.ListDueForTeam(ctx, db, "cumberland", "north", "3 Feb"); err == nil {
			t.Error("ListDueForTeam accepted a bad date")
		}

		// Sessions come back by the day they were held.
		for _, s := range []models.Session{
			{WorkflowID: "ASYE:emp-1", EventID: "session:r2", StaffID: "emp-1", SupervisorID: "mgr-1", Kind: "asye", HeldOn: "2025-01-17", DurationMinutes: 60},
			{WorkflowID: "ASYE:emp-1", EventID: "session:r1", StaffID: "emp-1", SupervisorID: "mgr-1", Kind: "asye", HeldOn: "2025-01-10", DurationMinutes: 90},
			{WorkflowID: "ASYE:emp-2", EventID: "session:r1", StaffID: "emp-2", SupervisorID: "mgr-1", Kind: "asye", HeldOn: "2025-01-10"},
		} {
			mustCreate(&s)
		}
		sessions, err := models.ListSessions(ctx, db, "emp-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(sessions) != 2 || sessions[0].EventID != "session:r1" || sessions[1].EventID != "session:r2" || sessions[0].DurationMinutes != 90 {
			t.Errorf("ListSessions = %+v", sessions)
		}

		// Instants in other zones are stored in UTC, so order is by instant:
		// 10:30 in London summer time is 09:30 UTC, before 09:45 UTC.
		bst := time.FixedZone("BST", 3600)
		at1 := time.Date(2025, 6, 2, 10, 30, 0, 0, bst)
		at2 := time.Date(2025, 6, 2, 9, 45, 0, 500_000_000, time.UTC)
		at0 := time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC).Add(-time.Microsecond)
		// Rows written around the chain (AppendAudit): distinct seqs keep (stream, seq) unique.
		mustCreate(&models.AuditEvent{Seq: 1, WorkflowID: "ASYE:emp-1", EventID: "b", StaffID: "emp-1", Action: "second", Detail: "{}", OccurredAt: at2, RecordedAt: time.Now()})
		mustCreate(&models.AuditEvent{Seq: 2, WorkflowID: "ASYE:emp-1", EventID: "a", StaffID: "emp-1", Action: "first", Detail: "{}", OccurredAt: at1, RecordedAt: time.Now()})
		mustCreate(&models.AuditEvent{Seq: 3, WorkflowID: "ASYE:emp-1", EventID: "z", StaffID: "emp-1", Action: "zeroth", Detail: "{}", OccurredAt: at0, RecordedAt: time.Now()})
		mustCreate(&models.AuditEvent{Seq: 4, WorkflowID: "ASYE:emp-2", EventID: "a", StaffID: "emp-2", Action: "other", Detail: "{}", OccurredAt: at1, RecordedAt: time.Now()})
		trail, err := models.ListAudit(ctx, db, "emp-1")
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range trail {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, " "); got != "zeroth first second" {
			t.Errorf("ListAudit order = %s, want zeroth first second", got)
		}
		if !trail[1].OccurredAt.Equal(at1) || !trail[2].OccurredAt.Equal(at2) {
			t.Errorf("occurred_at round trip: got %v, %v; want %v, %v", trail[1].OccurredAt, trail[2].OccurredAt, at1, at2)
		}
		if err := db.Save(&trail[0]).Error; !errors.Is(err, models.ErrAppendOnly) {
			t.Errorf("updating an audit event: err = %v, want ErrAppendOnly", err)
		}

		mustCreate(&models.Notification{WorkflowID: "ASYE:emp-1", EventID: "overdue:2", RecipientRole: "supervisor", Recipient: "mgr-1", StaffID: "emp-1", Kind: "overdue", CreatedAt: at2})
		mustCreate(&models.Notification{WorkflowID: "ASYE:emp-1", EventID: "overdue:1", RecipientRole: "supervisor", Recipient: "mgr-1", StaffID: "emp-1", Kind: "overdue", CreatedAt: at1})
		mustCreate(&models.Notification{WorkflowID: "ASYE:emp-2", EventID: "overdue:1", RecipientRole: "supervisor", Recipient: "mgr-1", StaffID: "emp-2", Kind: "overdue", CreatedAt: at0})
		ns, err := models.ListNotifications(ctx, db, "emp-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 2 || ns[0].EventID != "overdue:1" || ns[1].EventID != "overdue:2" {
			t.Errorf("ListNotifications = %+v", ns)
		}
		inbox, err := models.ListNotificationsTo(ctx, db, "mgr-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(inbox) != 3 || inbox[0].StaffID != "emp-2" {
			t.Errorf("ListNotificationsTo = %+v", inbox)
		}
	})
}

func keys(items []models.DueItem) string {
	var ks []string
	for _, d := range items {
		ks = append(ks, d.Key)
	}
	return strings.Join(ks, " ")
}

func staffKeys(items []models.DueItem) string {
	var ks []string
	for _, d := range items {
		ks = append(ks, d.StaffID+"/"+d.Key)
	}
	return strings.Join(ks, " ")
}
