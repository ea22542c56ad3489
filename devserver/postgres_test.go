package devserver_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/securebase/securebase/devserver"
	"github.com/securebase/securebase/models/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The server on PostgreSQL: a fresh database gets Temporal's schema and the
// namespace with its search attributes; a workflow runs; a second start on
// the same databases keeps them (the schema is not applied twice).
func TestStartPostgres(t *testing.T) {
	dsn := pgtest.URL(t)
	t.Cleanup(func() { dropVisibility(t, dsn) })
	startPG := func() *devserver.Server {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		s, err := devserver.StartPostgres(ctx, devserver.PostgresConfig{DSN: dsn, Port: freePort(t), SearchAttributes: testSAs, Logger: serverLogger()})
		if err != nil {
			t.Fatalf("StartPostgres: %v", err)
		}
		return s
	}
	s := startPG()
	c := dial(t, s)
	w := startWorker(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pg-echo", TaskQueue: taskQueue}, Echo, "hello")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "hello hello" {
		t.Fatalf("Echo: %q, %v", got, err)
	}
	w.Stop()
	c.Close()
	stop(t, s)

	s = startPG()
	defer stop(t, s)
	c = dial(t, s)
	defer c.Close()
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: devserver.DefaultNamespace})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range testSAs {
		if got := sa.GetCustomAttributes()[name]; got != typ {
			t.Errorf("search attribute %s: got %v want %v", name, got, typ)
		}
	}
	if _, err := c.DescribeWorkflowExecution(ctx, "pg-echo", ""); err != nil {
		t.Errorf("the workflow run before the restart: %v", err)
	}
}

// dropVisibility drops the visibility database the server created beside
// the test's own (which pgtest drops).
func dropVisibility(t *testing.T, dsn string) {
	u, _ := url.Parse(dsn)
	name := strings.TrimPrefix(u.Path, "/") + "_visibility"
	u.Path = "/postgres"
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Error(err)
		return
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
		t.Error(err)
	}
}
