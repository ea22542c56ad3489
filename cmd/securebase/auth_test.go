package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securebase/securebase/api"
	"github.com/securebase/securebase/devserver"
)

// lockedBuffer collects what dev prints while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// dev prints a working token for every role, signed with a secret it keeps
// in the data directory; `securebase token` mints with the same secret.
func TestDevPrintsATokenPerRole(t *testing.T) {
	t.Setenv(envJWTSecret, "")
	t.Setenv(envJWKSURL, "")
	dataDir := t.TempDir()
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- runDev(ctx, devOptions{Addr: "127.0.0.1:0", DataDir: dataDir, TemporalPort: port,
			Log: slog.New(slog.DiscardHandler), Out: &out, Ready: func(a, _ string) { ready <- a }})
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a
	case err := <-done:
		t.Fatal(err)
	case <-time.After(3 * time.Minute):
		t.Fatal("dev did not start")
	}
	defer func() { cancel(); <-done }()

	get := func(tok string) int {
		req, _ := http.NewRequest("GET", base+"/api/v1/staff/nobody", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	tokens := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[1] == devSubject(f[0]) {
			tokens[f[0]] = f[2]
		}
	}
	for _, role := range api.TokenRoles {
		if tokens[role] == "" {
			t.Fatalf("dev printed no token for %s:\n%s", role, out.String())
		}
	}
	if got := get(""); got != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", got)
	}
	// An HR token is admitted: the person is simply not there.
	if got := get(tokens[api.RoleHR]); got != http.StatusNotFound {
		t.Fatalf("dev's hr token: %d, want 404 (admitted, nobody found)", got)
	}
	minted, err := runCmd(t, "token", "--data-dir", dataDir, "--sub", "hr-2", "--role", "hr")
	if err != nil {
		t.Fatal(err)
	}
	if got := get(strings.TrimSpace(minted)); got != http.StatusNotFound {
		t.Fatalf("a token from `securebase token`: %d, want 404", got)
	}
	if _, err := runCmd(t, "token", "--data-dir", dataDir, "--sub", "x", "--role", "root"); err == nil {
		t.Fatal("token minted for an unknown role")
	}
}
