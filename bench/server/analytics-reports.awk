# The device reports of bench/server-analytics.sh, as a curl config (`curl --parallel -K`):
# one POST /api/v1/devices/{id}/ota/report per input line "device_id token firmware_version",
# each device once. The first FAILURES lines fail with a message drawn from the templates below
# (numbers, paths and hex vary per device, so only normalization groups them; template k is
# drawn with weight ~ 1/(k+1) so the groups differ in size), the next SUCCEEDED succeed, the
# next PROGRESS report download progress. Deterministic (srand(SEED)).
#   awk -v URL=… -v ROLLOUT=… -v FAILURES=… -v SUCCEEDED=… -v PROGRESS=… -v SEED=… -f this < list

BEGIN {
    srand(SEED)
    n = split("network modem gps storage display audio bluetooth watchdog updater telemetry " \
              "camera lidar radar imu heater fan pump valve relay charger " \
              "bootloader kernel rootfs recovery journal", WORDS, " ")
    # status|message; %N a number, %H a hex string, %P a path, %W a word (a group per word).
    T[0] = "INSTALL_ERROR|disk full: %N MB free"
    T[1] = "DOWNLOAD_ERROR|download timed out after %N s at byte %N"
    T[2] = "DOWNLOAD_ERROR|checksum mismatch: expected %H, got %H"
    T[3] = "TEST_ERROR|self-test %W failed with code %N"
    T[4] = "INSTALL_ERROR|Not enough memory (required: %NMB, available: %NMB)."
    T[5] = "INSTALL_ERROR|cannot open %P: permission denied"
    T[6] = "INSTALL_ABORTED|battery too low: %N%"
    T[7] = "INSTALL_ERROR|service %W did not start within %N s"
    T[8] = "DOWNLOAD_ERROR|connection reset by peer after %N bytes"
    T[9] = "failure|signature rejected for key %H"
    T[10] = "INSTALL_ERROR|partition %P is read-only"
    T[11] = "TEST_ERROR|sensor %W out of range: %N C"
    T[12] = "INSTALL_ERROR|hook exited with status %N: %W busy"
    NT = 13
    # Weights 1/(k+1), cumulative.
    total = 0
    for (k = 0; k < NT; k++) { total += 1 / (k + 1); CUM[k] = total }
}

function pick(   r, k) {
    r = rand() * total
    for (k = 0; k < NT; k++) if (r <= CUM[k]) return k
    return NT - 1
}

function num() { return int(rand() * 100000) }
function hex() { return sprintf("0x%06x%06x", int(rand() * 16777216), int(rand() * 16777216)) }
function path() { return sprintf("/var/lib/airlift/slot%d/%s.img", int(rand() * 4), WORDS[int(rand() * n) + 1]) }

function message(template,   out, i, c) {
    out = ""
    for (i = 1; i <= length(template); i++) {
        c = substr(template, i, 2)
        if (c == "%N") { out = out num(); i++ }
        else if (c == "%H") { out = out hex(); i++ }
        else if (c == "%P") { out = out path(); i++ }
        else if (c == "%W") { out = out WORDS[int(rand() * n) + 1]; i++ }
        else out = out substr(template, i, 1)
    }
    return out
}

function report(id, token, body) {
    if (NR > 1) print "next"
    printf "url = \"%s/api/v1/devices/%s/ota/report\"\n", URL, id
    printf "header = \"Authorization: Bearer %s\"\n", token
    print "header = \"Content-Type: application/json\""
    gsub(/"/, "\\\"", body)
    printf "data-binary = \"%s\"\n", body
    print "output = \"/dev/null\""
    print "write-out = \"%{http_code}\\n\""
}

{
    line = NR - 1
    if (line < FAILURES) {
        split(T[pick()], st, "|")
        body = sprintf("{\"rollout_id\":\"%s\",\"firmware_version\":\"%s\",\"status\":\"%s\",\"message\":\"%s\"}",
                       ROLLOUT, $3, st[1], message(st[2]))
    } else if (line < FAILURES + SUCCEEDED) {
        body = sprintf("{\"rollout_id\":\"%s\",\"firmware_version\":\"%s\",\"status\":\"success\"}", ROLLOUT, NEW_VERSION)
    } else if (line < FAILURES + SUCCEEDED + PROGRESS) {
        body = sprintf("{\"rollout_id\":\"%s\",\"firmware_version\":\"%s\",\"status\":\"DOWNLOAD_STEP\",\"progress\":%d,\"message\":\"downloading\"}",
                       ROLLOUT, $3, 1 + int(rand() * 98))
    } else {
        exit
    }
    report($1, $2, body)
}
