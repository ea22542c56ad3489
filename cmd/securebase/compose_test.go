package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// productionEnv is what api and worker read (production()), and migrate too.
var productionEnv = []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"}

// docker-compose.yml cannot be run here (no Docker engine), so it is loaded
// with compose-go and held to what the binary needs.
func TestComposeFileRunsWhatTheBinaryNeeds(t *testing.T) {
	path, _ := filepath.Abs("../../docker-compose.yml")
	load := func(env ...string) (*types.Project, error) {
		opts, err := cli.NewProjectOptions([]string{path}, cli.WithName("securebase"), cli.WithWorkingDirectory(filepath.Dir(path)), cli.WithEnv(env))
		if err != nil {
			t.Fatal(err)
		}
		return opts.LoadProject(context.Background())
	}
	// The API verifies tokens: without a secret (or JWKS URL) compose refuses.
	if _, err := load("SECUREBASE_JWT_SECRET="); err == nil || !strings.Contains(err.Error(), "SECUREBASE_JWT_SECRET") {
		t.Fatalf("docker-compose.yml loads without a token secret: %v", err)
	}
	project, err := load("SECUREBASE_JWT_SECRET=" + strings.Repeat("s", 32))
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	if v := project.Services["api"].Environment["SECUREBASE_JWT_SECRET"]; v == nil || len(*v) < 32 {
		t.Error("api is not given the token secret")
	}
	for _, name := range []string{"postgres", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "migrate", "api", "worker"} {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	root := newRootCmd()
	for _, name := range []string{"migrate", "api", "worker"} {
		svc := project.Services[name]
		if svc.Build == nil {
			t.Errorf("%s is not built from the repo", name)
			continue
		}
		if _, err := os.Stat(filepath.Join(svc.Build.Context, "Dockerfile")); err != nil {
			t.Errorf("%s builds from %s, which has no Dockerfile", name, svc.Build.Context)
		}
		if cmd, _, err := root.Find(svc.Command); err != nil || cmd == root || cmd.Name() != svc.Command[0] {
			t.Errorf("%s runs %v, which is not a securebase command", name, svc.Command)
		}
		for _, key := range productionEnv {
			v := svc.Environment[key]
			if v == nil || *v == "" {
				t.Errorf("%s does not set %s", name, key)
			}
		}
		checkHost(t, project, name, "DATABASE_URL", func(v string) string {
			u, err := url.Parse(v)
			if err != nil || u.Scheme != "postgres" {
				t.Errorf("%s: DATABASE_URL %q is not a postgres URL", name, v)
				return ""
			}
			return u.Hostname()
		})
		checkHost(t, project, name, "TEMPORAL_ADDRESS", func(v string) string {
			host, _, err := net.SplitHostPort(v)
			if err != nil {
				t.Errorf("%s: TEMPORAL_ADDRESS %q is not host:port", name, v)
			}
			return host
		})
	}
	for _, name := range []string{"api", "worker"} {
		dep, ok := project.Services[name].DependsOn["migrate"]
		if !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s must wait for migrate to complete: they refuse a schema that is behind", name)
		}
	}
	if ui := project.Services["temporal-ui"].Environment["TEMPORAL_ADDRESS"]; ui == nil || !strings.HasPrefix(*ui, "temporal:") {
		t.Error("the Temporal UI does not point at the temporal service")
	}
	if db := project.Services["temporal"].Environment["POSTGRES_SEEDS"]; db == nil || *db != "postgres" {
		t.Error("the Temporal server does not use the postgres service")
	}
	checkTemporalImages(t, project)
}

// checkTemporalImages holds the Temporal services to the images Temporal
// still ships, at the server version the embedded dev server links: the
// server (temporalio/server) starts only after the admin tools have set up
// its schema on the postgres service, and migrate (which registers search
// attributes in the default namespace) only after that namespace exists.
func checkTemporalImages(t *testing.T, p *types.Project) {
	t.Helper()
	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server v(\S+)`).FindSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod does not require go.temporal.io/server")
	}
	version := string(m[1])
	for name, svc := range p.Services {
		if strings.Contains(svc.Image, "auto-setup") {
			t.Errorf("%s runs %s: temporalio/auto-setup is no longer built", name, svc.Image)
		}
	}
	want := map[string]string{
		"temporal":           "temporalio/server:" + version,
		"temporal-schema":    "temporalio/admin-tools:" + version,
		"temporal-namespace": "temporalio/admin-tools:" + version,
	}
	for name, image := range want {
		if got := p.Services[name].Image; got != image {
			t.Errorf("%s runs %q, want %q (the embedded server's version, go.mod)", name, got, image)
		}
	}
	schema := p.Services["temporal-schema"]
	if h := schema.Environment["SQL_HOST"]; h == nil || *h != "postgres" {
		t.Error("the schema setup does not run against the postgres service")
	}
	script := strings.Join(schema.Command, " ")
	for _, want := range []string{"temporal-sql-tool", "setup-schema", "update-schema", "postgresql/v12/$kind/versioned", "temporal_visibility"} {
		if !strings.Contains(script, want) {
			t.Errorf("the schema setup does not run %q: %s", want, script)
		}
	}
	for _, dep := range []struct{ svc, on string }{{"temporal", "temporal-schema"}, {"migrate", "temporal-namespace"}} {
		if d, ok := p.Services[dep.svc].DependsOn[dep.on]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s must wait for %s to complete", dep.svc, dep.on)
		}
	}
	if d, ok := p.Services["temporal-namespace"].DependsOn["temporal"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Error("the namespace is created before the server is healthy")
	}
	if a := p.Services["temporal-namespace"].Environment["TEMPORAL_ADDRESS"]; a == nil || *a != "temporal:7233" {
		t.Error("the namespace step does not point at the temporal service")
	}
	for _, key := range []string{"DBNAME", "VISIBILITY_DBNAME"} {
		if v := p.Services["temporal"].Environment[key]; v == nil || !strings.Contains(script, *v) {
			t.Errorf("the server's %s is not a database the schema setup creates", key)
		}
	}
}

// checkHost asserts the host an environment value names is a service.
func checkHost(t *testing.T, p *types.Project, svc, key string, host func(string) string) {
	t.Helper()
	v := p.Services[svc].Environment[key]
	if v == nil {
		return
	}
	if h := host(*v); h != "" {
		if _, ok := p.Services[h]; !ok {
			t.Errorf("%s: %s points at %q, which is not a service", svc, key, h)
		}
	}
}
