# Pure-Go build: the embedded Temporal server and the SQLite driver need no cgo.
export CGO_ENABLED := 0
export GOTOOLCHAIN := local

.PHONY: dev test build replay-histories bench year bench-production

# Everything in one process on embedded defaults: http://127.0.0.1:8080. It
# runs the binary `make build` makes, which the README's commands use too.
dev: build
	bin/securebase dev

# vet, then every test: workflow, activity and model tests on PostgreSQL and
# SQLite, end-to-end API tests on the embedded Temporal server.
test:
	go vet ./...
	go test -count=1 -timeout 40m ./...

build:
	go build -o bin/securebase ./cmd/securebase

# Record this release's workflow histories beside the earlier releases'
# (never over them), after a deliberate, versioned change to a workflow:
# make replay-histories RELEASE=2026-12-03
replay-histories:
	@test -n "$(RELEASE)" || { echo "RELEASE=NAME is needed (for example the date)"; exit 2; }
	go test ./worker -run 'TestRecord|TestAuditAnchorScheduleAndRun' -record-histories -history-release=$(RELEASE) -count=1

# The simulated year (README "A simulated year") is its own binary: it runs
# the lifecycles in the SDK's test environment, which bin/securebase never links.
year:
	go build -o bin/securebase-year ./cmd/securebase-year

# The production shape as processes on this machine (README "Production
# shape"): needs a PostgreSQL where the bench may create throwaway databases.
BENCH_POSTGRES ?= $(SECUREBASE_BENCH_POSTGRES)
bench-production: build
	@test -n "$(BENCH_POSTGRES)" || { echo "BENCH_POSTGRES=postgres://user@host:port/postgres?sslmode=disable is needed"; exit 2; }
	bin/securebase bench production --postgres '$(BENCH_POSTGRES)' --n $(or $(N),200) --concurrency $(or $(CONCURRENCY),8)
