#!/usr/bin/env bash
# Every desktop-side row of issue 9, one summary line each (details go to stderr).
# Usage: bench/desk-all.sh 2>bench.log
set -euo pipefail
dir="$(dirname "$0")"
"$dir/desk-hash.sh"
"$dir/desk-cache.sh"
"$dir/desk-page.sh"
"$dir/desk-startup.sh"
