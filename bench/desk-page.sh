#!/usr/bin/env bash
# Row "device list page (100 rows, keyset) from the cache at offset 900k of 1M devices"
# (target ≤ 1 ms; no reference tool), and rows "device search, first page" for a common and a
# rare part of an id or name (no target: the cost of the scan, recorded). Runs the criterion bench
# crates/airlift-desk/benches/device_page.rs and reads its median estimate.
# Usage: bench/desk-page.sh   (env: FLEET=1000000)
set -euo pipefail
source "$(dirname "$0")/desk-lib.sh"

need_debian_packages jq
print_machine
(cd "$ROOT" && cargo bench --locked -p airlift-desk --bench device_page >&2)

FLEET="${FLEET:-1000000}"
offset=$((FLEET / 10 * 9 / 1000 * 1000))
for sort in by_name by_id; do
    est="$TARGET_DIR/criterion/device_page/${sort}_at_${offset}/new/estimates.json"
    ms="$(jq -r '.median.point_estimate / 1e6' "$est")"
    ms="$(printf %.3f "$ms")"
    echo "device page 100 rows $sort at offset $offset of $FLEET (criterion median): ours $ms ms, reference —, ratio — (target ≤ 1 ms): $(at_most "$ms" 1)"
done
for search in search_common search_rare; do
    est="$TARGET_DIR/criterion/device_page/${search}/new/estimates.json"
    ms="$(jq -r '.median.point_estimate / 1e6' "$est")"
    ms="$(printf %.3f "$ms")"
    echo "device $search first page of $FLEET (criterion median): ours $ms ms, reference —, ratio — (no target: recorded)"
done
