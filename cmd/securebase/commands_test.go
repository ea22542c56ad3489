package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/models/pgtest"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// api and worker refuse a database whose schema is behind and say what to
// run; migrate brings it up to date, and running it again changes nothing.
func TestMigrateAndSchemaGuard(t *testing.T) {
	url := pgtest.URL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("TEMPORAL_ADDRESS", "")
	for _, cmd := range []string{"api", "worker"} {
		_, err := runCmd(t, cmd)
		if err == nil || !strings.Contains(err.Error(), "securebase migrate") {
			t.Fatalf("%s on an empty database: %v, want a message naming `securebase migrate`", cmd, err)
		}
	}
	for range 2 {
		out, err := runCmd(t, "migrate")
		if err != nil || !strings.Contains(out, "schema is current") {
			t.Fatalf("migrate: %v %s", err, out)
		}
	}
	db, err := models.Open(url, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := models.CheckSchema(db); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
}

// api and worker need PostgreSQL: without DATABASE_URL they say so.
func TestProductionNeedsDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	_, err := runCmd(t, "worker")
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("worker without DATABASE_URL: %v", err)
	}
}

// bench runs end to end on a small n and reports every figure it promises.
func TestBenchReportsFigures(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	out, err := runCmd(t, "bench", "--n", "6", "--concurrency", "2", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	for _, want := range []string{"onboarding  API", "raw SDK start", "session     API p50", "raw SDK update p50", `"onboard_per_sec"`} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
}
