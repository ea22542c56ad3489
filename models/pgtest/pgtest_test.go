package pgtest

import (
	"database/sql"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestURLGivesAFreshEmptyDatabase(t *testing.T) {
	a, b := URL(t), URL(t)
	if a == b {
		t.Fatalf("two calls returned the same database %s", a)
	}
	if strings.Contains(a, ":5432/") {
		t.Fatalf("pgtest used the machine's PostgreSQL on 5432: %s", a)
	}
	db, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("new database has %d tables", tables)
	}
}

func TestDatabaseName(t *testing.T) {
	n := databaseName("TestSomething/with spaces & Capitals/" + strings.Repeat("x", 100))
	if len(n) > 63 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		t.Fatalf("databaseName = %q", n)
	}
}

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@127.0.0.1:5000/postgres?sslmode=disable": "postgres://u:p@127.0.0.1:5000/sbt_x?sslmode=disable",
		"host=127.0.0.1 port=5000 user=u dbname=postgres":        "host=127.0.0.1 port=5000 user=u dbname=postgres dbname=sbt_x",
	} {
		got, err := withDatabase(in, "sbt_x")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
