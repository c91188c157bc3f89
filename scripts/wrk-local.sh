#!/usr/bin/env bash
# A quick local load check: builds the CLI jar (unless JAR is given), starts the demo app on a free
# loopback port, runs wrk against /plaintext (keep-alive and pipelined x16) and /json, prints wrk's
# summary and the server's CPU time per request (user and system apart), then stops the server.
# Nothing is installed.
#
#   scripts/wrk-local.sh                     # defaults: virtual workers, 64 connections, 5 s per run
#   WORKERS=pool DURATION=10 scripts/wrk-local.sh
#   JAR=/tmp/old.jar scripts/wrk-local.sh    # an A/B check against another build
#   PIN=1 scripts/wrk-local.sh               # server on CPU 0, wrk on CPU 1 (as ../shared/bench does)
#
# For the full side-by-side comparison with other servers use the harness in ../shared/bench.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKERS=${WORKERS:-virtual}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
PORT=${PORT:-18080}
JVM_OPTS=${JVM_OPTS:--Xmx1g}

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is not installed. On Debian/Ubuntu: apt-get install wrk" >&2
  exit 1
fi
. bin/jdk.sh
if [ -z "${JAR:-}" ]; then
  mvn -B -q -pl core,cli -am package -DskipTests
  JAR=cli/target/wsgiserver.jar
fi

server_pin=() client_pin=()
if [ "${PIN:-0}" = 1 ] && command -v taskset >/dev/null 2>&1; then
  server_pin=(taskset -c 0) client_pin=(taskset -c 1)
fi

# shellcheck disable=SC2086
"${server_pin[@]}" "$JAVA_HOME/bin/java" $JVM_OPTS -jar "$JAR" --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  >"${TMPDIR:-/tmp}/wrk-local-server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/plaintext" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "server did not start:"; cat "${TMPDIR:-/tmp}/wrk-local-server.log"; exit 1; }
  sleep 0.1
done

pipeline_lua=$(mktemp --suffix=.lua)
trap 'rm -f "$pipeline_lua"; kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
cat >"$pipeline_lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format("GET", "/plaintext") end
  req = table.concat(r)
end
request = function() return req end
LUA

cpu_ticks() { awk '{print $14, $15}' "/proc/$server/stat"; } # user, system
hz=$(getconf CLK_TCK)

run() { # name, then wrk arguments
  local name=$1; shift
  "${client_pin[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" >/dev/null 2>&1 || true # warm-up
  local user0 sys0 out user1 sys1
  read -r user0 sys0 < <(cpu_ticks)
  out=$("${client_pin[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  read -r user1 sys1 < <(cpu_ticks)
  local requests
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "== $name ($WORKERS workers, $CONNECTIONS connections, ${DURATION}s)"
  grep -E 'Requests/sec|Transfer/sec|99%|Socket errors|Non-2xx' <<<"$out" | sed 's/^/   /'
  # user and system time apart: the kernel's part per request is about the same for every server
  # on loopback (see docs/performance.md), so the user part is what code changes move
  awk -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v hz="$hz" -v d="$DURATION" -v n="${requests:-0}" \
    'BEGIN { cpu = (u + s) / hz; printf "   server CPU %.0f %%, %.0f requests per server CPU-second", 100 * cpu / d, (cpu > 0 ? n / cpu : 0);
             if (n > 0) printf " (user %.2f us, system %.2f us per request)", 1e6 * u / hz / n, 1e6 * s / hz / n; print "" }'
}

run plaintext "http://127.0.0.1:$PORT/plaintext"
run "plaintext pipelined x16" -s "$pipeline_lua" "http://127.0.0.1:$PORT/plaintext"
run json "http://127.0.0.1:$PORT/json"
