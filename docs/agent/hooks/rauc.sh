#!/bin/sh
# airlift-agent install hook for an A/B system managed by RAUC: the artifact is a signed RAUC
# bundle. RAUC writes the inactive slot and marks it to boot next; the device must restart, so
# the hook exits 10 ("installed, restart needed"). After the reboot, the new image's boot
# script (below) writes the version file, and the agent reports INSTALLED_VERSION with it.
set -eu

# RAUC checks the bundle's own signature against its keyring, on top of the agent's check.
if ! out=$(rauc install "$AIRLIFT_ARTIFACT" 2>&1); then
    echo "$out" | tail -n 1
    exit 1
fi
echo "RAUC installed $AIRLIFT_VERSION to the other slot; rebooting into it"
exit 10

# --- In the new image, before airlift-agent starts (e.g. a oneshot unit ordered before it):
#   rauc status mark-good          # the new slot booted: keep it (else the bootloader falls back)
#   echo "$IMAGE_VERSION" > /etc/airlift/version
# If the new slot never comes up, the bootloader boots the old one, whose version file still
# names the old version: the agent sees a restart without the new version and reports
# INSTALL_ERROR ("the new version did not come up").
