# Shared by bench/server-*.sh (sourced, not run): tools, release build, a scratch folder whose
# processes die with the script, airliftd / nginx / wrk helpers, and the one-line verdict:
#   name: ours X, reference Y, ratio Z (target …): met|missed

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
BENCH_SERVER="$ROOT/bench/server"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# AIRLIFT_BIN_DIR: run other binaries (say, a copy of an earlier build, for before/after).
RELEASE="${AIRLIFT_BIN_DIR:-$TARGET_DIR/release}"
AIRLIFTD="$RELEASE/airliftd"
CLI="$RELEASE/airlift-cli"
SIM="$RELEASE/airlift-sim"

# Installs the Debian packages that are missing (idempotent; sudo only when not root).
need_debian_packages() {
    local missing=() p
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

# The release binaries (SKIP_BUILD=1 uses what is in target/release already).
build_release() {
    if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${AIRLIFT_BIN_DIR:-}" ]; then
        (cd "$ROOT" && cargo build --release --locked -p airlift-server -p airlift-cli -p airlift-sim >&2)
    fi
    local b
    for b in "$AIRLIFTD" "$CLI" "$SIM"; do
        [ -x "$b" ] || { echo "missing $b (build it, or unset SKIP_BUILD)" >&2; exit 1; }
    done
}

# A fresh scratch folder; on exit (whatever the reason) every process started through
# `started PID` is stopped (TERM, then KILL) and the folder is removed.
STARTED_PIDS=()
started() { STARTED_PIDS+=("$1"); }
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    [ -n "${SCRATCH:-}" ] && rm -rf "$SCRATCH"
}
make_scratch() {
    SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/airlift-server-bench.XXXXXX")"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# The machine and its load (other builds share the cores), for the record.
print_machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}
load_now() { cut -d' ' -f1 /proc/loadavg; }

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_airliftd DATA_DIR [serve flags…] → sets AIRLIFTD_URL and AIRLIFTD_PID. Logs (one INFO
# line per request, the default; a device's polls, chunk and command reads at DEBUG) go to
# DATA_DIR.log, like nginx's access log goes to a file.
start_airliftd() {
    local data="$1"
    shift
    mkdir -p "$data"
    # Budgets off: a benchmark drives the server with one token as fast as it goes (the
    # budgets are measured apart, not here).
    "$AIRLIFTD" serve --data "$data" "${DATABASE_ARGS[@]}" --listen 127.0.0.1:0 \
        --device-rate-limit 0 --user-rate-limit 0 "$@" >"$data.out" 2>"$data.log" &
    AIRLIFTD_PID=$!
    started "$AIRLIFTD_PID"
    for _ in $(seq 300); do
        AIRLIFTD_URL="$(sed -n 's/^listening on //p' "$data.out" 2>/dev/null | head -n1)"
        [ -n "$AIRLIFTD_URL" ] && return 0
        kill -0 "$AIRLIFTD_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "airliftd did not start:" >&2
    cat "$data.log" >&2
    exit 1
}

# admin_token DATA_DIR TENANT → a JWT on stdout (on the database of DATABASE_ARGS, if set).
admin_token() { "$AIRLIFTD" token --data "$1" "${DATABASE_ARGS[@]}" --tenant "$2" --role admin --ttl 1d; }

# DATABASE=postgres: start_postgres, then every airliftd (and `airliftd token`) of the script
# runs on it through DATABASE_ARGS. Default: SQLite under --data.
DATABASE_ARGS=()

# start_postgres → PG_URL, PSQL (an array: psql on that database) and DATABASE_ARGS: Debian's
# PostgreSQL 15 in a new cluster under $SCRATCH/pg, on a free loopback port, as user postgres when
# we are root (initdb refuses root). Production durability (fsync and synchronous_commit on,
# unlike the test harness), shared_buffers 256MB, max_connections 200. PG_EXTRA (an array of
# `-c name=value`) adds settings, e.g. pg_stat_statements for bench/server-pg-statements.sh.
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_EXTRA=("${PG_EXTRA[@]}")
start_postgres() {
    local dir="$SCRATCH/pg" as=()
    [ -x "$PG_BIN/initdb" ] || need_debian_packages postgresql-15
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chmod 755 "$SCRATCH"
        chown postgres: "$dir"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U airlift --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    PG_PORT="$(free_port)"
    "${as[@]}" "$PG_BIN/postgres" -D "$dir/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories= -c max_connections=200 -c shared_buffers=256MB "${PG_EXTRA[@]}" \
        >"$dir/server.log" 2>&1 &
    started $!
    for _ in $(seq 300); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U airlift && break
        sleep 0.1
    done
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U airlift airlift
    PG_URL="postgres://airlift@127.0.0.1:$PG_PORT/airlift"
    PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$PG_URL")
    DATABASE_ARGS=(--database "$PG_URL")
    echo "database: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (fsync on)" >&2
}
# The database the script asked for (DATABASE=sqlite|postgres); call after make_scratch.
start_database() {
    case "${DATABASE:-sqlite}" in
        sqlite) ;;
        postgres) start_postgres ;;
        *) echo "DATABASE must be sqlite or postgres, not ${DATABASE}" >&2; exit 1 ;;
    esac
}

# api METHOD PATH [JSON] → the response body; fails loudly on a non-2xx answer.
# Needs AIRLIFTD_URL and TOKEN.
api() {
    local method="$1" path="$2" body="${3:-}" out code
    out="$(mktemp "$SCRATCH/api.XXXXXX")"
    if [ -n "$body" ]; then
        code="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" \
            -H 'Content-Type: application/json' --data-binary "$body" "$AIRLIFTD_URL$path")"
    else
        code="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" \
            "$AIRLIFTD_URL$path")"
    fi
    if [ "${code:0:1}" != 2 ]; then
        echo "$method $path → $code: $(cat "$out")" >&2
        rm -f "$out"
        return 1
    fi
    cat "$out"
    rm -f "$out"
}

# Content-MD5 (RFC 1864) of a file.
content_md5() { openssl dgst -md5 -binary "$1" | base64 -w0; }

# random_file PATH MIB / random_bytes PATH BYTES: pseudo-random bytes at memory speed (AES-CTR keystream).
# (A process substitution: openssl dies of SIGPIPE when head has enough, which pipefail
# would count as a failure.)
random_file() { random_bytes "$1" "$(($2 * 1024 * 1024))"; }
random_bytes() {
    head -c "$2" < <(openssl enc -aes-128-ctr -nosalt -pass pass:airlift-bench -in /dev/zero 2>/dev/null) >"$1"
}

# upload_image FILE NAME → the image's datafile URI, through seed 003's upload job with one
# chunk (set-up only; the upload row measures airlift-cli's parallel path).
upload_image() {
    local file="$1" name="$2" job image
    job="$(api POST /api/v1/ota/upload-jobs "$(jq -nc --arg n "$name" '{name: $n, description: "bench"}')" | jq -r .id)"
    curl -sSf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-MD5: $(content_md5 "$file")" \
        --data-binary "@$file" "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks"
    curl -sSf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==" \
        --data-binary '' "$AIRLIFTD_URL/api/v1/ota/upload-jobs/$job/chunks"
    image="$(api GET "/api/v1/ota/upload-jobs/$job" | jq -r .firmware_image_id)"
    api GET "/api/v1/ota/images/$image" | jq -r .datafile
}

# publish_package FILE VERSION DEVICE_TYPE → package id: registers an ECDSA P-256 key (made
# once per scratch folder with openssl), uploads FILE and creates the signed package.
publish_package() {
    local file="$1" version="$2" device_type="$3" key="$SCRATCH/signing-key.pem" uri sha sig size
    if [ ! -f "$key" ]; then
        openssl ecparam -name prime256v1 -genkey -noout -out "$key"
        api POST /api/v1/signing-keys "$(jq -nc --arg pem "$(openssl pkey -in "$key" -pubout)" \
            '{name: "bench", algorithm: "ecdsa-p256-sha256", public_key_pem: $pem}')" >/dev/null
    fi
    uri="$(upload_image "$file" "bench-$device_type-$version")"
    sha="$(openssl dgst -sha256 -r "$file" | cut -d' ' -f1)"
    sig="$(openssl dgst -sha256 -sign "$key" "$file" | base64 -w0)"
    size="$(stat -c %s "$file")"
    api POST /api/v1/ota/packages "$(jq -nc --arg v "$version" --arg uri "$uri" --arg sha "$sha" \
        --arg sig "$sig" --argjson size "$size" --arg dt "$device_type" \
        '{type: "fw", version: $v, artifact_uri: $uri, sha256: $sha, signature: $sig,
          size_bytes: $size, compatibility: {device_type: $dt, min_version: "1.0.0"},
          release_notes: "bench"}')" | jq -r .package_id
}

# provision_fleet N DEVICE_TYPE PROFILE_NAME OUT.jsonl → profile id; devices (ids and tokens)
# in OUT.jsonl and "id token" lines in OUT.txt for the wrk scripts.
provision_fleet() {
    local n="$1" device_type="$2" profile_name="$3" out="$4" profile
    profile="$(api POST /api/v1/profiles "$(jq -nc --arg n "$profile_name" --arg t "$device_type" \
        '{name: $n, device_type: $t}')" | jq -r .profile_id)"
    AIRLIFT_SERVER_URL="$AIRLIFTD_URL" AIRLIFT_TOKEN="$TOKEN" "$SIM" provision --profile "$profile" \
        --device-type "$device_type" --firmware 1.0.0 -n "$n" --out "$out" >&2
    jq -r '"\(.device_id) \(.device_token)"' "$out" >"${out%.jsonl}.txt"
    echo "$profile"
}

# start_nginx ROOT FILE → NGINX_URL: nginx as this user's own process on a free loopback port,
# answering every path with ROOT/FILE (ranges included), worker count = airliftd's runtime
# threads (one per core), keep-alive without a request cap, access log to a file.
start_nginx() {
    local root="$1" file="$2" dir="$SCRATCH/nginx" port user=""
    mkdir -p "$dir/tmp"
    port="$(free_port)"
    [ "$(id -u)" -eq 0 ] && user="user root;"
    sed -e "s|@DIR@|$dir|g" -e "s|@ROOT@|$root|g" -e "s|@FILE@|$file|g" -e "s|@PORT@|$port|g" \
        -e "s|@USER@|$user|g" -e "s|@WORKERS@|$(nproc)|g" "$BENCH_SERVER/nginx.conf.in" >"$dir/nginx.conf"
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/stderr.log" &
    NGINX_PID=$!
    started "$NGINX_PID"
    NGINX_URL="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$NGINX_URL/" && return 0
        sleep 0.1
    done
    echo "nginx did not start:" >&2
    cat "$dir/stderr.log" "$dir/error.log" >&2 2>/dev/null || true
    exit 1
}

# start_nginx_dav ROOT → NGINX_URL: nginx as a WebDAV server (`PUT /NAME` stores ROOT/NAME),
# same process set-up as start_nginx (bench/server/nginx-dav.conf.in).
start_nginx_dav() {
    local root="$1" dir="$SCRATCH/nginx-dav" port user=""
    mkdir -p "$dir/tmp" "$root/.tmp"
    port="$(free_port)"
    [ "$(id -u)" -eq 0 ] && user="user root;"
    sed -e "s|@DIR@|$dir|g" -e "s|@ROOT@|$root|g" -e "s|@PORT@|$port|g" \
        -e "s|@USER@|$user|g" -e "s|@WORKERS@|$(nproc)|g" "$BENCH_SERVER/nginx-dav.conf.in" >"$dir/nginx.conf"
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/stderr.log" &
    NGINX_PID=$!
    started "$NGINX_PID"
    NGINX_URL="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$NGINX_URL/" && return 0
        sleep 0.1
    done
    echo "nginx (WebDAV) did not start:" >&2
    cat "$dir/stderr.log" "$dir/error.log" >&2 2>/dev/null || true
    exit 1
}

# parallel_puts OUT_CODES URL_PREFIX PARALLEL [curl header args…] -- PART… : one
# `curl --parallel` process PUTting each PART (-T) to URL_PREFIX/N (N from 1); HTTP codes to
# OUT_CODES. A header argument containing {N} gets the part's number, and an argument
# "@md5" the part's Content-MD5 header from the MD5S array (same order as the parts).
parallel_puts() {
    local codes="$1" prefix="$2" parallel="$3" args=() extra=() i=0 p
    shift 3
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do extra+=("$1"); shift; done
    shift
    for p in "$@"; do
        [ "$i" -gt 0 ] && args+=(--next)
        args+=(-sS -o /dev/null -w '%{http_code}\n' "${extra[@]}")
        [ "${#MD5S[@]}" -gt 0 ] && args+=(-H "Content-MD5: ${MD5S[$i]}")
        args+=(-T "$p" "$prefix/$((i + 1))")
        i=$((i + 1))
    done
    curl --parallel --no-progress-meter --parallel-max "$parallel" "${args[@]}" >"$codes"
}

# peak_rss_of PID → the process's peak resident set (VmHWM) in MiB, while it runs.
peak_rss_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# run_wrk LABEL URL LUA [ARGS…] → wrk's report in $SCRATCH/wrk-LABEL.txt (and on stderr).
# WRK_THREADS, WRK_CONNECTIONS and WRK_DURATION are the same for both sides.
run_wrk() {
    local label="$1" url="$2" lua="$3"
    shift 3
    wrk -t "${WRK_THREADS:-2}" -c "${WRK_CONNECTIONS:-32}" -d "${WRK_DURATION:-10s}" --latency \
        -s "$lua" "$url" -- "$@" >"$SCRATCH/wrk-$label.txt"
    sed "s/^/  [$label] /" "$SCRATCH/wrk-$label.txt" >&2
    if grep -q "Non-2xx or 3xx responses" "$SCRATCH/wrk-$label.txt"; then
        echo "$label: some responses were not 2xx; the figure would mean nothing" >&2
        exit 1
    fi
}
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$SCRATCH/wrk-$1.txt"; }
# wrk_latency LABEL PERCENT → that percentile in milliseconds.
wrk_latency() {
    awk -v p="$2%" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000;
        printf "%.2f", v }' "$SCRATCH/wrk-$1.txt"
}

# Arithmetic and verdicts.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
at_most() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "missed" }'; }
at_least() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "met" : "missed" }'; }
max_of() { printf '%s\n' "$@" | sort -g | tail -n1; }
min_of() { printf '%s\n' "$@" | sort -g | head -n1; }

# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}
