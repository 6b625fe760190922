#!/bin/sh
# airlift-agent install hook for an A/B system managed by SWUpdate: the artifact is a .swu
# image. Choose the software set for the inactive copy, let SWUpdate write it, and ask for a
# restart (exit 10); the new image writes the version file when it boots (see rauc.sh).
set -eu

CURRENT=$(fw_printenv -n rootpart 2>/dev/null || echo 2)
if [ "$CURRENT" = "2" ]; then SELECTION="stable,copy1"; else SELECTION="stable,copy2"; fi

if ! out=$(swupdate -v -e "$SELECTION" -i "$AIRLIFT_ARTIFACT" 2>&1); then
    echo "$out" | tail -n 1
    exit 1
fi
echo "SWUpdate wrote $AIRLIFT_VERSION ($SELECTION); rebooting into it"
exit 10
