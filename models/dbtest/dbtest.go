// Package dbtest runs the same test against every database securebase
// supports: a real PostgreSQL (through pgtest) and a SQLite file.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) } // stops the PostgreSQL cluster
//
//	func TestX(t *testing.T) {
//		for _, b := range dbtest.Backends() {
//			t.Run(b.Name, func(t *testing.T) {
//				db := b.Open(t) // fresh, migrated, closed after the test
//				...
//			})
//		}
//	}
package dbtest

import (
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
)

// Backend is one kind of database.
type Backend struct {
	Name string
	// New creates a fresh, empty database for the test and returns the
	// arguments models.Open takes to reach it (open it more than once to
	// play several processes).
	New func(t testing.TB) (databaseURL, sqlitePath string)
}

// Backends lists PostgreSQL and SQLite.
func Backends() []Backend {
	return []Backend{
		{Name: "postgres", New: func(t testing.TB) (string, string) { return pgtest.URL(t), "" }},
		{Name: "sqlite", New: func(t testing.TB) (string, string) {
			return "", filepath.Join(t.TempDir(), "securebase.db")
		}},
	}
}

// Open returns a fresh, migrated database, closed when the test ends.
func (b Backend) Open(t testing.TB) *gorm.DB {
	t.Helper()
	db := b.OpenEmpty(t)
	if err := models.Migrate(db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// OpenEmpty returns a fresh database with no tables, closed when the test ends.
func (b Backend) OpenEmpty(t testing.TB) *gorm.DB {
	t.Helper()
	url, path := b.New(t)
	return OpenDB(t, url, path)
}

// OpenDB opens a database with models.Open and closes it when the test ends.
func OpenDB(t testing.TB, databaseURL, sqlitePath string) *gorm.DB {
	t.Helper()
	db, err := models.Open(databaseURL, sqlitePath)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return db
}
