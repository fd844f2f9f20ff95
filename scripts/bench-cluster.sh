#!/usr/bin/env bash
# Three instances on one PostgreSQL schema and one Redis (fresh prefix),
# load client on the same machine. In one run:
#   1. fan-out, one instance: 1,000 viewers and the moves on instance 1;
#   2. fan-out through Redis: the same, viewers on instances 2 and 3;
#   3. moves of one board from 16 movers spread over the three instances
#      (moves/s, p50, p99);
#   4. reconnect storm: 5,000 viewers on instance 3, killed; they reconnect
#      to 1 and 2 with since while moves go on.
# Needs: bin/corkboard, bin/corkbench (make build), psql, a PostgreSQL on
# BENCH_PG (default the local test database) and Redis on BENCH_REDIS.
set -euo pipefail
PG=${BENCH_PG:-postgres://postgres:postgres@127.0.0.1:5432/test?sslmode=disable}
REDIS=${BENCH_REDIS:-redis://127.0.0.1:6379/0}
VIEWERS=${VIEWERS:-1000}
RATE=${RATE:-20}
STORM=${STORM:-5000}
schema=bench_$$
prefix=cbbench:$$:
psql -q "$PG" -c "CREATE SCHEMA $schema"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PGOPTIONS=--client-min-messages=warning psql -q "$PG" -c "DROP SCHEMA $schema CASCADE" || true
  redis-cli -u "$REDIS" --scan --pattern "${prefix}*" | xargs -r redis-cli -u "$REDIS" del >/dev/null || true
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

start() { # start N PORT: instance N on PORT
  DATABASE_URL="$PG&search_path=$schema" REDIS_URL=$REDIS REDIS_PREFIX=$prefix \
  JWT_SECRET=bench-secret-bench-secret-bench-secret BIND_ADDR=127.0.0.1:$2 PUBLIC_URL=http://127.0.0.1:$2 \
  DATA_DIR=$(mktemp -d) LOG_LEVEL=error WS_MAX_CONNS=20000 WS_MAX_CONNS_PER_USER=20000 RATE_LIMIT_PER_MINUTE=10000000 \
    ./bin/corkboard & pids[$1]=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/ready" >/dev/null && return; sleep 0.1; done
  echo "instance $1 did not become ready" >&2; exit 1
}
start 1 3911; start 2 3912; start 3 3913
u1=http://127.0.0.1:3911 u2=http://127.0.0.1:3912 u3=http://127.0.0.1:3913

echo "== 1. one instance: $VIEWERS viewers on instance 1, $RATE moves/s on instance 1"
./bin/corkbench -url $u1 -mode ws -viewers "$VIEWERS" -rate "$RATE" -duration 10s -issues 100
echo
echo "== 2. through Redis: $VIEWERS viewers on instances 2 and 3, $RATE moves/s on instance 1"
./bin/corkbench -url $u1 -viewer-urls $u2,$u3 -mode ws -viewers "$VIEWERS" -rate "$RATE" -duration 10s -issues 100
echo
echo "== 3. one board, moves through all three instances: 16 movers, round robin"
./bin/corkbench -url $u1 -move-urls $u1,$u2,$u3 -mode moves -concurrency 16 -duration 10s -issues 300 -pg-cpu \
  -pg-analyze "$PG&search_path=$schema"
echo
echo "== 4. reconnect storm: $STORM viewers on instance 3, killed; moves through instance 1"
./bin/corkbench -url $u3 -viewer-urls $u1,$u2 -mode storm -viewers "$STORM" -rate "$RATE" -duration 15s -issues 100 -kill-pid "${pids[3]}"
