#!/usr/bin/env bash
# Row "app cold start to first painted screen with a warm cache; resident memory of all its
# processes" (target ≤ 1 s; record RSS). No reference tool.
#
# The release app starts under Xvfb with AIRLIFT_DATA_DIR on a warm cache (FLEET devices,
# 200 packages, 50 rollouts, all synced; built by crates/airlift-desk/examples/sync_bench.rs) and
# an environment connection to a closed local port (the app shows the cache and reports offline).
# With AIRLIFT_EXIT_AFTER_FIRST_PAINT=1 the UI calls `first_paint` in the frame after the start
# screen (the dashboard) first rendered from the cache; the app prints a JSON line (clock time, memory of its process
# tree from /proc) and exits. Start-up time = that clock time − the clock just before exec.
# "Cold" means a new process each run; the OS page cache is warm (a first, discarded run warms
# it): dropping it needs root on the host, and a person's second launch looks like this.
# Usage: bench/desk-startup.sh   (env: FLEET=1000000 RUNS=7)
set -euo pipefail
source "$(dirname "$0")/desk-lib.sh"

FLEET="${FLEET:-1000000}"
RUNS="${RUNS:-7}"

need_debian_packages xvfb jq
if [ ! -d "$ROOT/ui/node_modules" ]; then npm --prefix "$ROOT/ui" ci >&2; fi
npm --prefix "$ROOT/ui" run build >&2
(cd "$ROOT" && cargo build --release --locked -p airlift --bin airlift >&2)
(cd "$ROOT" && cargo build --release --locked -p airlift-desk --example sync_bench >&2)
APP="$RELEASE/airlift"
make_scratch
print_machine

mkdir -p "$SCRATCH/data"
# The app keeps one cache file per server and tenant, the tenant read from the token's claims:
# an unsigned JWT naming tenant "bench" (nothing checks it: the server is not there).
URL="http://127.0.0.1:9"
TOKEN="eyJhbGciOiJub25lIn0.$(printf '{"tid":"bench","role":"admin"}' | base64 -w0 | tr '+/' '-_' | tr -d '=').x"
"$RELEASE/examples/sync_bench" warm "$SCRATCH/data" "$FLEET" "$URL" bench >/dev/null
echo "warm cache: $(du -sh "$SCRATCH/data" | cut -f1) ($FLEET devices, 200 packages, 50 rollouts)" >&2

# A private X server on a display number it picks itself.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$SCRATCH/display" 2>/dev/null &
XVFB_PID=$!
trap 'kill "$XVFB_PID" 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 100); do [ -s "$SCRATCH/display" ] && break; sleep 0.1; done
DISPLAY_NAME=":$(cat "$SCRATCH/display")"

# launch → one line "startup_ms proc_age_ms rss_kib pss_kib processes"
launch() {
    local t0 out
    t0="$(date +%s%3N)"
    out="$(env DISPLAY="$DISPLAY_NAME" AIRLIFT_DATA_DIR="$SCRATCH/data" \
        AIRLIFT_SERVER_URL="$URL" AIRLIFT_CONNECTION_NAME=bench AIRLIFT_TOKEN="$TOKEN" \
        AIRLIFT_EXIT_AFTER_FIRST_PAINT=1 timeout 60 "$APP" 2>"$SCRATCH/app.log" | grep -m1 first_paint_unix_ms)" || {
        echo "the app did not report a first paint; its log:" >&2
        cat "$SCRATCH/app.log" >&2
        exit 1
    }
    jq -r --argjson t0 "$t0" '"\(.first_paint_unix_ms - $t0) \(.since_process_start_ms) \(.memory.rss_kib) \(.memory.pss_kib) \([.memory.processes[] | "\(.name)=\(.rss_kib / 1024 | floor)MiB"] | join(","))"' <<<"$out"
}

launch >/dev/null # warms the page cache (binary, WebKit, the cache file)
starts=(); rss=(); pss=()
for run in $(seq "$RUNS"); do
    read -r ms age r p procs < <(launch)
    echo "run $run: first paint after $ms ms (process age $age ms), RSS $((r / 1024)) MiB, PSS $((p / 1024)) MiB: $procs" >&2
    starts+=("$ms"); rss+=("$r"); pss+=("$p")
    sleep 0.5 # let the previous WebKit processes go away
done

start_s="$(awk -v ms="$(median "${starts[@]}")" 'BEGIN { printf "%.3f", ms / 1000 }')"
rss_mib="$(awk -v k="$(median "${rss[@]}")" 'BEGIN { printf "%.0f", k / 1024 }')"
pss_mib="$(awk -v k="$(median "${pss[@]}")" 'BEGIN { printf "%.0f", k / 1024 }')"
echo "app cold start to first paint, warm cache of $FLEET devices (median of $RUNS): ours $start_s s, reference —, ratio — (target ≤ 1 s): $(at_most "$start_s" 1); memory of all processes: RSS $rss_mib MiB, PSS $pss_mib MiB"
