#!/usr/bin/env bash
# Row "device poll GET /ota for 100k provisioned devices (wrk)": airliftd's
# `GET /api/v1/devices/{id}/ota`, each request from the next device with its own token, against
# nginx returning a static JSON file of the same size (target: req/s ≥ 0.5× and p99 < 10 ms).
#
# Set-up: DEVICES devices provisioned through the bulk API (airlift-sim provision), a signed
# package and an all-at-once rollout over them, so every poll answers an assignment with its
# pending ota_start command (200 + JSON, the heavier answer; 204 is the idle case). nginx's
# file is one device's actual answer. wrk sends the same requests to both
# (bench/server/poll.lua). Rounds are interleaved with alternating order; the best of each
# counts. Each airliftd run starts at another part of the fleet, so its devices were not seen in
# the last minute (the token cache is cold for them, as for a fleet polling every few minutes).
# DATABASE=postgres runs airliftd on a PostgreSQL 15 started for the run (bench/server/lib.sh).
# Usage: bench/server-poll.sh   (env: DEVICES=100000 ROUNDS=2 WRK_THREADS=2 WRK_CONNECTIONS=32
#        WRK_DURATION=10s SKIP_BUILD=0 DATABASE=sqlite)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

DEVICES="${DEVICES:-100000}"
ROUNDS="${ROUNDS:-2}"
export WRK_THREADS="${WRK_THREADS:-2}" WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}" WRK_DURATION="${WRK_DURATION:-10s}"

need_debian_packages nginx-light wrk curl jq openssl python3
build_release
make_scratch
print_machine
start_database

start_airliftd "$SCRATCH/server"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
random_file "$SCRATCH/artifact.bin" 1
PACKAGE="$(publish_package "$SCRATCH/artifact.bin" 2.0.0 bench-sensor)"
t0="$EPOCHREALTIME"
PROFILE="$(provision_fleet "$DEVICES" bench-sensor bench-fleet "$SCRATCH/devices.jsonl")"
t1="$EPOCHREALTIME"
api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "$PROFILE" \
    '{package_id: $p, target_profile_id: $pr, strategy: "all_at_once", failure_threshold_percent: 100}')" |
    jq -c '{scheduled_count, status}' >&2
t2="$EPOCHREALTIME"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$DEVICES" \
    'BEGIN { printf "set-up: provisioned %d devices in %.1f s, rollout created in %.1f s\n", n, b - a, c - b }' >&2

# nginx answers with one device's real answer (all answers have the same length).
read -r DEVICE DEVICE_TOKEN <"$SCRATCH/devices.txt"
mkdir -p "$SCRATCH/static"
code="$(curl -sS -o "$SCRATCH/static/poll.json" -w '%{http_code}' -H "Authorization: Bearer $DEVICE_TOKEN" \
    "$AIRLIFTD_URL/api/v1/devices/$DEVICE/ota")"
[ "$code" = 200 ] || { echo "GET /ota answered $code, expected 200 with an assignment" >&2; exit 1; }
echo "answer: $(stat -c %s "$SCRATCH/static/poll.json") bytes: $(cat "$SCRATCH/static/poll.json")" >&2
start_nginx "$SCRATCH/static" poll.json
curl -sSf -o "$SCRATCH/ref.json" "$NGINX_URL/api/v1/devices/$DEVICE/ota"
cmp "$SCRATCH/ref.json" "$SCRATCH/static/poll.json"

LUA="$BENCH_SERVER/poll.lua"
ours=() ref=() ours_p99=() ref_p99=() cpu=()
for round in $(seq "$ROUNDS"); do
    echo "round $round (load $(load_now))" >&2
    if [ $((round % 2)) -eq 1 ]; then order=(ours ref); else order=(ref ours); fi
    start="$(awk -v r="$round" -v n="$ROUNDS" 'BEGIN { printf "%.3f", (r - 1) / n }')"
    for side in "${order[@]}"; do
        if [ "$side" = ours ]; then
            before="$(cpu_seconds "$AIRLIFTD_PID")"
            run_wrk "ours-$round" "$AIRLIFTD_URL" "$LUA" "$SCRATCH/devices.txt" "$start"
            cpu+=("$(awk -v a="$before" -v b="$(cpu_seconds "$AIRLIFTD_PID")" 'BEGIN { printf "%.1f", b - a }')")
            ours+=("$(wrk_rps "ours-$round")")
            ours_p99+=("$(wrk_latency "ours-$round" 99)")
        else
            run_wrk "ref-$round" "$NGINX_URL" "$LUA" "$SCRATCH/devices.txt" "$start"
            ref+=("$(wrk_rps "ref-$round")")
            ref_p99+=("$(wrk_latency "ref-$round" 99)")
        fi
    done
done

best_ours="$(max_of "${ours[@]}")"
best_ref="$(max_of "${ref[@]}")"
# The p99 of airliftd's best run (by req/s).
p99="$(for i in "${!ours[@]}"; do echo "${ours[$i]} ${ours_p99[$i]}"; done | sort -g | tail -n1 | cut -d' ' -f2)"
r="$(ratio "$best_ours" "$best_ref")"
verdict="$(at_least "$r" 0.5)"
[ "$(awk -v p="$p99" 'BEGIN { print (p < 10) ? "ok" : "no" }')" = ok ] || verdict=missed
echo "runs: ours ${ours[*]} req/s (p99 ms: ${ours_p99[*]}; airliftd CPU s per run: ${cpu[*]}); reference ${ref[*]} req/s (p99 ms: ${ref_p99[*]}); wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION; load $(load_now)" >&2
echo "device-poll-${DEVICES}-${DATABASE:-sqlite}: ours $best_ours req/s (p99 $p99 ms), reference $best_ref req/s, ratio $r (target ≥ 0.5 and p99 < 10 ms): $verdict"
