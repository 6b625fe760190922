#!/usr/bin/env bash
# The rollout engine at fleet scale (issue 9):
#   1. creating a rollout over 1,000,000 devices, vs sqlite3 doing the same writes with
#      INSERT … SELECT on the same database file (target: time ≤ 2×);
#   2. report → auto-pause visible to an SSE client while the server takes 3,000 reports/s
#      (target: p99 ≤ 1 s).
# Both are harness-less cargo benches in crates/airlift-sim/benches/ (release build, a real
# airliftd on loopback). AIRLIFT_BENCH_DEVICES=N shrinks the first one for a quick look.
# DATABASE=postgres runs both on a PostgreSQL 15 of their own (airlift-testkit, production
# durability: fsync and synchronous_commit on) and the first one against psql (target ≤ 1.5×).
# Usage: bench/server-rollout.sh   (env: DATABASE=sqlite|postgres AIRLIFT_BENCH_DEVICES=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v sqlite3 >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y sqlite3; else sudo apt-get install -y sqlite3; fi
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# The benches start this airliftd (see airlift-testkit) instead of building one themselves.
cargo build --quiet --release -p airlift-server --bin airliftd
export AIRLIFT_BIN_DIR="${CARGO_TARGET_DIR:-$PWD/target}/release"
export DATABASE="${DATABASE:-sqlite}"
if [ "$DATABASE" = postgres ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y postgresql-15; else sudo apt-get install -y postgresql-15; fi
fi
for bench in rollout_1m report_to_pause; do
    echo "$bench on $DATABASE (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    cargo bench --quiet -p airlift-sim --bench "$bench"
done
