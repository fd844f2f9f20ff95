# Corkboard. `go run ./cmd/corkboard` runs the app; `make test` runs every test.
GO        ?= go
BENCH_ADDR ?= 127.0.0.1:3900
BENCH_DIR  ?= $(shell mktemp -d)
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
FUZZTIME  ?= 30s

.PHONY: run build test vet fuzz bench bench-go bench-report bench-webhooks bench-http bench-http-pg bench-board bench-ws bench-ws-mem bench-browser bench-cluster css fmt clean

run:
	$(GO) run ./cmd/corkboard

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/corkboard ./cmd/corkboard
	$(GO) build -o bin/corkbench ./cmd/corkbench

vet:
	$(GO) vet ./...
	$(GO) mod tidy -diff # go.mod lists what the code imports, direct as direct

# The README's test command; .ci/run calls it. PostgreSQL runs are included
# when TEST_DATABASE_URL is set (.ci/run sets it).
test: vet
	$(GO) test -race -count=1 ./...

# Every fuzz target (func Fuzz* in a _test.go file) for FUZZTIME, one after
# another; `make test` runs only their seed corpora. A failing input is
# saved under the package's testdata/fuzz/ and becomes a seed: commit it.
# go test -fuzz sometimes exits 1 with "context deadline exceeded" when
# FUZZTIME ends mid-input (golang/go#56238 and kin): with no failing input
# written, that is reported and not counted as a failure.
fuzz:
	@status=0; log=$$(mktemp); \
	for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for name in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -d' ' -f2); do \
			echo "== $$dir $$name ($(FUZZTIME))"; \
			corpus=$$dir/testdata/fuzz/$$name; before=$$(ls $$corpus 2>/dev/null | wc -l); \
			if $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$dir >$$log 2>&1; then \
				tail -n 2 $$log; \
			elif [ $$(ls $$corpus 2>/dev/null | wc -l) -eq $$before ] && grep -q 'context deadline exceeded' $$log; then \
				grep -v '^fuzz: elapsed' $$log; echo "(the fuzzer's deadline flake: no failing input; not counted)"; \
			else \
				cat $$log; status=1; \
			fi; \
		done; \
	done; rm -f $$log; exit $$status

# Benchmarks print figures; see docs/PERFORMANCE.md.
bench: bench-go bench-report bench-webhooks bench-http bench-board bench-ws bench-cluster

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./models/ ./app/ ./realtime/

# A cycle report of 2,000 issues and 50,000 events: the whole log (first),
# an instance that kept nothing (cold), one that did (warm). PostgreSQL too
# when TEST_DATABASE_URL is set (writing its log takes about two minutes).
bench-report:
	$(GO) test -run '^$$' -bench 'CycleReport' -benchmem -benchtime 5x -timeout 30m ./app/

# Webhook delivery throughput: events per second to one fast receiver.
bench-webhooks:
	$(GO) test -run '^$$' -bench BenchmarkWebhookDelivery -benchtime 3000x ./app/

# Starts bin/corkboard on a fresh SQLite file at BENCH_ADDR ($$pid, killed
# when the recipe's shell exits) and waits until it answers.
BENCH_SERVE = DATA_DIR=$(BENCH_DIR) BIND_ADDR=$(BENCH_ADDR) PUBLIC_URL=http://$(BENCH_ADDR) LOG_LEVEL=warn \
		RATE_LIMIT_PER_MINUTE=100000000 ./bin/corkboard & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	for i in $$(seq 1 100); do curl -fs http://$(BENCH_ADDR)/health >/dev/null && break; sleep 0.1; done

# Starts a server on a fresh SQLite file and loads it over HTTP.
bench-http: build
	@set -e; $(BENCH_SERVE); \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode moves -concurrency 16 -duration 10s -issues 300 -server-pid $$pid; \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode board -issues 1000 -n 50

# A large board (issue #16): BOARD_ISSUES cards created over HTTP on a fresh
# SQLite file, then BOARD_N timed loads of the board page and of GET /board.
BOARD_ISSUES ?= 10000
BOARD_N      ?= 30
bench-board: build
	@set -e; $(BENCH_SERVE); \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode board -issues $(BOARD_ISSUES) -n $(BOARD_N)

# The same on PostgreSQL (BENCH_PG_URL), in a fresh schema dropped after.
BENCH_PG_URL ?= postgres://postgres:postgres@127.0.0.1:5432/test?sslmode=disable
bench-http-pg: build
	@set -e; schema=bench_$$(date +%s)_$$$$; \
	psql -qX "$(BENCH_PG_URL)" -c "CREATE SCHEMA $$schema"; \
	DATA_DIR=$(BENCH_DIR) DATABASE_URL="$(BENCH_PG_URL)&search_path=$$schema" BIND_ADDR=$(BENCH_ADDR) \
		PUBLIC_URL=http://$(BENCH_ADDR) LOG_LEVEL=warn RATE_LIMIT_PER_MINUTE=100000000 ./bin/corkboard & pid=$$!; \
	trap "kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; PGOPTIONS=--client-min-messages=warning psql -qX '$(BENCH_PG_URL)' -c 'DROP SCHEMA $$schema CASCADE'" EXIT; \
	for i in $$(seq 1 100); do curl -fs http://$(BENCH_ADDR)/health >/dev/null && break; sleep 0.1; done; \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode moves -concurrency 16 -duration 10s -issues 300 -server-pid $$pid -pg-cpu \
		-pg-analyze "$(BENCH_PG_URL)&search_path=$$schema"; \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode board -issues 1000 -n 50

# Live delivery: N WebSocket viewers of one board while cards move over REST.
# Each scenario gets a fresh server (and data dir), so its RSS per idle
# socket is measured from a clean start, and the server's CPU per delivery
# over the moves. Client and server share the machine.
bench-ws: build
	@set -e; ulimit -n $$(ulimit -Hn); status=0; \
	for scenario in "1000 20" "10000 5"; do \
		set -- $$scenario; dir=$$(mktemp -d); \
		DATA_DIR=$$dir BIND_ADDR=$(BENCH_ADDR) PUBLIC_URL=http://$(BENCH_ADDR) LOG_LEVEL=warn \
			WS_MAX_CONNS=20000 WS_MAX_CONNS_PER_USER=20000 RATE_LIMIT_PER_MINUTE=100000000 ./bin/corkboard & pid=$$!; \
		trap "kill $$pid 2>/dev/null || true" EXIT; \
		for i in $$(seq 1 100); do curl -fs http://$(BENCH_ADDR)/health >/dev/null && break; sleep 0.1; done; \
		./bin/corkbench -url http://$(BENCH_ADDR) -mode ws -viewers $$1 -rate $$2 -duration 10s -issues 100 -server-pid $$pid \
			|| status=1; \
		kill $$pid; wait $$pid || true; rm -rf $$dir; echo; \
	done; exit $$status

# What one idle board socket holds at 10,000 (issue #16): heap by allocation
# site, goroutine stacks, kernel slab and buffers; docs/PERFORMANCE.md.
bench-ws-mem:
	$(GO) test -run '^$$' -bench BenchmarkIdleSocketMemory -benchtime 1x -timeout 10m ./app/ -args -idle-sockets=10000 -idle-sites=false
	$(GO) test -run '^$$' -bench BenchmarkIdleSocketMemory -benchtime 1x -timeout 10m ./app/ -args -idle-sockets=10000

# A board of 1,000 and of 10,000 cards in headless Chromium (issue #16):
# first paint, interactive, drag start and drop, JS heap and DOM size;
# docs/PERFORMANCE.md. BROWSER_CARDS picks the sizes.
BROWSER_CARDS ?= 1000,10000
bench-browser:
	$(GO) test -run '^$$' -bench BenchmarkBrowserBoard -benchtime 1x -timeout 30m ./app/ -args -browser-cards=$(BROWSER_CARDS)

# Three instances on PostgreSQL + Redis: fan-out through Redis versus one
# instance, and a reconnect storm after killing one (scripts/bench-cluster.sh).
bench-cluster: build
	./scripts/bench-cluster.sh

# Rebuilds static/css/app.css (Tailwind + daisyUI). Needs Node only here,
# never at run time; the built file is committed.
css:
	# npm install, not npm ci: npm ci refuses this lock (the platform-specific
	# optional @tailwindcss/oxide-* packages are "missing", an npm bug).
	npm install --no-audit --no-fund
	npm run build:css

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
