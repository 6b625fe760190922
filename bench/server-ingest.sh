#!/usr/bin/env bash
# Row "server ingest in embedded mode" (issue 16): the same PART_MIB MiB parts of a FILE_MIB
# MiB file, PARALLEL at a time, sent by one `curl --parallel` process
#   - ours: to airliftd (`PUT .../upload-jobs/JOB/chunks/N` with Content-MD5, local storage
#     under the scratch folder), then the zero-length chunk that completes the job (airliftd
#     checks each part's MD5, fsyncs it, assembles the image with its SHA-256, fsyncs it);
#   - reference: to nginx with WebDAV (`PUT /parts/N`, nginx's dav module) on the same disk.
# The clock stops when the last answer arrives (for ours: the completion's). Also shown: ours
# without the completion (the parts alone), and airliftd's CPU seconds per run. Rounds
# alternate the order; the best time of each side counts. Target: ours ≤ 2× the reference.
# Usage: bench/server-ingest.sh   (env: FILE_MIB=512 PART_MIB=16 PARALLEL=4 ROUNDS=3 SKIP_BUILD=0)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

FILE_MIB="${FILE_MIB:-512}"
PART_MIB="${PART_MIB:-16}"
PARALLEL="${PARALLEL:-4}"
ROUNDS="${ROUNDS:-3}"

need_debian_packages nginx-light curl jq openssl python3
build_release
make_scratch
print_machine

start_airliftd "$SCRATCH/server"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
start_nginx_dav "$SCRATCH/dav"
FILE="$SCRATCH/firmware.bin"
random_file "$FILE" "$FILE_MIB"
SIZE="$(stat -c %s "$FILE")"
SHA="$(openssl dgst -sha256 -r "$FILE" | cut -d' ' -f1)"
mkdir -p "$SCRATCH/parts"
split -b "${PART_MIB}M" -d -a 5 "$FILE" "$SCRATCH/parts/p"
PARTS=("$SCRATCH"/parts/p*)
MD5S=()
for p in "${PARTS[@]}"; do MD5S+=("$(content_md5 "$p")"); done
cat "${PARTS[@]}" >/dev/null # page cache warm for both sides

ours_run() {
    local job t0
    job="$(api POST /api/v1/ota/upload-jobs "$(jq -nc --arg n "bench-ingest-$1" '{name: $n}')" | jq -r .id)"
    t0="$EPOCHREALTIME"
    parallel_puts "$SCRATCH/ours-$1.codes" "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks" "$PARALLEL" \
        -H "Authorization: Bearer $TOKEN" -- "${PARTS[@]}"
    PARTS_WALL="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')"
    curl -sSf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==" \
        --data-binary '' "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks"
    echo "$job" >"$SCRATCH/ours-$1.job"
}
ref_run() {
    rm -rf "$SCRATCH/dav/parts-$1"
    parallel_puts "$SCRATCH/ref-$1.codes" "$NGINX_URL/parts-$1" "$PARALLEL" -- "${PARTS[@]}"
}
check_ours() {
    local image
    [ "$(grep -c '^201$' "$SCRATCH/ours-$1.codes")" -eq "${#PARTS[@]}" ] ||
        { echo "airliftd parts: $(sort "$SCRATCH/ours-$1.codes" | uniq -c)" >&2; exit 1; }
    image="$(api GET "/api/v1/ota/upload-jobs/$(cat "$SCRATCH/ours-$1.job")" | jq -r .firmware_image_id)"
    api GET "/api/v1/ota/images/$image" | jq -e --arg s "$SHA" --argjson n "$SIZE" \
        '.datafile_checksum == $s and .datafile_size == $n' >/dev/null ||
        { echo "round $1: airliftd's image is not the file" >&2; exit 1; }
}
check_ref() {
    [ "$(grep -c '^201$' "$SCRATCH/ref-$1.codes")" -eq "${#PARTS[@]}" ] ||
        { echo "nginx parts: $(sort "$SCRATCH/ref-$1.codes" | uniq -c)" >&2; exit 1; }
    local i
    for i in "${!PARTS[@]}"; do
        cmp -s "${PARTS[$i]}" "$SCRATCH/dav/parts-$1/$((i + 1))" ||
            { echo "round $1: nginx stored part $((i + 1)) wrong" >&2; exit 1; }
    done
}

# timed SIDE ROUND: wall seconds (and airliftd's CPU) into $SCRATCH/times.
timed() {
    local before t0 wall cpu extra=""
    PARTS_WALL=""
    sync
    before="$(cpu_seconds "$AIRLIFTD_PID")"
    t0="$EPOCHREALTIME"
    "${1}_run" "$2"
    wall="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')"
    cpu="$(awk -v a="$before" -v b="$(cpu_seconds "$AIRLIFTD_PID")" 'BEGIN { printf "%.2f", b - a }')"
    [ -n "$PARTS_WALL" ] && extra=" (parts alone $PARTS_WALL s, airliftd CPU $cpu s)"
    echo "$1 $2 $wall ${PARTS_WALL:-$wall} $cpu" >>"$SCRATCH/times"
    echo "  $1 round $2: $wall s$extra; load $(load_now)" >&2
}

for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order=(ours ref); else order=(ref ours); fi
    for side in "${order[@]}"; do timed "$side" "$round"; done
    check_ours "$round"
    check_ref "$round"
done

best() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$SCRATCH/times" | sort -g | head -n1; }
ours="$(best ours 3)"
ours_parts="$(best ours 4)"
ref="$(best ref 3)"
r="$(ratio "$ours" "$ref")"
echo "runs (side round wall parts-wall airliftd-cpu):" >&2
sed 's/^/  /' "$SCRATCH/times" >&2
echo "also: airliftd's parts alone (no completion) $ours_parts s, ratio $(ratio "$ours_parts" "$ref")" >&2
echo "ingest-${FILE_MIB}MiB: ours $ours s, reference $ref s (nginx WebDAV PUT), ratio $r (target ≤ 2): $(at_most "$r" 2); load $(load_now)"
