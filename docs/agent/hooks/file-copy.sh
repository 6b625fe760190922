#!/bin/sh
# airlift-agent install hook: the artifact is the new application binary; copy it in place.
#
# The agent sets AIRLIFT_ARTIFACT (the verified file), AIRLIFT_VERSION and AIRLIFT_PACKAGE_ID.
# Exit 0: installed (the agent then writes the version file). Any other exit: INSTALL_ERROR,
# with this script's last output line as the message, so make the last line say why.
set -eu

TARGET="${AIRLIFT_COPY_TARGET:-/opt/app/firmware.bin}"

# Copy next to the target, flush, then rename: a power cut leaves the old file or the new one.
tmp="$TARGET.airlift-new"
cp "$AIRLIFT_ARTIFACT" "$tmp" || { echo "cannot write $tmp"; exit 1; }
sync "$tmp" 2>/dev/null || sync
mv -f "$tmp" "$TARGET" || { echo "cannot replace $TARGET"; exit 1; }
echo "installed $AIRLIFT_VERSION at $TARGET"
