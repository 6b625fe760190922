# Shared by bench/desk-*.sh (sourced, not run): set-up, build and summary helpers.
# Every desk benchmark prints one summary line per row:
#   name: ours X, reference Y, ratio Z (target ≤ T): met|missed

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
RELEASE="$TARGET_DIR/release"

# Installs the Debian packages that are missing (idempotent, like `cargo xtask` set-up).
need_debian_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${missing[*]}" >&2
    $sudo apt-get install -y "${missing[@]}" >&2 || {
        $sudo apt-get update >&2 && $sudo apt-get install -y "${missing[@]}" >&2
    }
}

# A fresh temporary folder, removed when the script exits (whatever the reason).
make_scratch() {
    SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/airlift-desk-bench.XXXXXX")"
    trap 'rm -rf "$SCRATCH"' EXIT
}

# The machine and its load, for the record.
print_machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}

# ratio OURS REFERENCE → OURS/REFERENCE with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# at_most VALUE LIMIT → "met" when VALUE ≤ LIMIT, else "missed".
at_most() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "missed" }'; }

# median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# summary NAME OURS REF UNIT TARGET → the row's one-line verdict (time ratio, lower is better).
summary() {
    local name="$1" ours="$2" ref="$3" unit="$4" target="$5" r
    r="$(ratio "$ours" "$ref")"
    echo "$name: ours $ours $unit, reference $ref $unit, ratio $r (target ≤ $target): $(at_most "$r" "$target")"
}
