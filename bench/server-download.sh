#!/usr/bin/env bash
# Row "device downloads: presigned S3 URL vs the 64 KiB chunk endpoint" (issue 16): a release
# airliftd on S3 storage (s3s-fs, as in the tests, on loopback), DEVICES devices, an
# all-at-once rollout of an ARTIFACT_KIB KiB package, run twice with the same fleet size: once
# with the devices fetching their presigned download URL from the bucket in 1 MiB ranges (the
# simulator's default), once through the server's 64 KiB chunk endpoint (`--chunks`, the
# reference). Recorded for each: wall time from creating the rollout to `completed`, and the
# server's CPU time over that span. Issue 16 sets no target for this row: it shows what URLs
# change. The server's CPU drops (the bytes leave its path) although the URL round lasts longer
# and the fleet's polls (every 2 s) go on meanwhile; the wall time with URLs is the S3 server's
# speed (s3s-fs, a test server reading files and checking every signature, is slower than
# airliftd's in-memory hot chunks), not airliftd's.
# Usage: bench/server-download.sh   (env: DEVICES=1000 ARTIFACT_KIB=1024 MAX_MINUTES=20 SKIP_BUILD=0)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

DEVICES="${DEVICES:-1000}"
ARTIFACT_KIB="${ARTIFACT_KIB:-1024}"
MAX_MINUTES="${MAX_MINUTES:-20}"
S3S_FS="$(command -v s3s-fs || echo "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs")"
[ -x "$S3S_FS" ] || { echo "s3s-fs is missing: run cargo xtask setup" >&2; exit 1; }

need_debian_packages curl jq openssl python3
build_release
make_scratch
print_machine

export AWS_ACCESS_KEY_ID=AKBENCH AWS_SECRET_ACCESS_KEY=bench-secret
S3_PORT="$(free_port)"
mkdir -p "$SCRATCH/s3/bench"
"$S3S_FS" --host 127.0.0.1 --port "$S3_PORT" --access-key "$AWS_ACCESS_KEY_ID" \
    --secret-key "$AWS_SECRET_ACCESS_KEY" "$SCRATCH/s3" >"$SCRATCH/s3.log" 2>&1 &
started $!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break; sleep 0.1; done

start_airliftd "$SCRATCH/server" --storage s3://bench/airlift --s3-endpoint "http://127.0.0.1:$S3_PORT"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
random_bytes "$SCRATCH/firmware.bin" "$((ARTIFACT_KIB * 1024))"
PACKAGE="$(publish_package "$SCRATCH/firmware.bin" 2.0.0 dl-sensor)"

# round NAME [airlift-sim flags…]: a fresh fleet of DEVICES in its own profile, rolled out to;
# sets ROUND_WALL and ROUND_CPU (the server's).
round() {
    local name="$1" state status t0 cpu0 rollout profile sim deadline
    shift
    profile="$(provision_fleet "$DEVICES" dl-sensor "fleet-$name" "$SCRATCH/$name.jsonl")"
    AIRLIFT_SERVER_URL="$AIRLIFTD_URL" AIRLIFT_TOKEN="$TOKEN" "$SIM" run --devices "$SCRATCH/$name.jsonl" \
        --seed 1 --poll 2s --install-time 50ms --reboot-time 100ms --fail-install 0 \
        --until settled --quiet 5s --max-time "${MAX_MINUTES}m" "$@" \
        >"$SCRATCH/$name-summary.json" 2>"$SCRATCH/$name-sim.log" &
    sim=$!
    started "$sim"
    sleep 3
    cpu0="$(cpu_seconds "$AIRLIFTD_PID")"
    t0="$EPOCHREALTIME"
    rollout="$(api POST /api/v1/ota/rollouts "$(jq -nc --arg p "$PACKAGE" --arg pr "$profile" \
        '{package_id: $p, target_profile_id: $pr, strategy: "all_at_once", failure_threshold_percent: 10}')" |
        jq -r .rollout_id)"
    deadline=$((SECONDS + MAX_MINUTES * 60))
    while :; do
        state="$(api GET "/api/v1/ota/rollouts/$rollout")"
        status="$(jq -r .status <<<"$state")"
        [ "$status" = completed ] && break
        [ "$status" = active ] || { echo "$name: rollout is $status: $(jq -c .counters <<<"$state")" >&2; exit 1; }
        [ "$SECONDS" -lt "$deadline" ] || { echo "$name: not completed after $MAX_MINUTES min" >&2; exit 1; }
        sleep 0.5
    done
    ROUND_WALL="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
    ROUND_CPU="$(awk -v a="$cpu0" -v b="$(cpu_seconds "$AIRLIFTD_PID")" 'BEGIN { printf "%.1f", b - a }')"
    echo "$name: $(jq -c .counters <<<"$state") in $ROUND_WALL s" >&2
    wait "$sim" || true
}

round url
url_wall="$ROUND_WALL" url_cpu="$ROUND_CPU"
round chunks --chunks
chunk_wall="$ROUND_WALL" chunk_cpu="$ROUND_CPU"
cpu_ratio="$(awk -v a="$url_cpu" -v b="$chunk_cpu" 'BEGIN { printf "%.2f", a / b }')"
wall_ratio="$(awk -v a="$url_wall" -v b="$chunk_wall" 'BEGIN { printf "%.2f", a / b }')"
echo "download-${DEVICES}x${ARTIFACT_KIB}KiB: ours (presigned URL) server CPU ${url_cpu} s, wall ${url_wall} s; reference (64 KiB chunks) server CPU ${chunk_cpu} s, wall ${chunk_wall} s; ratio: server CPU $cpu_ratio, wall $wall_ratio (no target); load $(load_now)"
