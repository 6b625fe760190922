#!/usr/bin/env bash
# Issue 18's benchmark, one command: 1,000,000 simulated devices polling every 5 minutes
# (≈ 3,300 polls/s, spread evenly) through nginx to 3 airliftd on PostgreSQL 15 (production
# durability) and the S3 test server (s3s-fs), all on loopback, with a rollout of 10,000 of them
# (download by presigned URL from S3, install, report); then the same load with one server
# killed (kill -9) midway through a second rollout of 10,000 others.
# Prints per phase: poll latency p50/p99 from nginx's access log ($request_time; target p99 <
# 50 ms), errors (target 0), each server's CPU seconds and peak RSS, PostgreSQL's, nginx's,
# s3s-fs's and the simulator's CPU, the simulator's peak RSS, the rollout's completion; then
# one verdict line per target (`name: …, target …: met|missed; load L`).
# It is a harness-less cargo bench (crates/airlift-sim/benches/cluster_1m/) driving the release
# airliftd and airlift-sim (one process simulating every device).
# A full run takes about 15 minutes (2 × 5-minute phases after ~1 min of provisioning).
# Usage: bench/cluster-1m.sh
#   env: AIRLIFT_BENCH_DEVICES=1000000  AIRLIFT_BENCH_POLLS_PER_S=3333.3 (each device polls every
#        DEVICES / RATE s)  AIRLIFT_BENCH_ROLLOUT_DEVICES=DEVICES/100  AIRLIFT_BENCH_PACKAGE_KIB=1024
#        SKIP_BUILD=1 (use target/release as it is)
# Quick look: AIRLIFT_BENCH_DEVICES=20000 bench/cluster-1m.sh (same 3,300 polls/s, every 6 s).
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y "${missing[@]}" >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y "${missing[@]}" >&2; }
}
need postgresql-15 nginx-light
command -v s3s-fs >/dev/null || [ -x "$HOME/.cargo/bin/s3s-fs" ] || {
    echo "s3s-fs is missing: cargo xtask setup installs it" >&2
    exit 1
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --quiet --release --locked -p airlift-server -p airlift-sim
fi
# The bench starts these binaries (airlift-testkit) instead of building its own.
export AIRLIFT_BIN_DIR="${CARGO_TARGET_DIR:-$PWD/target}/release"
cargo bench --quiet --locked -p airlift-sim --bench cluster_1m
