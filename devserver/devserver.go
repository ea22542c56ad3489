// Package devserver runs an embedded, single-process Temporal server backed
// by a local sqlite file. It is used by the `securebase dev` command and by
// end-to-end tests.
//
// Persistence and visibility share one sqlite database at
// DataDir/temporal.db (WAL journal, synchronous=normal, one connection), so
// namespaces, workflows, timers and search attributes survive a restart on
// the same DataDir.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const (
	// DefaultPort is the frontend gRPC port used when Config.Port is zero.
	DefaultPort = 7233
	// DefaultNamespace is the namespace used when Config.Namespace is empty.
	DefaultNamespace = "default"
	// Retention is the workflow retention of the namespace created on first start.
	Retention = 90 * 24 * time.Hour
	// DBFileName is the name of the sqlite file inside Config.DataDir.
	DBFileName = "temporal.db"

	clusterName  = "active"
	host         = "127.0.0.1"
	readyTimeout = 60 * time.Second
	maxPollRPS   = 1000
)

// Config configures Start.
type Config struct {
	// DataDir holds the sqlite file (DataDir/temporal.db) and a lock file.
	// It is created if missing. Required.
	DataDir string
	// Port is the frontend gRPC port on 127.0.0.1 (default 7233). The
	// history, matching and worker services listen on free ports chosen at
	// start; the frontend HTTP API is not started.
	Port int
	// Namespace is created on first start (default "default") with a 90-day
	// retention.
	Namespace string
	// SearchAttributes are registered on the namespace on first start; any
	// missing on a later start are added then.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives server logs at warn level and above. Nil discards them.
	Logger *slog.Logger
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	addr     string
	dbPath   string
	lock     *os.File
	logger   *slog.Logger
	stopping *atomic.Bool
	stopOnce sync.Once
	stopErr  error
}

// Start starts the server and returns once the frontend answers and the
// namespace (with its search attributes) is ready.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("devserver: DataDir is required")
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devserver: data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("devserver: data dir: %w", err)
	}
	lock, err := lockDir(dataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlockDir(lock)
		}
	}()

	addr := net.JoinHostPort(host, strconv.Itoa(cfg.Port))
	if err := checkPortFree(addr); err != nil {
		return nil, err
	}

	dbPath := filepath.Join(dataDir, DBFileName)
	sqlCfg := sqlConfig(dbPath)
	if err := ensureSchema(dbPath); err != nil {
		return nil, err
	}
	if err := createNamespace(sqlCfg, cfg.Namespace, cfg.SearchAttributes); err != nil {
		return nil, err
	}

	stopping := new(atomic.Bool)
	opts, err := serverOptions(addr, sqlitePersistence(sqlCfg), newServerLogger(logger, stopping))
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
	s := &Server{srv: srv, addr: addr, dbPath: dbPath, lock: lock, logger: logger, stopping: stopping}
	if err := s.waitReady(ctx, cfg.Namespace, cfg.SearchAttributes); err != nil {
		stopping.Store(true)
		_ = srv.Stop()
		checkpoint(dbPath, logger)
		return nil, err
	}
	return s, nil
}

// FrontendAddress is the frontend gRPC address, e.g. "127.0.0.1:7233".
func (s *Server) FrontendAddress() string { return s.addr }

// Stop shuts the server down (services in reverse start order), checkpoints
// the sqlite WAL into the main file and releases the data directory. Safe to
// call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		s.stopErr = s.srv.Stop()
		if s.dbPath != "" { // sqlite
			checkpoint(s.dbPath, s.logger)
			unlockDir(s.lock)
		}
	})
	return s.stopErr
}

// FreePort returns a TCP port on 127.0.0.1 that was free when asked. It is
// chosen below Linux's default ephemeral range (32768-60999), so that the
// outgoing connections of other processes (database and gRPC clients, which
// take ephemeral ports all the time) cannot take it before the server binds
// it; the kernel's own choice is the fallback.
func FreePort() (int, error) {
	for range 50 {
		p := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p))); err == nil {
			l.Close()
			return p, nil
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func checkPortFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("devserver: frontend port unavailable: %w", err)
	}
	return l.Close()
}

func sqlConfig(dbPath string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbPath,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
		MaxConns:     1,
		MaxIdleConns: 1,
	}
}

// sqlitePersistence is one sqlite database for both stores and one history
// shard: a dev box.
func sqlitePersistence(sqlCfg *config.SQL) config.Persistence {
	return config.Persistence{
		DefaultStore:     "sqlite",
		VisibilityStore:  "sqlite",
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{"sqlite": {SQL: sqlCfg}},
	}
}

func serverOptions(addr string, persistence config.Persistence, logger log.Logger) ([]temporal.ServerOption, error) {
	ports := map[primitives.ServiceName]int{primitives.FrontendService: portOf(addr)}
	for _, svc := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		p, err := FreePort()
		if err != nil {
			return nil, fmt.Errorf("devserver: choosing a port: %w", err)
		}
		ports[svc] = p
	}

	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence = persistence
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             addr,
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for svc, p := range ports {
		var sc config.Service
		sc.RPC.GRPCPort = p
		sc.RPC.BindOnIP = host
		conf.Services[string(svc)] = sc
		hosts[svc] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(p)))
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = addr

	dc := dynamicconfig.StaticClient{
		// Bounded memory for a dev box (CLI dev server uses the same).
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// Tests poll visibility; the default of 10 RPS throttles them.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// One partition per task queue: a single local worker gets its tasks
		// without forwarding between partitions.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The history queues poll each shard at most 20 times a second by
		// default; with a single shard that caps a sequential workflow at
		// ~50ms. Polls are notification-driven, so a higher cap costs
		// nothing when idle.
		dynamicconfig.TransferProcessorMaxPollRPS.Key():   maxPollRPS,
		dynamicconfig.TimerProcessorMaxPollRPS.Key():      maxPollRPS,
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): maxPollRPS,
		dynamicconfig.OutboundProcessorMaxPollRPS.Key():   maxPollRPS,
	}

	return []temporal.ServerOption{
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return authorization.NewNoopClaimMapper() }),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
		temporal.WithDynamicConfigClient(dc),
	}, nil
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// waitReady polls the frontend until the namespace is visible, then makes
// sure every requested search attribute is registered.
func (s *Server) waitReady(ctx context.Context, namespace string, sas map[string]enumspb.IndexedValueType) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()

	var c client.Client
	var lastErr error
	for c == nil {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		cl, err := client.DialContext(dctx, client.Options{
			HostPort:  s.addr,
			Namespace: namespace,
			Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		})
		dcancel()
		if err == nil {
			c = cl
			break
		}
		lastErr = err
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("devserver: frontend not ready: %w (last: %v)", err, lastErr)
		}
	}
	defer c.Close()

	for {
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		if err == nil {
			break
		}
		lastErr = err
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("devserver: namespace %q not ready: %w (last: %v)", namespace, err, lastErr)
		}
	}
	if len(sas) == 0 {
		return nil
	}
	return ensureSearchAttributes(ctx, c, namespace, sas)
}

// ensureSearchAttributes adds search attributes missing from the namespace
// (e.g. ones added to Config after the data directory was created).
func ensureSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("devserver: list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		have, ok := resp.GetCustomAttributes()[name]
		if !ok {
			if _, sys := resp.GetSystemAttributes()[name]; sys {
				return fmt.Errorf("devserver: search attribute %q is a system attribute", name)
			}
			missing[name] = typ
			continue
		}
		if have != typ {
			return fmt.Errorf("devserver: search attribute %q is registered as %s, want %s (remove the data directory to reset)", name, have, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("devserver: add search attributes: %w", err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
