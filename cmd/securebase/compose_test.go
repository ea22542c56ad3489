package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
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
	for _, name := range []string{"postgres", "temporal", "temporal-ui", "migrate", "api", "worker"} {
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
