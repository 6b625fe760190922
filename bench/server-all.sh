#!/usr/bin/env bash
# Every server-side row of issue 9, one after the other (they would disturb each other if run
# at once), then their summary lines together. Builds the release binaries once.
# Usage: bench/server-all.sh   (the rows' own environment variables pass through)
set -euo pipefail
here="$(dirname "$0")"
source "$here/server/lib.sh"

need_debian_packages nginx-light wrk curl jq openssl python3
build_release
export SKIP_BUILD=1

lines=()
status=0
for row in upload chunk poll sim rollout; do
    echo "== bench/server-$row.sh" >&2
    if out="$("$here/server-$row.sh")"; then
        lines+=("$out")
    else
        lines+=("$row: failed (see above)")
        status=1
    fi
done
printf '%s\n' "${lines[@]}"
exit "$status"
