package models

import (
	"fmt"
	"log"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/logger"

	// Pure-Go SQLite, registered as driver "sqlite" (the embedded Temporal
	// server uses the same package). Never github.com/glebarez/sqlite: it
	// registers "sqlite" a second time and panics.
	_ "modernc.org/sqlite"
)

// Open connects to PostgreSQL when databaseURL is set, otherwise to the SQLite
// file at sqlitePath (creating its directory). It does not migrate: call
// Migrate (the `migrate` command) or CheckSchema (everyone else).
func Open(databaseURL, sqlitePath string) (*gorm.DB, error) {
	return OpenWithLogger(databaseURL, sqlitePath, nil)
}

// OpenWithLogger is Open with gorm's warnings (slow queries over 1s, errors)
// sent to log; nil means the standard logger.
func OpenWithLogger(databaseURL, sqlitePath string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		Logger: quietLogger(log),
		// UTC everywhere: SQLite keeps instants as text, which only sorts
		// chronologically when every row has the same offset.
		NowFunc: func() time.Time { return time.Now().UTC() },
	}
	if databaseURL != "" {
		db, err := gorm.Open(postgres.Open(databaseURL), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return db, nil
	}

	if sqlitePath == "" {
		return nil, fmt.Errorf("open database: neither a PostgreSQL URL nor a SQLite path was given")
	}
	if dir := filepath.Dir(sqlitePath); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	db, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: "sqlite", DSN: SQLiteDSN(sqlitePath)}), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", sqlitePath, err)
	}
	withoutReturning(db)
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// can never hit SQLITE_BUSY against itself. Reads queue behind writes,
	// which is fine for the dev mode this serves.
	sqlDB.SetMaxOpenConns(1)
	return db, nil
}

// withoutReturning writes SQLite rows with plain INSERT, UPDATE and DELETE.
// A statement with RETURNING runs under a statement journal, whose 64 KiB
// in-memory chunk the pure-Go allocator maps and unmaps on every write: a due
// item's upsert took 0.84 ms with it and 0.32 ms without, and the simulated
// year spent most of its time there (issue 14). A new row's id comes from
// last_insert_rowid instead; nothing reads an id back after an upsert.
func withoutReturning(db *gorm.DB) {
	cfg := &callbacks.Config{
		CreateClauses:        []string{"INSERT", "VALUES", "ON CONFLICT"},
		UpdateClauses:        []string{"UPDATE", "SET", "FROM", "WHERE"},
		DeleteClauses:        []string{"DELETE", "FROM", "WHERE"},
		LastInsertIDReversed: true,
	}
	create, update, del := db.Callback().Create(), db.Callback().Update(), db.Callback().Delete()
	create.Clauses, update.Clauses, del.Clauses = cfg.CreateClauses, cfg.UpdateClauses, cfg.DeleteClauses
	_ = create.Replace("gorm:create", callbacks.Create(cfg))
	_ = update.Replace("gorm:update", callbacks.Update(cfg))
	_ = del.Replace("gorm:delete", callbacks.Delete(cfg))
}

// SQLiteDSN is the modernc.org/sqlite DSN for a file: WAL so readers in other
// processes don't block the writer; a busy timeout so a second process waits
// for the lock rather than failing; foreign keys on; transactions that take
// the write lock up front (BEGIN IMMEDIATE) so two processes can't deadlock
// upgrading read locks; times written in one sortable UTC format.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	// A plain path, not a file: URI, so the driver strips the query and
	// the path needs no URI escaping.
	return path + "?" + q.Encode()
}

func quietLogger(l *slog.Logger) logger.Interface {
	cfg := logger.Config{
		SlowThreshold:             time.Second,
		LogLevel:                  logger.Warn,
		IgnoreRecordNotFoundError: true, // not found is an answer, not a problem
	}
	if l != nil {
		return logger.NewSlogLogger(l, cfg)
	}
	return logger.New(log.New(os.Stderr, "gorm: ", log.LstdFlags), cfg)
}
