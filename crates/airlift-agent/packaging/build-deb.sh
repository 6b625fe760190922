#!/bin/sh
# Builds target/debian/airlift-agent_<version>_<arch>.deb with dpkg-deb alone (no cargo-deb
# needed; `cargo deb -p airlift-agent` reads the same layout from Cargo.toml).
# Usage: crates/airlift-agent/packaging/build-deb.sh [--target TRIPLE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
target_args=""
target_dir="${CARGO_TARGET_DIR:-$root/target}"
# The `agent` profile (workspace Cargo.toml): size-optimised, stripped, panic = abort.
bin_dir="$target_dir/agent"
if [ "${1:-}" = "--target" ]; then
    target_args="--target $2"
    bin_dir="$target_dir/$2/agent"
fi
# shellcheck disable=SC2086
cargo build --profile agent -p airlift-agent $target_args
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/../Cargo.toml" | head -n 1)
arch=$(dpkg --print-architecture)
case "${2:-}" in
    aarch64-*) arch=arm64 ;;
    armv7-*) arch=armhf ;;
    x86_64-*) arch=amd64 ;;
esac
pkg="$root/target/debian/airlift-agent_${version}_${arch}"
rm -rf "$pkg"
install -D -m 0755 "$bin_dir/airlift-agent" "$pkg/usr/bin/airlift-agent"
strip "$pkg/usr/bin/airlift-agent" 2>/dev/null || true
install -D -m 0644 "$here/airlift-agent.service" "$pkg/lib/systemd/system/airlift-agent.service"
install -D -m 0600 "$here/agent.env" "$pkg/etc/airlift/agent.env"
for h in "$root"/docs/agent/hooks/*.sh; do
    install -D -m 0755 "$h" "$pkg/usr/share/airlift-agent/hooks/$(basename "$h")"
done
install -d "$pkg/DEBIAN"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: airlift-agent
Version: $version
Section: admin
Priority: optional
Architecture: $arch
Maintainer: Airlift <airlift@example.com>
Description: OTA agent for devices managed by an Airlift fleet server
 Polls airliftd, downloads the assigned package with resume, verifies its SHA-256 and
 signature against pinned keys, and installs it through a hook.
CONTROL
echo "/etc/airlift/agent.env" > "$pkg/DEBIAN/conffiles"
cat > "$pkg/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    # Enabled, not started: the device's configuration comes first (agent.env, token, key).
    systemctl enable airlift-agent.service >/dev/null
fi
POSTINST
cat > "$pkg/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    systemctl disable --now airlift-agent.service >/dev/null || true
fi
PRERM
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm"
dpkg-deb --root-owner-group --build "$pkg" >/dev/null
echo "$pkg.deb"
