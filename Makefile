# Corkboard. `go run ./cmd/corkboard` runs the app; `make test` runs every test.
GO        ?= go
BENCH_ADDR ?= 127.0.0.1:3900
BENCH_DIR  ?= $(shell mktemp -d)
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: run build test vet bench bench-go bench-http css fmt clean

run:
	$(GO) run ./cmd/corkboard

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/corkboard ./cmd/corkboard
	$(GO) build -o bin/corkbench ./cmd/corkbench

vet:
	$(GO) vet ./...

# The README's test command; .ci/run calls it. PostgreSQL runs are included
# when TEST_DATABASE_URL is set (.ci/run sets it).
test: vet
	$(GO) test -race -count=1 ./...

# Benchmarks print figures; see docs/PERFORMANCE.md.
bench: bench-go bench-http

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./models/ ./app/

# Starts a server on a fresh SQLite file and loads it over HTTP.
bench-http: build
	@set -e; \
	DATA_DIR=$(BENCH_DIR) BIND_ADDR=$(BENCH_ADDR) PUBLIC_URL=http://$(BENCH_ADDR) LOG_LEVEL=warn ./bin/corkboard & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	for i in $$(seq 1 100); do curl -fs http://$(BENCH_ADDR)/health >/dev/null && break; sleep 0.1; done; \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode moves -concurrency 16 -duration 10s -issues 300; \
	./bin/corkbench -url http://$(BENCH_ADDR) -mode board -issues 1000 -n 50

# Rebuilds static/css/app.css (Tailwind + daisyUI). Needs Node only here,
# never at run time; the built file is committed.
css:
	npm ci --no-audit --no-fund
	npm run build:css

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
