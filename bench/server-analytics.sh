#!/usr/bin/env bash
# Issue 20: the analytics endpoints on a million-device fleet. Each is read back to back by one
# client (wrk, one connection, keep-alive) and, in the same run and on the same database, the
# database's own client runs the SQL the store runs for it (sqlite3, or psql with
# DATABASE=postgres; one process running it back to back for a second, at most REPEAT times,
# the mean a query), and the naive way
# (a GROUP BY over the rollout's targets or the tenant's devices) so the reader sees what the
# summaries the server keeps as reports arrive save. Targets: p99 < 100 ms, and the endpoint's
# mean within 2× of its SQL's.
#
# Set-up (the other server benches' way): DEVICES devices through the bulk API (airlift-sim
# provision) over three device types and nine firmware versions, a signed package for the
# largest type and a rollout over every device of that type not on it yet (~57% of the fleet)
# with a CANARY_PERCENT slice, then the devices' own reports through the device API (curl
# --parallel, each device once): FAILURES failures with messages from 13 templates whose
# numbers, paths and hex strings vary per device (bench/server/analytics-reports.awk; ~110
# reasons once normalized), SUCCEEDED successes and PROGRESS download progress reports. The
# timeline's rows for the month before the rollout started are inserted set-based into the
# database (a rollout that ran for a month; the server writes one row per minute in which a
# device changed, and answers the newest week).
#
# Rows: failure reasons, the timeline, fleet versions, and the device list filtered by a
# failure reason (what the UI opens from a reason: 200 rows by position) at its first window and
# at its last (offset = the group's size − 200).
# Usage: bench/server-analytics.sh   (env: DEVICES=1000000 FAILURES=DEVICES/10
#        SUCCEEDED=DEVICES/40 PROGRESS=DEVICES/100 CANARY_PERCENT=25 TIMELINE_DAYS=30
#        WRK_DURATION=10s REPEAT=20000 NAIVE_REPEAT=64 DATABASE=sqlite|postgres SKIP_BUILD=0
#        AIRLIFT_BIN_DIR=)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

DEVICES="${DEVICES:-1000000}"
FAILURES="${FAILURES:-$((DEVICES / 10))}"
SUCCEEDED="${SUCCEEDED:-$((DEVICES / 40))}"
PROGRESS="${PROGRESS:-$((DEVICES / 100))}"
CANARY_PERCENT="${CANARY_PERCENT:-25}"
TIMELINE_DAYS="${TIMELINE_DAYS:-30}"
WRK_DURATION="${WRK_DURATION:-10s}"
REPEAT="${REPEAT:-20000}"
NAIVE_REPEAT="${NAIVE_REPEAT:-64}"
PARALLEL_REPORTS="${PARALLEL_REPORTS:-64}"

need_debian_packages wrk curl jq openssl python3 sqlite3
build_release
make_scratch
print_machine
start_database
DB_NAME=SQLite
CLIENT=sqlite3
[ "${DATABASE:-sqlite}" = postgres ] && DB_NAME=PostgreSQL && CLIENT=psql

DATA="$SCRATCH/server"
start_airliftd "$DATA"
TOKEN="$(admin_token "$DATA" bench)"

# sql "STATEMENTS" → their output, one row a line, columns separated by '|'.
sql() {
    if [ "$CLIENT" = psql ]; then
        "${PSQL[@]}" -A -t -c "$1"
    else
        sqlite3 -cmd '.timeout 30000' "$DATA/airlift.db" "$1"
    fi
}

# --- The fleet: three device types, nine versions ------------------------------------------
# type version share (per mille of DEVICES); the rollout's package is sensor 2.0.0.
FLEET=(
    "sensor 1.2.0 120" "sensor 1.3.1 180" "sensor 1.4.2 270" "sensor 2.0.0 30"
    "gateway 3.0.0 100" "gateway 3.1.0 150"
    "camera 1.0.0 40" "camera 1.1.0 60" "camera 1.2.0 50"
)
random_file "$SCRATCH/artifact.bin" 1
PACKAGE="$(publish_package "$SCRATCH/artifact.bin" 2.0.0 sensor)"
declare -A PROFILES
t0="$EPOCHREALTIME"
provisioned=0
for i in "${!FLEET[@]}"; do
    read -r type version share <<<"${FLEET[$i]}"
    n=$((DEVICES * share / 1000))
    [ "$i" -eq $((${#FLEET[@]} - 1)) ] && n=$((DEVICES - provisioned))
    if [ -z "${PROFILES[$type]:-}" ]; then
        PROFILES[$type]="$(api POST /api/v1/profiles "$(jq -nc --arg n "$type-fleet" --arg t "$type" \
            '{name: $n, device_type: $t}')" | jq -r .profile_id)"
    fi
    AIRLIFT_SERVER_URL="$AIRLIFTD_URL" AIRLIFT_TOKEN="$TOKEN" "$SIM" provision --profile "${PROFILES[$type]}" \
        --device-type "$type" --firmware "$version" -n "$n" --name-prefix "$type-$version-" \
        --out "$SCRATCH/devices-$i.jsonl" >&2
    jq -r --arg v "$version" '"\(.device_id) \(.device_token) \($v)"' "$SCRATCH/devices-$i.jsonl" >>"$SCRATCH/devices.txt"
    rm "$SCRATCH/devices-$i.jsonl"
    provisioned=$((provisioned + n))
done
t1="$EPOCHREALTIME"

# --- The rollout and its reports ------------------------------------------------------------
ROLLOUT="$(api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "${PROFILES[sensor]}" \
    --argjson c "$CANARY_PERCENT" '{package_id: $p, target_profile_id: $pr, canary_percent: $c,
        failure_threshold_percent: 100, device_timeout_seconds: 604800}')" | tee "$SCRATCH/rollout.json" | jq -r .rollout_id)"
TARGETS="$(jq -r .eligible_count "$SCRATCH/rollout.json")"
SLICE="$(jq -r .scheduled_count "$SCRATCH/rollout.json")"
t2="$EPOCHREALTIME"
[ $((FAILURES + SUCCEEDED + PROGRESS)) -le "$SLICE" ] ||
    { echo "FAILURES + SUCCEEDED + PROGRESS must fit in the slice of $SLICE devices" >&2; exit 1; }

# The slice's devices (told to update), with their tokens and versions, in a shuffled order.
sql "SELECT device_id FROM rollout_targets WHERE rollout_id = '$ROLLOUT' AND state IS NOT NULL" |
    LC_ALL=C sort >"$SCRATCH/slice.txt"
LC_ALL=C sort "$SCRATCH/devices.txt" | LC_ALL=C join - "$SCRATCH/slice.txt" | shuf --random-source=<(yes) >"$SCRATCH/reporting.txt"
awk -v URL="$AIRLIFTD_URL" -v ROLLOUT="$ROLLOUT" -v FAILURES="$FAILURES" -v SUCCEEDED="$SUCCEEDED" \
    -v PROGRESS="$PROGRESS" -v NEW_VERSION=2.0.0 -v SEED=20 \
    -f "$BENCH_SERVER/analytics-reports.awk" <"$SCRATCH/reporting.txt" >"$SCRATCH/reports.curl"
curl --parallel --parallel-max "$PARALLEL_REPORTS" --no-progress-meter -K "$SCRATCH/reports.curl" >"$SCRATCH/report-codes.txt"
t3="$EPOCHREALTIME"
bad="$(grep -cv '^200$' "$SCRATCH/report-codes.txt" || true)"
[ "$bad" -eq 0 ] || { echo "$bad reports were not answered 200:" >&2; sort "$SCRATCH/report-codes.txt" | uniq -c >&2; exit 1; }
sent="$(wc -l <"$SCRATCH/report-codes.txt")"

# A month of the rollout's earlier minutes (the newest week is what the endpoint answers).
MINUTES=$((TIMELINE_DAYS * 24 * 60))
NOW_MINUTE=$(($(date +%s) / 60 * 60))
if [ "$CLIENT" = psql ]; then
    sql "INSERT INTO rollout_timeline (rollout_id, minute_unix, succeeded, failed, in_progress, pending)
         SELECT '$ROLLOUT', $NOW_MINUTE - 60 * i, $SUCCEEDED * ($MINUTES - i) / $MINUTES,
             $FAILURES * ($MINUTES - i) / $MINUTES, $PROGRESS, $TARGETS - ($SUCCEEDED + $FAILURES) * ($MINUTES - i) / $MINUTES
         FROM generate_series(2::bigint, $MINUTES + 1) AS i ON CONFLICT DO NOTHING"
else
    sql "WITH RECURSIVE m(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM m WHERE i <= $MINUTES)
         INSERT OR IGNORE INTO rollout_timeline (rollout_id, minute_unix, succeeded, failed, in_progress, pending)
         SELECT '$ROLLOUT', $NOW_MINUTE - 60 * i, $SUCCEEDED * ($MINUTES - i) / $MINUTES,
             $FAILURES * ($MINUTES - i) / $MINUTES, $PROGRESS, $TARGETS - ($SUCCEEDED + $FAILURES) * ($MINUTES - i) / $MINUTES
         FROM m"
fi
# Statistics as autovacuum would have them by now on a server that ran this long (the rows
# above arrived within minutes); SQLite's planner needs none for these statements.
[ "$CLIENT" = psql ] && sql "ANALYZE" >/dev/null
t4="$EPOCHREALTIME"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v n="$DEVICES" -v t="$TARGETS" -v s="$SLICE" -v r="$sent" \
    'BEGIN { printf "set-up: %d devices provisioned in %.1f s; rollout over %d targets (%d told) created in %.1f s; %d reports in %.1f s (%.0f/s); timeline rows in %.1f s\n",
             n, b - a, t, s, c - b, r, d - c, r / (d - c), e - d }' >&2

# --- What the answers hold (checked, so the figures are of correct answers) -----------------
TENANT="$(sql "SELECT tenant_id FROM rollouts WHERE id = '$ROLLOUT'")"
api GET "/api/v1/ota/rollouts/$ROLLOUT/failures" >"$SCRATCH/failures.json"
api GET "/api/v1/ota/rollouts/$ROLLOUT/timeline" >"$SCRATCH/timeline.json"
api GET /api/v1/fleet/versions >"$SCRATCH/versions.json"
REASON_GROUPS="$(jq '.data | length' "$SCRATCH/failures.json")"
counted="$(jq '[.data[].count] | add' "$SCRATCH/failures.json")"
[ "$counted" -eq "$FAILURES" ] || { echo "failure reasons count $counted failures, $FAILURES were reported" >&2; exit 1; }
POINTS="$(jq '.data | length' "$SCRATCH/timeline.json")"
fleet="$(jq '[.data[].devices] | add' "$SCRATCH/versions.json")"
[ "$fleet" -eq "$DEVICES" ] || { echo "fleet versions count $fleet devices, $DEVICES were provisioned" >&2; exit 1; }
on_new="$(jq '[.data[] | select(.device_type == "sensor" and .firmware_version == "2.0.0") | .devices] | add' "$SCRATCH/versions.json")"
[ "$on_new" -eq $((DEVICES * 30 / 1000 + SUCCEEDED)) ] ||
    { echo "fleet versions: $on_new sensors on 2.0.0, expected $((DEVICES * 30 / 1000 + SUCCEEDED))" >&2; exit 1; }
REASON="$(jq -r '.data[0].reason' "$SCRATCH/failures.json")"
REASON_STATUS="$(jq -r '.data[0].status' "$SCRATCH/failures.json")"
REASON_COUNT="$(jq -r '.data[0].count' "$SCRATCH/failures.json")"
LAST_OFFSET=$(((REASON_COUNT - 1) / 200 * 200))
REASON_Q="$(jq -rn --arg r "$REASON" --arg s "$REASON_STATUS" '"failure_reason=\($r | @uri)&failure_status=\($s | @uri)"')"
for offset in 0 "$LAST_OFFSET"; do
    api GET "/api/v1/ota/rollouts/$ROLLOUT/devices?$REASON_Q&sort=position&offset=$offset&limit=200" >"$SCRATCH/by-reason-$offset.json"
done
listed=$(($(jq '.data | length' "$SCRATCH/by-reason-$LAST_OFFSET.json") + LAST_OFFSET))
[ "$listed" -eq "$REASON_COUNT" ] || { echo "the reason's device list ends at $listed, the group counts $REASON_COUNT" >&2; exit 1; }
echo "answers: $REASON_GROUPS failure reasons ($(stat -c %s "$SCRATCH/failures.json") bytes; largest \"$REASON\" $REASON_STATUS × $REASON_COUNT), $POINTS timeline points ($(stat -c %s "$SCRATCH/timeline.json") bytes), $(jq '.data | length' "$SCRATCH/versions.json") fleet versions" >&2

# --- The SQL the store runs for each endpoint, and the naive way ----------------------------
q() { printf '%s' "$1" | sed "s/'/''/g"; }
# Each rollout read first checks the rollout is the tenant's (its key, not its row).
ROLLOUT_ROW="SELECT 1 FROM rollouts WHERE id = '$ROLLOUT' AND tenant_id = '$TENANT';"
declare -A PATHS STORE_SQL NAIVE_SQL WHAT
ENDPOINTS=(failures timeline versions by-reason by-reason-last)
PATHS[failures]="/api/v1/ota/rollouts/$ROLLOUT/failures"
STORE_SQL[failures]="SELECT reason, status, count, samples, example FROM rollout_failure_reasons
    WHERE rollout_id = '$ROLLOUT' ORDER BY count DESC, reason, status;"
NAIVE_SQL[failures]="SELECT failure_reason, failure_status, count(*) FROM rollout_targets
    WHERE rollout_id = '$ROLLOUT' GROUP BY 1, 2 ORDER BY 3 DESC;"
WHAT[failures]="failure reasons ($REASON_GROUPS groups of $FAILURES failed devices)"
PATHS[timeline]="/api/v1/ota/rollouts/$ROLLOUT/timeline"
STORE_SQL[timeline]="SELECT minute_unix, succeeded, failed, in_progress, pending FROM (
    SELECT * FROM rollout_timeline WHERE rollout_id = '$ROLLOUT' ORDER BY minute_unix DESC LIMIT 10080) t
    ORDER BY minute_unix;"
# Without the kept rows, one point (now) is a count over the rollout's targets.
NAIVE_SQL[timeline]="SELECT COALESCE(rollback_state, state), count(*) FROM rollout_targets
    WHERE rollout_id = '$ROLLOUT' GROUP BY 1;"
WHAT[timeline]="timeline ($POINTS points)"
PATHS[versions]="/api/v1/fleet/versions"
STORE_SQL[versions]="SELECT device_type, firmware_version, devices FROM fleet_versions
    WHERE tenant_id = '$TENANT' AND devices > 0 ORDER BY device_type, devices DESC, firmware_version;"
NAIVE_SQL[versions]="SELECT device_type, firmware_version, count(*) FROM devices
    WHERE tenant_id = '$TENANT' GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2;"
WHAT[versions]="fleet versions ($DEVICES devices)"
# The device list by reason, as the UI asks for it (a failure group in position order, 200
# rows from an offset): the store's statement, and the same rows without the failure index.
by_reason_store_sql() { # REASON STATUS OFFSET → the store's SQL for that window
    local reason status="$2" offset="$3" columns="t.device_id, t.position, t.state, t.rollback_state,
        t.progress, t.last_status, t.last_message, t.reported_version, t.updated_at, d.name, d.firmware_version"
    reason="$(q "$1")"
    if [ "$CLIENT" = psql ]; then
        printf '%s' "SELECT $columns FROM (SELECT position FROM rollout_targets
            WHERE rollout_id = '$ROLLOUT' AND failure_reason = '$reason' AND failure_status = '$status'
              AND position > -1
            ORDER BY failure_reason ASC, failure_status ASC, position ASC LIMIT 201 OFFSET $offset) page
          JOIN rollout_targets t ON t.rollout_id = '$ROLLOUT' AND t.position = page.position
          JOIN devices d ON d.id = t.device_id ORDER BY t.position ASC;"
    else
        printf '%s' "SELECT $columns FROM (SELECT t.rowid AS r FROM rollout_targets t
              INDEXED BY rollout_targets_by_failure
            WHERE t.rollout_id = '$ROLLOUT' AND t.position > -1 AND (0 = 0 OR t.state IS NULL)
              AND (NULL IS NULL OR COALESCE(t.rollback_state, t.state) = NULL)
              AND t.failure_reason = '$reason' AND t.failure_status = '$status'
            ORDER BY t.position ASC, t.position ASC LIMIT 201 OFFSET $offset) page
          JOIN rollout_targets t ON t.rowid = page.r JOIN devices d ON d.id = t.device_id
          ORDER BY t.position ASC, t.position ASC;"
    fi
}
by_reason_naive_sql() { # REASON STATUS OFFSET → the same rows, the failure index out of the planner's reach
    local column="+t.failure_reason"
    [ "$CLIENT" = psql ] && column="(t.failure_reason || '')"
    printf '%s' "SELECT t.device_id, t.position, t.state, t.rollback_state, t.progress, t.last_status,
        t.last_message, t.reported_version, t.updated_at, d.name, d.firmware_version
     FROM rollout_targets t JOIN devices d ON d.id = t.device_id
     WHERE t.rollout_id = '$ROLLOUT' AND t.position > -1
       AND $column = '$(q "$1")' AND t.failure_status = '$2'
     ORDER BY t.position ASC LIMIT 201 OFFSET $3;"
}
SMALL_REASON="$(jq -r '.data[-1].reason' "$SCRATCH/failures.json")"
SMALL_STATUS="$(jq -r '.data[-1].status' "$SCRATCH/failures.json")"
SMALL_COUNT="$(jq -r '.data[-1].count' "$SCRATCH/failures.json")"
ENDPOINTS+=(by-reason-small)
for e in by-reason by-reason-last by-reason-small; do
    reason="$REASON" status="$REASON_STATUS" count="$REASON_COUNT" offset=0 which=largest
    [ "$e" = by-reason-last ] && offset="$LAST_OFFSET"
    [ "$e" = by-reason-small ] && reason="$SMALL_REASON" status="$SMALL_STATUS" count="$SMALL_COUNT" which=smallest
    PATHS[$e]="/api/v1/ota/rollouts/$ROLLOUT/devices?$(jq -rn --arg r "$reason" --arg s "$status" \
        '"failure_reason=\($r | @uri)&failure_status=\($s | @uri)"')&sort=position&offset=$offset&limit=200"
    STORE_SQL[$e]="$(by_reason_store_sql "$reason" "$status" "$offset")"
    NAIVE_SQL[$e]="$(by_reason_naive_sql "$reason" "$status" "$offset")"
    WHAT[$e]="devices of the $which reason from offset $offset ($count devices, of $TARGETS targets)"
done

# client_mean_ms SQL MAX → the mean wall time of one run of SQL, in ms: one client process runs
# it N times (its output thrown away), minus the same process running it once, over N − 1; N
# grows (×4, up to MAX) until the N runs take a second, so a query of 50 µs is not lost in the
# start of a process.
client_run() {
    if [ "$CLIENT" = psql ]; then
        "${PSQL[@]}" -o /dev/null -f "$1"
    else
        sqlite3 "$DATA/airlift.db" <"$1" >/dev/null
    fi
}
client_mean_ms() {
    local sql="$1" max="$2" script="$SCRATCH/ref.sql" n=4 a b c
    { [ "$CLIENT" = sqlite3 ] && echo ".output /dev/null"; echo "$sql"; } >"$script.1"
    client_run "$script.1"
    while :; do
        [ "$n" -gt "$max" ] && n="$max"
        { [ "$CLIENT" = sqlite3 ] && echo ".output /dev/null"; for _ in $(seq "$n"); do echo "$sql"; done; } >"$script.n"
        a="$EPOCHREALTIME"; client_run "$script.1"; b="$EPOCHREALTIME"
        client_run "$script.n"; c="$EPOCHREALTIME"
        if [ "$n" -ge "$max" ] || [ "$(awk -v b="$b" -v c="$c" 'BEGIN { print (c - b >= 1) }')" = 1 ]; then
            awk -v a="$a" -v b="$b" -v c="$c" -v n="$n" 'BEGIN { printf "%.3f", ((c - b) - (b - a)) * 1000 / (n - 1) }'
            return
        fi
        n=$((n * 4))
    done
}

# --- Measure ---------------------------------------------------------------------------------
# one_client LABEL PATH: wrk, one connection, the admin's token, for WRK_DURATION.
one_client() {
    wrk -t 1 -c 1 -d "$WRK_DURATION" --latency -H "Authorization: Bearer $TOKEN" \
        "$AIRLIFTD_URL$2" >"$SCRATCH/wrk-$1.txt"
}
# The floor under every row: the same server answering `GET /healthz` (no token check, no
# database) to the same one client.
one_client floor /healthz
FLOOR="$(wrk_latency floor 50)"
echo "HTTP floor (GET /healthz, one client): p50 $FLOOR ms, p99 $(wrk_latency floor 99) ms (load $(load_now))" >&2
verdicts=()
for e in "${ENDPOINTS[@]}"; do
    echo "$e (load $(load_now))" >&2
    one_client "$e" "${PATHS[$e]}"
    sed "s/^/  [$e] /" "$SCRATCH/wrk-$e.txt" >&2
    if grep -q "Non-2xx or 3xx responses" "$SCRATCH/wrk-$e.txt"; then
        echo "$e: some answers were not 2xx; the figure would mean nothing" >&2
        exit 1
    fi
    requests="$(awk '/requests in/ { print $1 }' "$SCRATCH/wrk-$e.txt")"
    p50="$(wrk_latency "$e" 50)"
    p99="$(wrk_latency "$e" 99)"
    mean="$(awk -v r="$requests" -v d="${WRK_DURATION%s}" 'BEGIN { printf "%.3f", d * 1000 / r }')"
    # The plan, for the record; the reference runs the rollout check too where the store does.
    explain="EXPLAIN QUERY PLAN"
    [ "$CLIENT" = psql ] && explain="EXPLAIN"
    sql "$explain ${STORE_SQL[$e]}" | sed "s/^/  [$e plan] /" >&2
    check="$ROLLOUT_ROW "
    [ "$e" = versions ] && check=""
    ref="$(client_mean_ms "$check${STORE_SQL[$e]}" "$REPEAT")"
    naive="$(client_mean_ms "${NAIVE_SQL[$e]}" "$NAIVE_REPEAT")"
    r="$(ratio "$mean" "$ref")"
    verdict="$([ "$(at_most "$p99" 100)" = met ] && [ "$(at_most "$r" 2)" = met ] && echo met || echo missed)"
    verdicts+=("${WHAT[$e]} on $DB_NAME, $DEVICES devices: ours p50 $p50 ms, p99 $p99 ms, mean $mean ms over $requests requests; $CLIENT the same SQL $ref ms, ratio $r; naive $CLIENT $naive ms ($(ratio "$naive" "$mean")× ours); HTTP floor p50 $FLOOR ms (target p99 < 100 ms, ratio ≤ 2): $verdict")
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%s\n' "${verdicts[@]}"
