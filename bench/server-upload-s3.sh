#!/usr/bin/env bash
# Row "upload into S3 through airliftd" (issue 16): a FILE_MIB MiB file in PART_MIB MiB parts,
# PARALLEL at a time, one `curl --parallel` process on both sides, into the same S3 server
# (s3s-fs on loopback, as in the tests; it checks SigV4):
#   - ours: an upload job on airliftd (`--storage s3://bench/airlift`): `PUT .../chunks/N`
#     with Content-MD5, then the zero-length chunk that completes the job (the image assembled
#     in the bucket and its SHA-256 computed) — the clock stops at the completion's answer;
#   - reference: curl signing S3 itself (`--aws-sigv4`): CreateMultipartUpload, `PUT
#     ?partNumber=N&uploadId=…` of the same parts with their Content-MD5, then
#     CompleteMultipartUpload with the parts' ETags (the object assembled by the S3 server).
# Rounds alternate the order; the best time of each side counts. Target: ours ≤ 1.3×.
# Usage: bench/server-upload-s3.sh   (env: FILE_MIB=512 PART_MIB=16 PARALLEL=4 ROUNDS=3 SKIP_BUILD=0)
set -euo pipefail
source "$(dirname "$0")/server/lib.sh"

FILE_MIB="${FILE_MIB:-512}"
PART_MIB="${PART_MIB:-16}"
PARALLEL="${PARALLEL:-4}"
ROUNDS="${ROUNDS:-3}"
S3S_FS="$(command -v s3s-fs || echo "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs")"
[ -x "$S3S_FS" ] || { echo "s3s-fs is missing: run cargo xtask setup" >&2; exit 1; }

need_debian_packages curl jq openssl python3
build_release
make_scratch
print_machine

export AWS_ACCESS_KEY_ID=AKBENCH AWS_SECRET_ACCESS_KEY=bench-secret
S3_PORT="$(free_port)"
S3_URL="http://127.0.0.1:$S3_PORT"
mkdir -p "$SCRATCH/s3/bench"
"$S3S_FS" --host 127.0.0.1 --port "$S3_PORT" --access-key "$AWS_ACCESS_KEY_ID" \
    --secret-key "$AWS_SECRET_ACCESS_KEY" "$SCRATCH/s3" >"$SCRATCH/s3.log" 2>&1 &
S3_PID=$!
started "$S3_PID"
for _ in $(seq 100); do curl -s -o /dev/null "$S3_URL/" && break; sleep 0.1; done
# curl 7.88 signs the payload as UNSIGNED-PAYLOAD only when told (s3s-fs wants the header).
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")

start_airliftd "$SCRATCH/server" --storage s3://bench/airlift --s3-endpoint "$S3_URL"
TOKEN="$(admin_token "$SCRATCH/server" bench)"
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
    local job
    job="$(api POST /api/v1/ota/upload-jobs "$(jq -nc --arg n "bench-s3-$1" '{name: $n}')" | jq -r .id)"
    parallel_puts "$SCRATCH/ours-$1.codes" "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks" "$PARALLEL" \
        -H "Authorization: Bearer $TOKEN" -- "${PARTS[@]}"
    curl -sSf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==" \
        --data-binary '' "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks"
    echo "$job" >"$SCRATCH/ours-$1.job"
}
ref_run() {
    local key="$S3_URL/bench/reference/round-$1.bin" upload args=() i xml
    # `?uploads=`: curl 7.88 signs a bare `?uploads` differently from S3's canonical form.
    upload="$(curl -sSf "${SIGV4[@]}" -X POST "$key?uploads=" |
        sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')"
    [ -n "$upload" ] || { echo "CreateMultipartUpload gave no UploadId" >&2; exit 1; }
    for i in "${!PARTS[@]}"; do
        [ "$i" -gt 0 ] && args+=(--next)
        args+=(-sS -o /dev/null -w "$((i + 1)) %{http_code} %header{etag}\n" "${SIGV4[@]}"
            -H "Content-MD5: ${MD5S[$i]}" -T "${PARTS[$i]}" "$key?partNumber=$((i + 1))&uploadId=$upload")
    done
    curl --parallel --no-progress-meter --parallel-max "$PARALLEL" "${args[@]}" >"$SCRATCH/ref-$1.parts"
    xml="<CompleteMultipartUpload>$(sort -n "$SCRATCH/ref-$1.parts" |
        awk '{ printf "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>", $1, $3 }')</CompleteMultipartUpload>"
    curl -sSf -o "$SCRATCH/ref-$1.complete" "${SIGV4[@]}" -X POST -H 'Content-Type: application/xml' \
        --data-binary "$xml" "$key?uploadId=$upload"
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
    [ "$(awk '$2 == 200' "$SCRATCH/ref-$1.parts" | wc -l)" -eq "${#PARTS[@]}" ] ||
        { echo "S3 parts: $(cat "$SCRATCH/ref-$1.parts")" >&2; exit 1; }
    [ "$(curl -sSf "${SIGV4[@]}" "$S3_URL/bench/reference/round-$1.bin" | openssl dgst -sha256 -r | cut -d' ' -f1)" = "$SHA" ] ||
        { echo "round $1: the S3 object is not the file" >&2; exit 1; }
}

# timed SIDE ROUND: wall seconds, airliftd's and s3s-fs's CPU seconds, into $SCRATCH/times.
timed() {
    local a0 s0 t0 wall a s
    sync
    a0="$(cpu_seconds "$AIRLIFTD_PID")"
    s0="$(cpu_seconds "$S3_PID")"
    t0="$EPOCHREALTIME"
    "${1}_run" "$2"
    wall="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')"
    a="$(awk -v a="$a0" -v b="$(cpu_seconds "$AIRLIFTD_PID")" 'BEGIN { printf "%.2f", b - a }')"
    s="$(awk -v a="$s0" -v b="$(cpu_seconds "$S3_PID")" 'BEGIN { printf "%.2f", b - a }')"
    echo "$1 $2 $wall $a $s" >>"$SCRATCH/times"
    echo "  $1 round $2: $wall s (airliftd CPU $a s, s3s-fs CPU $s s); load $(load_now)" >&2
}

for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order=(ours ref); else order=(ref ours); fi
    for side in "${order[@]}"; do timed "$side" "$round"; done
    check_ours "$round"
    check_ref "$round"
done

best() { awk -v l="$1" '$1 == l { print $3 }' "$SCRATCH/times" | sort -g | head -n1; }
ours="$(best ours)"
ref="$(best ref)"
r="$(ratio "$ours" "$ref")"
echo "runs (side round wall airliftd-cpu s3s-fs-cpu):" >&2
sed 's/^/  /' "$SCRATCH/times" >&2
echo "upload-s3-${FILE_MIB}MiB: ours $ours s (curl → airliftd → s3s-fs), reference $ref s (curl → s3s-fs, same parts), ratio $r (target ≤ 1.3): $(at_most "$r" 1.3); load $(load_now)"
