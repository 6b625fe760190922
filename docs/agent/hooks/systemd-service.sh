#!/bin/sh
# airlift-agent install hook: the artifact is a new build of a service's binary. Swap it in,
# restart the service, and put the old binary back if the service does not come up.
set -eu

UNIT="${AIRLIFT_UNIT:-myapp.service}"
BIN="${AIRLIFT_UNIT_BIN:-/usr/local/bin/myapp}"

cp "$AIRLIFT_ARTIFACT" "$BIN.new" && chmod 0755 "$BIN.new" && sync
cp -p "$BIN" "$BIN.previous"
mv -f "$BIN.new" "$BIN"

systemctl restart "$UNIT"
# Give the service time to fail; `is-active` alone would pass a service that dies at once.
sleep 5
if ! systemctl is-active --quiet "$UNIT"; then
    mv -f "$BIN.previous" "$BIN"
    systemctl restart "$UNIT" || true
    echo "$UNIT did not stay up on $AIRLIFT_VERSION; previous binary restored"
    exit 1
fi
echo "$UNIT runs $AIRLIFT_VERSION"
