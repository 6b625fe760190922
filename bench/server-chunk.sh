#!/usr/bin/env bash
# Row "64 KiB range requests on /ota/chunk (wrk, keep-alive)": airliftd's
# `GET /api/v1/devices/{id}/ota/chunk` against nginx serving the same artifact file (the one
# airliftd stores) with the same `Range` headers (target: req/s ≥ 0.8×).
#
# Set-up: a signed package of ARTIFACT_MIB MiB, DEVICES devices in a profile and an all-at-once
# rollout of the package, so every device may read it. wrk (same threads, connections and
# duration for both) sends identical requests to both servers with bench/server/chunk.lua:
# the next device's token and the next 64 KiB range, as airliftd's query and as a Range header.
# Both sides run ROUNDS times, interleaved with alternating order; the best of each counts.
# Usage: bench/server-chunk.sh   (env: ARTIFACT_MIB=16 DEVICES=1000 ROUNDS=2 WRK_THREADS=2
#        WRK_CONNECTIONS=32 WRK_DURATION=10s SKIP_BUILD=0)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

ARTIFACT_MIB="${ARTIFACT_MIB:-16}"
DEVICES="${DEVICES:-1000}"
ROUNDS="${ROUNDS:-2}"
export WRK_THREADS="${WRK_THREADS:-2}" WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}" WRK_DURATION="${WRK_DURATION:-10s}"

need_debian_packages nginx-light wrk curl jq openssl python3
build_release
make_scratch
print_machine

start_airliftd "$SCRATCH/server"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
random_file "$SCRATCH/artifact.bin" "$ARTIFACT_MIB"
SIZE="$(stat -c %s "$SCRATCH/artifact.bin")"
PACKAGE="$(publish_package "$SCRATCH/artifact.bin" 2.0.0 bench-sensor)"
PROFILE="$(provision_fleet "$DEVICES" bench-sensor bench-fleet "$SCRATCH/devices.jsonl")"
api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "$PROFILE" \
    '{package_id: $p, target_profile_id: $pr, strategy: "all_at_once", failure_threshold_percent: 100}')" >/dev/null

# nginx serves the very file airliftd stored for the package.
STORED="$(find "$SCRATCH/server/objects/firmware" -type f -name '*.bin')"
[ "$(echo "$STORED" | wc -l)" -eq 1 ] || { echo "expected one stored artifact, found: $STORED" >&2; exit 1; }
start_nginx "$(dirname "$STORED")" "$(basename "$STORED")"

# Same bytes from both, or the comparison means nothing.
read -r DEVICE DEVICE_TOKEN <"$SCRATCH/devices.txt"
OFFSET=$((65536 * 3))
REQ="/api/v1/devices/$DEVICE/ota/chunk?package_id=$PACKAGE&offset=$OFFSET&length=65536"
HDRS=(-H "Authorization: Bearer $DEVICE_TOKEN" -H "Range: bytes=$OFFSET-$((OFFSET + 65535))")
curl -sSf "${HDRS[@]}" -o "$SCRATCH/ours.part" "$AIRLIFTD_URL$REQ"
curl -sSf "${HDRS[@]}" -o "$SCRATCH/ref.part" "$NGINX_URL$REQ"
dd if="$SCRATCH/artifact.bin" of="$SCRATCH/want.part" bs=65536 skip=$((OFFSET / 65536)) count=1 status=none
cmp "$SCRATCH/ours.part" "$SCRATCH/want.part" && cmp "$SCRATCH/ref.part" "$SCRATCH/want.part"

ARGS=("$SCRATCH/devices.txt" "$PACKAGE" "$SIZE")
LUA="$BENCH_SERVER/chunk.lua"
ours=() ref=() cpu=()
for round in $(seq "$ROUNDS"); do
    echo "round $round (load $(load_now))" >&2
    if [ $((round % 2)) -eq 1 ]; then order=(ours ref); else order=(ref ours); fi
    for side in "${order[@]}"; do
        if [ "$side" = ours ]; then
            before="$(cpu_seconds "$AIRLIFTD_PID")"
            run_wrk "ours-$round" "$AIRLIFTD_URL" "$LUA" "${ARGS[@]}"
            cpu+=("$(awk -v a="$before" -v b="$(cpu_seconds "$AIRLIFTD_PID")" 'BEGIN { printf "%.1f", b - a }')")
            ours+=("$(wrk_rps "ours-$round")")
        else
            run_wrk "ref-$round" "$NGINX_URL" "$LUA" "${ARGS[@]}"
            ref+=("$(wrk_rps "ref-$round")")
        fi
    done
done

best_ours="$(max_of "${ours[@]}")"
best_ref="$(max_of "${ref[@]}")"
r="$(ratio "$best_ours" "$best_ref")"
echo "runs: ours ${ours[*]} req/s (airliftd CPU s per run: ${cpu[*]}); reference ${ref[*]} req/s; wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION; load $(load_now)" >&2
echo "chunk-64k: ours $best_ours req/s, reference $best_ref req/s, ratio $r (target ≥ 0.8): $(at_least "$r" 0.8)"
