// Package pgtest gives tests a real, throwaway PostgreSQL database.
//
// URL(t) returns the DSN of a fresh, empty database created for that test
// (and dropped after it). The databases live on one server per test binary:
//
//   - If SECUREBASE_TEST_POSTGRES is set (a DSN to a server, e.g. the one
//     .ci/run starts), that server is used; the DSN's user must be allowed
//     to CREATE DATABASE.
//   - Otherwise pgtest starts its own cluster the first time URL is called:
//     initdb into a temp dir, postgres on a free 127.0.0.1 port (never the
//     machine's 5432), fsync off. As root it runs initdb and pg_ctl as the
//     postgres user via runuser, because PostgreSQL refuses to run as root.
//
// Packages that use pgtest must stop that cluster when their test binary
// exits, by calling Main from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// As a backstop (a test timeout panics, or the binary is killed), a small
// detached shell started with the cluster waits for the test binary to exit
// and then stops the cluster and removes its directory.
//
// When PostgreSQL can't be found or started, URL fails the test with the
// reason. It never skips: CI forbids skipped tests.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for CREATE/DROP DATABASE
)

// EnvServer names the environment variable holding a base DSN to an existing
// PostgreSQL server to use instead of starting a cluster.
const EnvServer = "SECUREBASE_TEST_POSTGRES"

var (
	once     sync.Once
	base     string   // DSN of the server's maintenance database
	admin    *sql.DB  // connection to base, for CREATE/DROP DATABASE
	own      *cluster // the cluster we started; nil when using EnvServer
	startErr error
	seq      atomic.Int64
)

// Main runs the tests, then stops the cluster pgtest started (if any) and
// exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop shuts the server connection and the cluster pgtest started, and
// removes its directory. Main calls it; it is safe to call more than once.
func Stop() {
	if admin != nil {
		admin.Close()
		admin = nil
	}
	if own != nil {
		own.stop()
		own = nil
	}
}

// URL returns a DSN to a new, empty database for this test, dropped when the
// test ends. It fails the test if no PostgreSQL server is available.
func URL(tb testing.TB) string {
	tb.Helper()
	once.Do(start)
	if startErr != nil {
		tb.Fatalf("pgtest: no PostgreSQL for this test: %v", startErr)
	}

	name := databaseName(tb.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		// Registered before the test opens its pool, so it runs after the
		// test's own cleanups have closed it; FORCE ends any stragglers.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if admin == nil {
			return
		}
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			tb.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(base, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn
}

func start() {
	t0 := time.Now()
	if dsn := os.Getenv(EnvServer); dsn != "" {
		base = dsn
	} else {
		own, startErr = startCluster()
		if startErr != nil {
			return
		}
		base = own.url
	}
	admin, startErr = sql.Open("pgx", base)
	if startErr != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		startErr = fmt.Errorf("connect to %s: %w", redact(base), err)
		return
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL ready at %s in %v\n", redact(base), time.Since(t0).Round(time.Millisecond))
	}
}

// databaseName is unique across test binaries sharing a server (pid) and
// within one (sequence), and readable (the test's name), within 63 bytes.
var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

func databaseName(testName string) string {
	n := fmt.Sprintf("sbt_%d_%d_%s", os.Getpid(), seq.Add(1), notIdent.ReplaceAllString(strings.ToLower(testName), "_"))
	if len(n) > 63 {
		n = n[:63]
	}
	return n
}

// withDatabase points a DSN, URL or key=value form, at another database.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvServer, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil // the last dbname wins
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxx")
		}
		return u.String()
	}
	return dsn
}

// cluster is a PostgreSQL cluster this test binary started.
type cluster struct {
	dir    string   // temp dir: data/, the socket, postgres.log
	pgCtl  string   // path of pg_ctl
	asUser []string // "runuser -u postgres --" when we are root, else empty
	url    string
	opts   string // postgres options: port, socket dir, settings
	reaper *exec.Cmd
}

func startCluster() (*cluster, error) {
	initdb, pgCtl, err := findBinaries()
	if err != nil {
		return nil, err
	}
	// As root, under /tmp rather than $TMPDIR: the postgres user must be able
	// to reach the directory, and /tmp is always traversable.
	parent := ""
	if os.Geteuid() == 0 {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "securebase-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, pgCtl: pgCtl}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()

	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: hand the dir to the postgres user.
		runuser, err := findRunuser()
		if err != nil {
			return nil, err
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, PostgreSQL needs an unprivileged user to run as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		c.asUser = []string{runuser, "-u", "postgres", "--"}
	}

	data := filepath.Join(dir, "data")
	if out, err := c.run(2*time.Minute, initdb, "-D", data, "--auth=trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	// A free port can be taken between our probe and postgres binding it;
	// try a few.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300", port, dir)
		out, err := c.run(2*time.Minute, pgCtl, "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			c.opts = opts
			c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			lastErr = nil
			break
		}
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		lastErr = fmt.Errorf("pg_ctl start on port %d: %w\n%s\npostgres.log:\n%s", port, err, out, tail(log, 2000))
		if !strings.Contains(string(log), "could not bind") && !strings.Contains(string(log), "in use") {
			break
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	c.startReaper()
	ok = true
	return c, nil
}

// run runs a PostgreSQL program, as the postgres user when we are root.
func (c *cluster) run(timeout time.Duration, prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append(append(append([]string(nil), c.asUser...), prog), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.dir // the postgres user may not be able to enter our cwd
	return cmd.CombinedOutput()
}

// startReaper starts a detached shell that outlives this process: once the
// test binary is gone it stops the cluster and deletes the dir. Main does the
// same promptly; the reaper covers panics, timeouts and kill -9.
func (c *cluster) startReaper() {
	script := `pid=$1; dir=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
"$@" >/dev/null 2>&1
rm -rf "$dir"`
	args := []string{"-c", script, "pgtest-reaper", strconv.Itoa(os.Getpid()), c.dir}
	args = append(args, c.asUser...)
	args = append(args, c.pgCtl, "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	cmd := exec.Command("/bin/sh", args...)
	// Own session: a Ctrl-C to the test's process group must not kill it.
	// No stdout/stderr: `go test` waits for every holder of its pipes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err == nil {
		c.reaper = cmd
	}
}

func (c *cluster) stop() {
	// Immediate: the data is thrown away, so no checkpoint is needed.
	c.run(time.Minute, c.pgCtl, "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
	if c.reaper != nil {
		c.reaper.Process.Kill()
		c.reaper.Wait()
	}
}

// Handle is a PostgreSQL cluster of one test's own, which the test may stop
// and start again on the same port and data: an outage, not a fresh server.
type Handle struct {
	// URL is the DSN of the cluster's postgres database.
	URL string
	c   *cluster
}

// Cluster starts a cluster for this test alone (never the shared one, nor
// SECUREBASE_TEST_POSTGRES: stopping those would break other tests) and
// removes it when the test ends. It fails the test if PostgreSQL can't start.
func Cluster(tb testing.TB) *Handle {
	tb.Helper()
	c, err := startCluster()
	if err != nil {
		tb.Fatalf("pgtest: own cluster: %v", err)
	}
	tb.Cleanup(c.stop)
	return &Handle{URL: c.url, c: c}
}

// Stop stops the cluster at once (immediate mode: connections are cut, as
// in a crash), keeping its data for Start.
func (h *Handle) Stop(tb testing.TB) {
	tb.Helper()
	if out, err := h.c.run(time.Minute, h.c.pgCtl, "-D", filepath.Join(h.c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		tb.Fatalf("pgtest: stop: %v\n%s", err, out)
	}
}

// Start starts the stopped cluster again on the same port and data.
func (h *Handle) Start(tb testing.TB) {
	tb.Helper()
	if out, err := h.c.run(2*time.Minute, h.c.pgCtl, "-D", filepath.Join(h.c.dir, "data"), "-l", filepath.Join(h.c.dir, "postgres.log"), "-o", h.c.opts, "-w", "-t", "60", "start"); err != nil {
		tb.Fatalf("pgtest: start: %v\n%s", err, out)
	}
}

// findBinaries finds initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin
// (Debian, Ubuntu), else PATH.
func findBinaries() (initdb, pgCtl string, err error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if isExecutable(i) && isExecutable(p) {
			return i, p, nil
		}
	}
	i, err1 := exec.LookPath("initdb")
	p, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return i, p, nil
	}
	return "", "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or PATH: install PostgreSQL (e.g. apt-get install postgresql) or set %s to a server's DSN", EnvServer)
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func findRunuser() (string, error) {
	if p, err := exec.LookPath("runuser"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/runuser", "/sbin/runuser"} {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("running as root, but runuser (util-linux) is not available to run PostgreSQL as the postgres user")
}

// freePort asks the kernel for an unused port. Never 5432: that is the
// machine's own PostgreSQL, which tests must not touch.
func freePort() (int, error) {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 5432 {
			return port, nil
		}
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
