#!/usr/bin/env bash
# Row "upload to local airliftd, hashing included" (issue 9, tightened by issue 19): `airlift-cli
# upload` of a FILE_MIB MiB file (SHA-256 of the file and MD5 of each part computed while
# reading, PARALLEL parts of PART_MIB MiB in flight, then completion) against curl sending the
# same parts to the same server with no hashing of its own (target: time ≤ 1.1×). airlift-cli's
# peak RSS (VmHWM, from /usr/bin/time) is shown beside its time.
#
# The server needs a Content-MD5 on every part (seed 003), so curl's MD5s are computed before
# its clock starts: the reference pays for no hashing at all. Both sides create an upload job,
# PUT the parts, and send the zero-length chunk that makes the server assemble the image (one
# server-side SHA-256 pass, the same for both); the clock stops when that answers.
#   - reference: one `curl --parallel --parallel-max PARALLEL` process doing `-T part_N` PUTs of
#     the same PART_MIB MiB parts (split beforehand) to `.../chunks/N`;
#   - also shown (not the verdict): a one-shot `curl -T FILE` of the whole file as part 1 (the
#     server runs with --max-chunk-bytes 1 GiB so it accepts that).
# Rounds alternate which side goes first; the best time of each side counts. A warm-up round of
# both sides comes first and is not counted: the first upload into a fresh server costs it less
# (measured: server CPU 1.6-1.7 s against 2.2-2.9 s later), so an uncounted start keeps the
# best-of from comparing one side's first run with the other's later ones.
#
# CORES=shared (default) lets client and server share the machine's cores, as on a developer's
# laptop; every CPU second the client spends hashing (the MD5 per part that the protocol asks
# for, which curl's side had computed before its clock) is then a second the server lacks.
# CORES=separate pins the server to CPU 0 and each client to CPU 1 (taskset), which models
# the usual case of a client and a server on two machines; the same pinning for both sides.
# Usage: bench/server-upload.sh   (env: FILE_MIB=512 PART_MIB=16 PARALLEL=4 ROUNDS=3 SKIP_BUILD=0
#        CORES=shared|separate)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

FILE_MIB="${FILE_MIB:-512}"
PART_MIB="${PART_MIB:-16}"
PARALLEL="${PARALLEL:-4}"
ROUNDS="${ROUNDS:-3}"
CORES="${CORES:-shared}"
case "$CORES" in
shared) CLIENT=() ;;
separate) CLIENT=(taskset -c 1) ;;
*) echo "CORES must be shared or separate, not $CORES" >&2 && exit 2 ;;
esac

need_debian_packages curl jq openssl python3 time util-linux
build_release
make_scratch
print_machine

start_airliftd "$SCRATCH/server" --max-chunk-bytes $((1024 * 1024 * 1024))
[ "$CORES" = separate ] && taskset -a -cp 0 "$AIRLIFTD_PID" >/dev/null
TOKEN="$(admin_token "$SCRATCH/server" bench)"
FILE="$SCRATCH/firmware.bin"
random_file "$FILE" "$FILE_MIB"
SIZE="$(stat -c %s "$FILE")"
SHA="$(openssl dgst -sha256 -r "$FILE" | cut -d' ' -f1)"

# The reference's inputs, prepared off the clock: the same parts and their MD5s.
mkdir -p "$SCRATCH/parts"
split -b "${PART_MIB}M" -d -a 5 "$FILE" "$SCRATCH/parts/p"
PARTS=("$SCRATCH"/parts/p*)
MD5S=()
for p in "${PARTS[@]}"; do MD5S+=("$(content_md5 "$p")"); done
WHOLE_MD5="$(content_md5 "$FILE")"
cat "$FILE" "${PARTS[@]}" >/dev/null # page cache warm for both sides

new_job() { api POST /api/v1/ota/upload-jobs "$(jq -nc --arg n "$1" '{name: $n}')" | jq -r .id; }
# complete JOB → checks the assembled image is the file.
complete() {
    curl -sSf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==" \
        --data-binary '' "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$1/chunks"
}
check_image() {
    local image
    image="$(api GET "/api/v1/ota/upload-jobs/$1" | jq -r .firmware_image_id)"
    api GET "/api/v1/ota/images/$image" | jq -e --arg s "$SHA" --argjson n "$SIZE" \
        '.datafile_checksum == $s and .datafile_size == $n' >/dev/null ||
        { echo "job $1: the image is not the file" >&2; exit 1; }
}

ours_run() {
    AIRLIFT_TOKEN="$TOKEN" "${CLIENT[@]}" /usr/bin/time -o "$SCRATCH/ours-$1.rss" -f %M "$CLI" --server "$AIRLIFTD_URL" --json --cache-dir "$SCRATCH/cli-$1/cache" \
        --config "$SCRATCH/cli-$1/connections.json" --keys-dir "$SCRATCH/cli-$1/keys" \
        upload "$FILE" --name "bench-ours-$1" --version "1.0.$1" --type fw --device-type bench \
        --min-version 1.0.0 --no-package --part-size-mib "$PART_MIB" --parallel "$PARALLEL" >"$SCRATCH/ours-$1.json"
}
ref_parts_run() {
    local job args=() i
    job="$(new_job "bench-curl-parts-$1")"
    for i in "${!PARTS[@]}"; do
        [ "$i" -gt 0 ] && args+=(--next)
        args+=(-sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN"
            -H "Content-MD5: ${MD5S[$i]}" -T "${PARTS[$i]}"
            "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks/$((i + 1))")
    done
    "${CLIENT[@]}" curl --parallel --no-progress-meter --parallel-max "$PARALLEL" "${args[@]}" >"$SCRATCH/ref-parts-$1.codes"
    complete "$job"
    echo "$job" >"$SCRATCH/ref-parts-$1.job"
}
ref_whole_run() {
    local job
    job="$(new_job "bench-curl-whole-$1")"
    "${CLIENT[@]}" curl -sSf -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Content-MD5: $WHOLE_MD5" -T "$FILE" \
        "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks/1"
    complete "$job"
    echo "$job" >"$SCRATCH/ref-whole-$1.job"
}

# timed LABEL FUNCTION ROUND → "wall user sys" seconds of the client (bash's `time`), and the
# server's CPU seconds, appended to $SCRATCH/times.
timed() {
    local label="$1" before after t
    sync # the previous run's writeback is not this one's
    before="$(cpu_seconds "$AIRLIFTD_PID")"
    if ! t="$( { TIMEFORMAT='%R %U %S'; time "$2" "$3" >/dev/null 2>>"$SCRATCH/client.log"; } 2>&1)"; then
        echo "$label round $3 failed:" >&2
        cat "$SCRATCH/client.log" >&2
        exit 1
    fi
    after="$(cpu_seconds "$AIRLIFTD_PID")"
    echo "$label $3 $t $(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')" >>"$SCRATCH/times"
    echo "  $label round $3: $(echo "$t" | cut -d' ' -f1) s (client user+sys $(echo "$t" | awk '{ print $2 + $3 }') s, server CPU $(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }') s; load $(load_now))" >&2
}

# Warm-up (round 0): both sides once, not in the times.
ours_run 0 >/dev/null 2>>"$SCRATCH/client.log" && ref_parts_run 0 >/dev/null 2>>"$SCRATCH/client.log" ||
    { echo "warm-up failed:" >&2; cat "$SCRATCH/client.log" >&2; exit 1; }

for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order=(ours ref_parts ref_whole); else order=(ref_whole ref_parts ours); fi
    for side in "${order[@]}"; do timed "$side" "${side}_run" "$round"; done
    # Every run must have moved the whole file, or its time means nothing.
    jq -e --arg s "$SHA" --argjson n "${#PARTS[@]}" \
        '.upload.sha256 == $s and .upload.parts_sent == $n and .upload.parts_skipped == 0' \
        "$SCRATCH/ours-$round.json" >/dev/null || { echo "airlift-cli: $(cat "$SCRATCH/ours-$round.json")" >&2; exit 1; }
    check_image "$(jq -r .upload.job_id "$SCRATCH/ours-$round.json")"
    [ "$(grep -c '^201$' "$SCRATCH/ref-parts-$round.codes")" -eq "${#PARTS[@]}" ] ||
        { echo "curl parts: $(sort "$SCRATCH/ref-parts-$round.codes" | uniq -c)" >&2; exit 1; }
    check_image "$(cat "$SCRATCH/ref-parts-$round.job")"
    check_image "$(cat "$SCRATCH/ref-whole-$round.job")"
done

best() { awk -v l="$1" '$1 == l { print $3 }' "$SCRATCH/times" | sort -g | head -n1; }
best_ours="$(best ours)"
best_ref="$(best ref_parts)"
best_whole="$(best ref_whole)"
r="$(ratio "$best_ours" "$best_ref")"
echo "runs (side round wall user sys server-cpu):" >&2
sed 's/^/  /' "$SCRATCH/times" >&2
echo "also: one-shot curl -T of the whole file: $best_whole s; airlift-cli / one-shot = $(ratio "$best_ours" "$best_whole"); load $(load_now)" >&2
rss="$(cat "$SCRATCH"/ours-*.rss | sort -g | tail -n1)"
echo "upload-${FILE_MIB}MiB, $CORES cores: ours $best_ours s (airlift-cli peak RSS $((rss / 1024)) MiB), reference $best_ref s, ratio $r (target ≤ 1.1): $(at_most "$r" 1.1); load $(load_now)"
