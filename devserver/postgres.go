package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql" // registers the "postgres12" plugin
	"go.temporal.io/server/common/resolver"
	schemas "go.temporal.io/server/schema"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/temporal"
)

// PostgresConfig configures StartPostgres: a Temporal server on PostgreSQL,
// the persistence the production image runs on (docker-compose.yml).
type PostgresConfig struct {
	// DSN names the persistence database, e.g.
	// postgres://user:pass@127.0.0.1:5432/temporal?sslmode=disable; the
	// visibility database is the same name with "_visibility" appended.
	// Both are created, with Temporal's schema, if missing. Required.
	DSN string
	// Port is the frontend gRPC port on 127.0.0.1 (default 7233).
	Port int
	// Namespace is created on first start (default "default").
	Namespace string
	// SearchAttributes are registered on the namespace, as Start does.
	SearchAttributes map[string]enumspb.IndexedValueType
	// HistoryShards is fixed when the database is first set up (default 4,
	// the server image's default).
	HistoryShards int32
	// Logger receives server logs at warn level and above. Nil discards them.
	Logger *slog.Logger
}

// StartPostgres starts a Temporal server on PostgreSQL and returns once the
// frontend answers and the namespace (with its search attributes) is ready.
func StartPostgres(ctx context.Context, cfg PostgresConfig) (*Server, error) {
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.HistoryShards == 0 {
		cfg.HistoryShards = 4
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	store, err := postgresSQL(cfg.DSN)
	if err != nil {
		return nil, err
	}
	visibility := *store
	visibility.DatabaseName += "_visibility"
	if err := ensurePostgresSchema(store, "postgresql/v12/temporal/schema.sql", pgschema.Version); err != nil {
		return nil, err
	}
	if err := ensurePostgresSchema(&visibility, "postgresql/v12/visibility/schema.sql", pgschema.VisibilityVersion); err != nil {
		return nil, err
	}
	if err := createNamespace(store, cfg.Namespace, cfg.SearchAttributes); err != nil {
		return nil, err
	}

	addr := net.JoinHostPort(host, strconv.Itoa(cfg.Port))
	if err := checkPortFree(addr); err != nil {
		return nil, err
	}
	stopping := new(atomic.Bool)
	opts, err := serverOptions(addr, config.Persistence{
		DefaultStore:     "postgres",
		VisibilityStore:  "postgres-visibility",
		NumHistoryShards: cfg.HistoryShards,
		DataStores: map[string]config.DataStore{
			"postgres":            {SQL: store},
			"postgres-visibility": {SQL: &visibility},
		},
	}, newServerLogger(logger, stopping))
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("devserver: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		stopping.Store(true)
		_ = srv.Stop()
		return nil, fmt.Errorf("devserver: start server: %w", err)
	}
	s := &Server{srv: srv, addr: addr, logger: logger, stopping: stopping}
	if err := s.waitReady(ctx, cfg.Namespace, cfg.SearchAttributes); err != nil {
		stopping.Store(true)
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// postgresSQL is the server's SQL store settings for a postgres:// DSN.
func postgresSQL(dsn string) (*config.SQL, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("devserver: %q is not a postgres://user@host:port/database DSN", dsn)
	}
	name := u.Path
	if len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	if name == "" {
		return nil, errors.New("devserver: the DSN names no database")
	}
	attrs := map[string]string{}
	for k, v := range u.Query() {
		attrs[k] = v[0]
	}
	pass, _ := u.User.Password()
	return &config.SQL{
		PluginName:        "postgres12",
		User:              u.User.Username(),
		Password:          pass,
		DatabaseName:      name,
		ConnectAddr:       u.Host,
		ConnectProtocol:   "tcp",
		ConnectAttributes: attrs,
		MaxConns:          20,
		MaxIdleConns:      20,
	}, nil
}

// ensurePostgresSchema creates the database and Temporal's schema for it
// (the schema files embedded in the server module, at the version the
// server checks for) unless the schema is already there at that version.
func ensurePostgresSchema(cfg *config.SQL, schemaFile, version string) error {
	admin := *cfg
	admin.DatabaseName = "postgres"
	if err := withAdminDB(&admin, func(db sqlplugin.AdminDB) error { return db.CreateDatabase(cfg.DatabaseName) }); err != nil {
		return fmt.Errorf("devserver: create database %s: %w", cfg.DatabaseName, err)
	}
	return withAdminDB(cfg, func(db sqlplugin.AdminDB) error {
		if have, err := db.ReadSchemaVersion(cfg.DatabaseName); err == nil && have != "" {
			if have != version {
				return fmt.Errorf("devserver: database %s has Temporal schema %s, this server needs %s", cfg.DatabaseName, have, version)
			}
			return nil
		}
		text, err := fs.ReadFile(schemas.Assets(), schemaFile)
		if err != nil {
			return err
		}
		stmts, err := persistence.LoadAndSplitQueryFromReaders([]io.Reader{bytes.NewReader(text)})
		if err != nil {
			return err
		}
		if err := db.CreateSchemaVersionTables(); err != nil {
			return err
		}
		for _, stmt := range stmts {
			if err := db.Exec(stmt); err != nil {
				return fmt.Errorf("devserver: %s: %w", cfg.DatabaseName, err)
			}
		}
		return db.UpdateSchemaVersion(cfg.DatabaseName, version, version)
	})
}

func withAdminDB(cfg *config.SQL, fn func(sqlplugin.AdminDB) error) error {
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}
