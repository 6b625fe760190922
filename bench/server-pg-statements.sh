#!/usr/bin/env bash
# Where airliftd's time goes on PostgreSQL: pg_stat_statements (nested statements too, so
# trigger bodies show) over creating a rollout over DEVICES devices, printed as the statements
# that took the most time, with their call counts; then over REPORTS device reports (progress
# reports of 500 devices of another rollout, 16 in flight), with the statements and the
# round trips per report (the reads airliftd's PostgreSQL backends made from their sockets,
# counted by strace: one per round trip, since a pipelined round trip arrives as one packet).
# A profile, not a row of RESULTS.md: the numbers explain the rows.
# Usage: bench/server-pg-statements.sh   (env: DEVICES=100000 REPORTS=3000 SKIP_BUILD=0 TOP=15,
#        AIRLIFT_BIN_DIR=DIR to profile other binaries, e.g. an earlier build)
set -euo pipefail
PG_EXTRA=(-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all
    -c pg_stat_statements.max=1000 -c track_functions=all -c track_io_timing=on)
source "$(dirname "$0")/server/lib.sh"

DEVICES="${DEVICES:-100000}"
REPORTS="${REPORTS:-3000}"
TOP="${TOP:-15}"

need_debian_packages curl jq openssl python3 strace
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

[ "$REPORTS" -gt 0 ] || exit 0

# Reports: 500 other devices, all told at once, each sending progress (never an exact repeat).
REPORTERS=500
PROFILE2="$(provision_fleet "$REPORTERS" bench-sensor report-fleet "$SCRATCH/reporters.jsonl")"
ROLLOUT2="$(api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "$PROFILE2" \
    '{package_id: $p, target_profile_id: $pr, canary_percent: 100, failure_threshold_percent: 100}')" |
    jq -r .rollout_id)"
# reports_file FILE FIRST COUNT: a curl config sending reports FIRST.. (device by device,
# round robin), each a new progress report (never an exact repeat).
mapfile -t REPORTER_LINES <"$SCRATCH/reporters.txt"
reports_file() {
    local file="$1" first="$2" count="$3" i device token
    : >"$file"
    for i in $(seq "$first" $((first + count - 1))); do
        read -r device token <<<"${REPORTER_LINES[$((i % REPORTERS))]}"
        {
            [ "$i" -gt "$first" ] && echo next
            echo "url = \"$AIRLIFTD_URL/api/v1/devices/$device/ota/report\""
            echo "header = \"Authorization: Bearer $token\""
            echo 'header = "Content-Type: application/json"'
            echo "data = \"{\\\"rollout_id\\\": \\\"$ROLLOUT2\\\", \\\"firmware_version\\\": \\\"1.0.0\\\", \\\"status\\\": \\\"DOWNLOAD_STEP\\\", \\\"progress\\\": $((i % 99 + 1)), \\\"message\\\": \\\"chunk $i\\\"}\""
            echo 'output = "/dev/null"'
            echo 'write-out = "%{http_code}\n"'
        } >>"$file"
    done
}
# send_reports FILE → how many answered 200 (one curl process, 16 in flight).
send_reports() {
    curl -sS --no-progress-meter --parallel --parallel-max 16 -K "$1" 2>/dev/null | grep -c '^200$' || true
}

# Every device's first report (command_sent → in_progress) warms the pool and the caches.
reports_file "$SCRATCH/warm.curl" 0 "$REPORTERS"
send_reports "$SCRATCH/warm.curl" >/dev/null
reports_file "$SCRATCH/timed.curl" "$REPORTERS" "$REPORTS"
reports_file "$SCRATCH/counted.curl" $((REPORTERS + REPORTS)) "$REPORTS"

"${PSQL[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
t0="$EPOCHREALTIME"
ok="$(send_reports "$SCRATCH/timed.curl")"
t1="$EPOCHREALTIME"
awk -v a="$t0" -v b="$t1" -v n="$REPORTS" -v ok="$ok" -v l="$(load_now)" \
    'BEGIN { printf "%d progress reports (%d answered 200) in %.2f s: %.0f/s with 16 in flight (load %s)\n", n, ok, b - a, n / (b - a), l }' >&2
top_statements
"${PSQL[@]}" -At -c "SELECT 'per report: ' || round(sum(calls)::numeric / $REPORTS, 2) || ' statements'
    FROM pg_stat_statements WHERE toplevel AND query NOT LIKE '%pg_stat_statements%'"

# Round trips, on a second round (strace slows what it watches, so this round is not timed):
# the reads of airliftd's backends that found data, one per round trip.
BACKENDS="$("${PSQL[@]}" -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'airliftd'")"
STRACE_ARGS=()
for pid in $BACKENDS; do STRACE_ARGS+=(-p "$pid"); done
strace -c -e trace=recvfrom -o "$SCRATCH/strace.txt" "${STRACE_ARGS[@]}" 2>/dev/null &
STRACE_PID=$!
sleep 1
ok="$(send_reports "$SCRATCH/counted.curl")"
sleep 1
kill -INT "$STRACE_PID"
wait "$STRACE_PID" 2>/dev/null || true
# strace -c's table: % time, seconds, usecs/call, calls, errors (EAGAIN: nothing to read), syscall.
awk -v n="$REPORTS" -v ok="$ok" '$NF == "recvfrom" { calls = $4; errors = ($5 ~ /^[0-9]+$/) ? $5 : 0 }
    END { printf "per report: %.2f round trips (%d backend reads with data over %d reports, %d answered 200)\n", (calls - errors) / n, calls - errors, n, ok }' \
    "$SCRATCH/strace.txt"
