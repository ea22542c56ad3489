package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration is one versioned schema change. Versions are applied in order,
// each in its own transaction together with its schema_migrations row, so a
// migration is either wholly applied and recorded or not at all.
type Migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB) error
}

// migrations is the schema's history. Append only: never edit or renumber a
// migration that has shipped.
//
// Version 1 runs gorm's AutoMigrate on the models. AutoMigrate only ever
// creates missing tables, columns and indexes, so when a model gains a column
// later, add a migration that AutoMigrates that model again: on an old
// database it adds the column, on a fresh one (where version 1 already
// created it from the current struct) it does nothing. Renames, drops and
// data changes need explicit SQL in their own migration.
var migrations = []Migration{
	{Version: 1, Name: "create records", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(All()...)
	}},
	{Version: 2, Name: "supervision records", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(RecordModels()...)
	}},
	{Version: 3, Name: "cases and case actions", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(CaseModels()...)
	}},
	{Version: 4, Name: "audit hash chain", Up: func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&AuditEvent{}); err != nil {
			return err
		}
		return chainExistingAudit(tx) // rows from before the chain, in id order
	}},
	{Version: 5, Name: "legal holds", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(RetentionModels()...)
	}},
	{Version: 6, Name: "compliance reports", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(ComplianceModels()...)
	}},
	{Version: 7, Name: "notification deliveries", Up: migrateOutbox}, // outbox.go
	{Version: 8, Name: "delegations", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(DelegationModels()...) // delegation.go
	}},
	// A month's compliance report for one authority read the whole nation's
	// month through ix_due_items_due (`securebase bench reads`).
	{Version: 9, Name: "due items by authority and day", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&DueItem{}) // added ix_due_items_authority_due (migration 19 replaces it)
	}},
	// Personal text out of the audit log, where a purge can reach it (personal_text.go).
	{Version: 10, Name: "personal texts", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&PersonalText{})
	}},
	// A session shorter than the usual length is recorded and flagged (issue 12).
	{Version: 15, Name: "short sessions flagged", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Session{}) // adds sessions.usual_minutes and ix_sessions_short
	}},
	// One hash chain per stream instead of one through the whole table, so
	// appends lock only their own stream's head (audit.go).
	{Version: 16, Name: "audit chains per stream", Up: migrateAuditStreams},
	// A leave dated ahead shows its day on the staff record (issue 11).
	{Version: 17, Name: "staff leaving day", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Staff{}) // adds staff.left_on
	}},
	// A leaver who comes back is rehired into a new period of employment;
	// everyone so far is in their first (issue 13).
	{Version: 18, Name: "staff periods", Up: migrateStaffPeriods},
	// The monthly compliance report reads a month of an authority's items
	// in report order (compliance.go): on PostgreSQL from this index alone
	// (an index-only scan, no heap page per item), replacing
	// ix_due_items_authority_due, which it leads with (issue 14).
	{Version: 19, Name: "due items in report order", Up: migrateReportIndex},
	// An NQSW imported part way through the programme: their caseload share
	// runs from the programme's start, not the start date (issue 13).
	{Version: 20, Name: "staff ASYE start", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&Staff{}) // adds staff.asye_start
	}},
	// The report's counts per authority, team, duty and due day, kept on
	// the write path (compliance_summary.go), counted here from the items.
	{Version: 23, Name: "compliance summary", Up: migrateComplianceSummary},
}

// Migrations returns the migrations this binary knows, oldest first.
func Migrations() []Migration { return append([]Migration(nil), migrations...) }

// SchemaVersion is the schema version this binary needs.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// SchemaMigration records one applied migration.
type SchemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"not null"`
	AppliedAt time.Time `gorm:"not null"`
}

func (SchemaMigration) TableName() string { return "schema_migrations" }

var (
	// ErrSchemaBehind: the database needs `securebase migrate` before this
	// binary may use it.
	ErrSchemaBehind = errors.New("database schema is behind this binary")
	// ErrSchemaAhead: a newer securebase has migrated the database; this
	// binary must not write to it.
	ErrSchemaAhead = errors.New("database schema is ahead of this binary")
)

// SchemaVersionError says how the database's schema version differs from
// the binary's. errors.Is matches ErrSchemaBehind or ErrSchemaAhead.
type SchemaVersionError struct {
	Database int // version recorded in schema_migrations (0: none)
	Binary   int // SchemaVersion()
}

func (e *SchemaVersionError) Error() string {
	if e.Database < e.Binary {
		return fmt.Sprintf("database schema is at version %d, this binary needs %d: run `securebase migrate`", e.Database, e.Binary)
	}
	return fmt.Sprintf("database schema is at version %d, newer than this binary's %d: run the newer securebase release", e.Database, e.Binary)
}

func (e *SchemaVersionError) Is(target error) bool {
	switch target {
	case ErrSchemaBehind:
		return e.Database < e.Binary
	case ErrSchemaAhead:
		return e.Database > e.Binary
	}
	return false
}

// CheckSchema returns nil when the database is at exactly this binary's
// schema version, and a *SchemaVersionError otherwise (or the error reading
// the version). Servers call it at start-up instead of migrating.
func CheckSchema(db *gorm.DB) error {
	v, err := CurrentVersion(db)
	if err != nil {
		return err
	}
	if v != SchemaVersion() {
		return &SchemaVersionError{Database: v, Binary: SchemaVersion()}
	}
	return nil
}

// CurrentVersion is the highest applied migration, 0 on an empty database.
func CurrentVersion(db *gorm.DB) (int, error) {
	if !db.Migrator().HasTable(&SchemaMigration{}) {
		return 0, nil
	}
	return maxVersion(db)
}

func maxVersion(db *gorm.DB) (int, error) {
	var v int
	if err := db.Model(&SchemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrateLockID names the PostgreSQL advisory lock that serialises Migrate
// across processes (any constant unique to this application will do).
const migrateLockID = 0x5EC0BA5E

// Migrate applies pending migrations. It is idempotent, and safe when several
// processes run it at once: on PostgreSQL each step holds a transaction-level
// advisory lock; on SQLite each transaction begins IMMEDIATE (see SQLiteDSN),
// which takes the database's write lock. A database ahead of this binary is
// an error: an old binary must not touch a newer schema.
func Migrate(db *gorm.DB) error {
	for _, m := range migrations {
		err := db.Transaction(func(tx *gorm.DB) error {
			if tx.Dialector.Name() == "postgres" {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockID).Error; err != nil {
					return fmt.Errorf("lock migrations: %w", err)
				}
			}
			// Under the lock, so two processes can't both create it.
			if err := tx.AutoMigrate(&SchemaMigration{}); err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
			v, err := maxVersion(tx)
			if err != nil {
				return err
			}
			if v > SchemaVersion() {
				return &SchemaVersionError{Database: v, Binary: SchemaVersion()}
			}
			if v >= m.Version {
				return nil // applied already (perhaps by another process a moment ago)
			}
			if err := m.Up(tx); err != nil {
				return err
			}
			return tx.Create(&SchemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			var sv *SchemaVersionError
			if errors.As(err, &sv) {
				return err
			}
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// migrateAuditStreams adds the stream and seq columns (when an old
// audit_events lacks them) and the chain's tables, re-chains every row into
// its stream in id order, and only then makes (stream, seq) unique.
func migrateAuditStreams(tx *gorm.DB) error {
	for _, col := range []string{"Stream", "Seq"} {
		if !tx.Migrator().HasColumn(&AuditEvent{}, col) {
			if err := tx.Migrator().AddColumn(&AuditEvent{}, col); err != nil {
				return err
			}
		}
	}
	if err := tx.AutoMigrate(AuditModels()...); err != nil {
		return err
	}
	if err := RechainAudit(tx); err != nil {
		return err
	}
	return tx.Exec("CREATE UNIQUE INDEX IF NOT EXISTS ux_audit_events_stream_seq ON audit_events (stream, seq)").Error
}

// migrateStaffPeriods adds staff.period and the staff_periods table, and
// records everyone's first period from their staff row.
func migrateStaffPeriods(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&Staff{}, &StaffPeriod{}); err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO staff_periods (staff_id, period, authority, team, role, start_date, left_on, pack_version, created_at, updated_at)
		SELECT id, period, authority, team, role, start_date, left_on, pack_version, created_at, updated_at FROM staff
		WHERE NOT EXISTS (SELECT 1 FROM staff_periods p WHERE p.staff_id = staff.id AND p.period = staff.period)`).Error
}

// migrateReportIndex creates ix_due_items_report. SQLite has no INCLUDE: it
// gets the key columns, which give the order.
func migrateReportIndex(tx *gorm.DB) error {
	include := ` INCLUDE (kind, rule_id, status, met_on, case_id, team, created_at, updated_at)`
	if tx.Dialector.Name() != "postgres" {
		include = ""
	}
	if err := tx.Exec(`CREATE INDEX IF NOT EXISTS ix_due_items_report ON due_items (authority, due_on, staff_id, workflow_id, "key", id)` + include).Error; err != nil {
		return err
	}
	return tx.Exec("DROP INDEX IF EXISTS ix_due_items_authority_due").Error
}
