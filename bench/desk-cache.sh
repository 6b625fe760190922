#!/usr/bin/env bash
# Rows "desktop cache: initial sync of 1M devices; incremental sync of 10k changes" against the
# `sqlite3` CLI inserting / upserting the same rows in-engine (target: time ≤ 1.2×).
#
# Ours: crates/airlift-desk/examples/sync_bench.rs times the sync's cache writer
# (DeviceSyncWriter: transactions of 10k rows, removal bookkeeping, saved cursor) on rows built
# beforehand; no HTTP. Reference: `sqlite3` runs one INSERT … SELECT over a recursive CTE (initial)
# and one INSERT … ON CONFLICT DO UPDATE (incremental) producing the same rows (the SQL comes from
# the same file as the Rust rows, crates/airlift-desk/benches/support/fleet.rs), into a cache
# created by the desk itself (same schema and indexes), with the desk's pragmas (WAL,
# synchronous=NORMAL, 64 MiB page cache), timed by sqlite3's own `.timer`. After each round the
# two tables are compared row by row. Verdicts use the median of REPS fresh runs.
# Usage: bench/desk-cache.sh   (env: FLEET=1000000 CHANGES=10000 REPS=3)
set -euo pipefail
source "$(dirname "$0")/desk-lib.sh"

FLEET="${FLEET:-1000000}"
CHANGES="${CHANGES:-10000}"
REPS="${REPS:-3}"

need_debian_packages sqlite3
(cd "$ROOT" && cargo build --release --locked -p airlift-desk --example sync_bench >&2)
BENCH="$RELEASE/examples/sync_bench"
make_scratch
print_machine
echo "sqlite3 CLI $(sqlite3 --version | cut -d' ' -f1); the desk's bundled SQLite via rusqlite" >&2

"$BENCH" sql initial "$FLEET" >"$SCRATCH/initial.sql"
"$BENCH" sql incremental "$FLEET" "$CHANGES" >"$SCRATCH/incremental.sql"

# reference DB SQL_FILE → "seconds cpu_seconds" (sqlite3's "Run Time: real … user … sys …").
reference() {
    { printf 'PRAGMA synchronous = NORMAL;\nPRAGMA cache_size = -65536;\nPRAGMA temp_store = MEMORY;\n.timer on\n'
      cat "$2"; } | sqlite3 "$1" | awk '/^Run Time:/ { t = $4; c = $6 + $8 } END { printf "%s %.2f\n", t, c }'
}

table_digest() {
    sqlite3 "$1" "SELECT * FROM devices ORDER BY connection_id, id;" | sha256sum | cut -d' ' -f1
}

ours_init=(); ref_init=(); ours_incr=(); ref_incr=()
cpu_lines=()
for rep in $(seq "$REPS"); do
    rm -f "$SCRATCH"/ours.sqlite3* "$SCRATCH"/ref.sqlite3*
    read -r t written oc < <("$BENCH" initial "$SCRATCH/ours.sqlite3" "$FLEET")
    [ "$written" -eq "$FLEET" ] || { echo "initial sync wrote $written rows, expected $FLEET" >&2; exit 1; }
    ours_init+=("$t")
    "$BENCH" schema "$SCRATCH/ref.sqlite3"
    read -r t rc < <(reference "$SCRATCH/ref.sqlite3" "$SCRATCH/initial.sql")
    ref_init+=("$t")
    cpu_lines+=("initial: CPU ours $oc s, sqlite3 $rc s")

    read -r t written oc < <("$BENCH" incremental "$SCRATCH/ours.sqlite3" "$FLEET" "$CHANGES")
    [ "$written" -eq "$CHANGES" ] || { echo "incremental sync wrote $written rows, expected $CHANGES" >&2; exit 1; }
    ours_incr+=("$t")
    read -r t rc < <(reference "$SCRATCH/ref.sqlite3" "$SCRATCH/incremental.sql")
    ref_incr+=("$t")
    cpu_lines+=("incremental: CPU ours $oc s, sqlite3 $rc s")
    echo "rep $rep: initial ours ${ours_init[-1]} s, sqlite3 ${ref_init[-1]} s; incremental ours ${ours_incr[-1]} s, sqlite3 ${ref_incr[-1]} s; ${cpu_lines[-2]}; ${cpu_lines[-1]}" >&2

    if [ "$rep" -eq 1 ] && [ "$(table_digest "$SCRATCH/ours.sqlite3")" != "$(table_digest "$SCRATCH/ref.sqlite3")" ]; then
        echo "the desk's and sqlite3's devices tables differ: the comparison would be unfair" >&2
        exit 1
    fi
done
rm -f "$SCRATCH"/*.sqlite3*

summary "cache initial sync $FLEET devices (sync writer vs sqlite3 INSERT…SELECT, median s)" \
    "$(median "${ours_init[@]}")" "$(median "${ref_init[@]}")" s 1.2
summary "cache incremental sync $CHANGES changes (sync writer vs sqlite3 upsert, median s)" \
    "$(median "${ours_incr[@]}")" "$(median "${ref_incr[@]}")" s 1.2
