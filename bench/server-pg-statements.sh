#!/usr/bin/env bash
# Where airliftd's time goes on PostgreSQL: pg_stat_statements (nested statements too, so
# trigger bodies show) over creating a rollout over DEVICES devices, printed as the statements
# that took the most time, with their call counts. A profile, not a row of RESULTS.md: the
# numbers explain the rows.
# Usage: bench/server-pg-statements.sh   (env: DEVICES=100000 SKIP_BUILD=0 TOP=15,
#        AIRLIFT_BIN_DIR=DIR to profile other binaries, e.g. an earlier build)
set -euo pipefail
PG_EXTRA=(-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all
    -c pg_stat_statements.max=1000 -c track_functions=all -c track_io_timing=on)
source "$(dirname "$0")/server/lib.sh"

DEVICES="${DEVICES:-100000}"
TOP="${TOP:-15}"

need_debian_packages curl jq openssl python3
build_release
make_scratch
print_machine
start_postgres
"${PSQL[@]}" -c "CREATE EXTENSION pg_stat_statements"

start_airliftd "$SCRATCH/server"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
random_file "$SCRATCH/artifact.bin" 1
PACKAGE="$(publish_package "$SCRATCH/artifact.bin" 2.0.0 bench-sensor)"
PROFILE="$(provision_fleet "$DEVICES" bench-sensor bench-fleet "$SCRATCH/devices.jsonl")"

# The top statements since the last reset: calls, total and mean time, rows, the statement.
top_statements() {
    "${PSQL[@]}" -P pager=off -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
            round(mean_exec_time::numeric, 3) AS mean_ms, rows,
            left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $TOP"
    "${PSQL[@]}" -P pager=off -At -c "SELECT 'statements: ' || sum(calls) || ' calls, '
            || round(sum(total_exec_time)::numeric) || ' ms in PostgreSQL (nested ones counted twice)'
        FROM pg_stat_statements"
}

"${PSQL[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
t0="$EPOCHREALTIME"
api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "$PROFILE" \
    '{package_id: $p, target_profile_id: $pr, canary_percent: 10, failure_threshold_percent: 100}')" |
    jq -c '{rollout_id, scheduled_count, status}' >&2
t1="$EPOCHREALTIME"
awk -v a="$t0" -v b="$t1" -v n="$DEVICES" -v l="$(load_now)" \
    'BEGIN { printf "rollout over %d devices created in %.2f s (load %s)\n", n, b - a, l }' >&2
top_statements
