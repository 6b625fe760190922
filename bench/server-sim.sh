#!/usr/bin/env bash
# Row "simulator: 10k devices through a full rollout" (no reference tool; target: completes):
# a release airliftd, DEVICES devices provisioned through the bulk API, one airlift-sim process
# running all of them against it, and an all-at-once rollout of a signed ARTIFACT_KIB KiB
# package over their profile. Recorded: wall time from creating the rollout to the server
# saying `completed`, the server's CPU time over the same span (utime + stime from
# /proc/PID/stat), the simulator's CPU time, and the simulator's summary.
# Device timing as in `cargo bench -p airlift-sim --bench scale_10k` (its in-process fake is
# the comparison): poll 2 s, install 50 ms, reboot 100 ms, no faults.
# Usage: bench/server-sim.sh   (env: DEVICES=10000 ARTIFACT_KIB=100 MAX_MINUTES=60 SKIP_BUILD=0)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

DEVICES="${DEVICES:-10000}"
ARTIFACT_KIB="${ARTIFACT_KIB:-100}"
MAX_MINUTES="${MAX_MINUTES:-60}"

need_debian_packages curl jq openssl python3
build_release
make_scratch
print_machine

start_airliftd "$SCRATCH/server"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
random_bytes "$SCRATCH/firmware.bin" "$((ARTIFACT_KIB * 1024))"
PACKAGE="$(publish_package "$SCRATCH/firmware.bin" 2.0.0 sim-sensor)"
t0="$EPOCHREALTIME"
PROFILE="$(provision_fleet "$DEVICES" sim-sensor sim-fleet "$SCRATCH/devices.jsonl")"
echo "set-up: provisioned $DEVICES devices in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2

# The fleet runs until it has been idle for 10 s after doing some work.
AIRLIFT_SERVER_URL="$AIRLIFTD_URL" AIRLIFT_TOKEN="$TOKEN" "$SIM" run --devices "$SCRATCH/devices.jsonl" \
    --seed 1 --poll 2s --install-time 50ms --reboot-time 100ms --fail-install 0 \
    --until settled --quiet 10s --max-time "${MAX_MINUTES}m" --progress \
    >"$SCRATCH/summary.json" 2>"$SCRATCH/sim.log" &
SIM_PID=$!
started "$SIM_PID"
sleep 3 # let every device make its first poll (idle: no assignment yet)

server_cpu0="$(cpu_seconds "$AIRLIFTD_PID")"
sim_cpu0="$(cpu_seconds "$SIM_PID")"
t0="$EPOCHREALTIME"
ROLLOUT="$(api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "$PROFILE" \
    '{package_id: $p, target_profile_id: $pr, strategy: "all_at_once", failure_threshold_percent: 10}')" |
    tee "$SCRATCH/created.json" | jq -r .rollout_id)"
echo "rollout: $(jq -c '{rollout_id, status, scheduled_count}' "$SCRATCH/created.json")" >&2

deadline=$((SECONDS + MAX_MINUTES * 60))
next_print=0
while :; do
    state="$(api GET "/api/v1/ota/rollouts/$ROLLOUT")"
    status="$(jq -r .status <<<"$state")"
    [ "$status" = completed ] && break
    [ "$status" = active ] || { echo "rollout is $status: $(jq -c .counters <<<"$state")" >&2; exit 1; }
    kill -0 "$SIM_PID" 2>/dev/null || { echo "the simulator stopped early:" >&2; tail -n 20 "$SCRATCH/sim.log" >&2; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "not completed after $MAX_MINUTES min: $(jq -c .counters <<<"$state")" >&2; exit 1; }
    if [ "$SECONDS" -ge "$next_print" ]; then
        echo "  [$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%6.1f", b - a }') s] $(jq -c .counters <<<"$state") (load $(load_now))" >&2
        next_print=$((SECONDS + 15))
    fi
    sleep 1
done
t1="$EPOCHREALTIME"
server_cpu="$(awk -v a="$server_cpu0" -v b="$(cpu_seconds "$AIRLIFTD_PID")" 'BEGIN { printf "%.1f", b - a }')"
sim_cpu="$(awk -v a="$sim_cpu0" -v b="$(cpu_seconds "$SIM_PID")" 'BEGIN { printf "%.1f", b - a }')"
wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
echo "completed: $(jq -c .counters <<<"$state")" >&2

wait "$SIM_PID"
summary="$(cat "$SCRATCH/summary.json")"
echo "simulator summary: $(jq -c 'del(.per_device)' <<<"$summary")" >&2
installed="$(jq -r '.jobs.installed // 0' <<<"$summary")"
rss="$(grep VmHWM "/proc/$AIRLIFTD_PID/status" | awk '{ printf "%.0f MiB", $2 / 1024 }')"
verdict=missed
[ "$installed" -eq "$DEVICES" ] && [ "$(jq -r '.firmware["2.0.0"] // 0' <<<"$summary")" -eq "$DEVICES" ] && verdict=met
echo "sim-${DEVICES}: ours completed in $wall s, server CPU $server_cpu s (peak RSS $rss), simulator CPU $sim_cpu s, $installed/$DEVICES installed, reference none (target: completes): $verdict; load $(load_now)"
