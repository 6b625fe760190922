#!/usr/bin/env bash
# Row "SHA-256 of a 1 GiB file": `airlift-cli hash FILE` against `openssl dgst -sha256 FILE` on the
# same file in the same run, page cache warm for both (target: time ≤ 1.0×).
#
# hyperfine runs both commands in ROUNDS rounds, alternating which goes first, so a burst of load
# from elsewhere on the machine hits both sides; the verdict uses the median of all runs.
# Usage: bench/desk-hash.sh   (env: HASH_MIB=1024 ROUNDS=3 RUNS=5)
set -euo pipefail
source "$(dirname "$0")/desk-lib.sh"

HASH_MIB="${HASH_MIB:-1024}"
ROUNDS="${ROUNDS:-3}"
RUNS="${RUNS:-5}"

need_debian_packages hyperfine openssl jq
(cd "$ROOT" && cargo build --release --locked -p airlift-cli >&2)
CLI="$RELEASE/airlift-cli"
make_scratch
print_machine

FILE="$SCRATCH/artifact.bin"
# Pseudo-random bytes at memory speed (AES-CTR keystream); /dev/urandom would take seconds.
# openssl dies of SIGPIPE when head has enough, which is the plan, not a failure.
(openssl enc -aes-128-ctr -nosalt -pass pass:airlift-bench -in /dev/zero 2>/dev/null || true) |
    head -c "$((HASH_MIB * 1024 * 1024))" >"$FILE"

# Same digest from both, or the comparison means nothing. This also warms the page cache.
ours_hex="$("$CLI" hash "$FILE" | cut -d' ' -f1)"
ref_hex="$(openssl dgst -sha256 -r "$FILE" | cut -d' ' -f1)"
if [ "$ours_hex" != "$ref_hex" ]; then
    echo "digest mismatch: airlift-cli $ours_hex, openssl $ref_hex" >&2
    exit 1
fi

ours_cmd="$CLI hash $FILE"
ref_cmd="openssl dgst -sha256 $FILE"
ours_times=(); ref_times=(); ours_cpu=(); ref_cpu=()
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order=("$ours_cmd" "$ref_cmd"); else order=("$ref_cmd" "$ours_cmd"); fi
    hyperfine --style basic --warmup 2 --runs "$RUNS" --export-json "$SCRATCH/round.json" \
        "${order[@]}" >&2
    mapfile -t o < <(jq -r --arg c "$ours_cmd" '.results[] | select(.command == $c) | .times[]' "$SCRATCH/round.json")
    mapfile -t r < <(jq -r --arg c "$ref_cmd" '.results[] | select(.command == $c) | .times[]' "$SCRATCH/round.json")
    ours_times+=("${o[@]}")
    ref_times+=("${r[@]}")
    # CPU time (user + system, mean of the round): what each side costs, whatever the load.
    ours_cpu+=("$(jq -r --arg c "$ours_cmd" '.results[] | select(.command == $c) | .user + .system' "$SCRATCH/round.json")")
    ref_cpu+=("$(jq -r --arg c "$ref_cmd" '.results[] | select(.command == $c) | .user + .system' "$SCRATCH/round.json")")
done
rm -f "$FILE"

ours_med="$(median "${ours_times[@]}")"
ref_med="$(median "${ref_times[@]}")"
ours_min="$(printf '%s\n' "${ours_times[@]}" | sort -g | head -1)"
ref_min="$(printf '%s\n' "${ref_times[@]}" | sort -g | head -1)"
echo "hash ${HASH_MIB} MiB: ${#ours_times[@]} runs each; min ours $(printf %.3f "$ours_min") s, openssl $(printf %.3f "$ref_min") s (ratio $(ratio "$ours_min" "$ref_min")); CPU (user+sys) ours $(printf %.3f "$(median "${ours_cpu[@]}")") s, openssl $(printf %.3f "$(median "${ref_cpu[@]}")") s" >&2
summary "sha256 ${HASH_MIB} MiB (airlift-cli hash vs openssl dgst, median s)" \
    "$(printf %.3f "$ours_med")" "$(printf %.3f "$ref_med")" s 1.0
