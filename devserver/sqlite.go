package devserver

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite" // registers the "sqlite" plugin and the modernc driver
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

// directDSN opens the database file outside the server's connection pool
// (which never closes its connections). Only used while the server is not
// running.
func directDSN(dbPath string) string {
	return "file:" + dbPath + "?mode=rwc&_pragma=journal_mode%3Dwal&_pragma=synchronous%3Dnormal&_pragma=busy_timeout%3D10000&_time_format=sqlite"
}

// ensureSchema creates the execution and visibility schema in a single
// transaction if the database has none yet, so an interrupted first start
// never leaves a half-created schema behind.
func ensureSchema(dbPath string) error {
	db, err := sql.Open("sqlite", directDSN(dbPath))
	if err != nil {
		return fmt.Errorf("devserver: open %s: %w", dbPath, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'namespaces'`).Scan(&n); err != nil {
		return fmt.Errorf("devserver: inspect %s: %w", dbPath, err)
	}
	if n > 0 {
		return nil
	}
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("devserver: setup schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := sqliteschema.SetupSchemaOnDB(txAdminDB{tx: tx}); err != nil {
		return fmt.Errorf("devserver: setup schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("devserver: setup schema: %w", err)
	}
	return nil
}

// txAdminDB is the part of sqlplugin.AdminDB that SetupSchemaOnDB uses
// (Exec), backed by a transaction. Other methods are not implemented.
type txAdminDB struct {
	sqlplugin.AdminDB
	tx *sql.Tx
}

func (t txAdminDB) Exec(stmt string, args ...any) error {
	_, err := t.tx.Exec(stmt, args...)
	return err
}

// createNamespace registers the namespace directly in the database, with its
// search attributes, unless it already exists (then it is left untouched).
func createNamespace(sqlCfg *config.SQL, name string, sas map[string]enumspb.IndexedValueType) error {
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, name, false, sas)
	if err != nil {
		return fmt.Errorf("devserver: namespace %q: %w", name, err)
	}
	ns.Detail.Config.Retention = durationpb.New(Retention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return fmt.Errorf("devserver: create namespace %q: %w", name, err)
	}
	return nil
}

// checkpoint folds the WAL into the main database file after the server has
// stopped. The server's pooled connection stays open (the sqlite plugin never
// closes it) but is idle, so a TRUNCATE checkpoint normally succeeds; if it
// does not, the WAL is still valid and sqlite replays it on the next open.
func checkpoint(dbPath string, logger *slog.Logger) {
	db, err := sql.Open("sqlite", directDSN(dbPath))
	if err != nil {
		logger.Warn("devserver: wal checkpoint: open", "error", err)
		return
	}
	defer db.Close()
	var busy, logFrames, ckptFrames int
	err = db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &ckptFrames)
	if err != nil {
		logger.Warn("devserver: wal checkpoint", "error", err)
		return
	}
	if busy != 0 {
		logger.Warn("devserver: wal checkpoint incomplete (database busy)", "log_frames", logFrames, "checkpointed", ckptFrames)
	}
}
