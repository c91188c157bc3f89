#!/usr/bin/env bash
# Memory per idle keep-alive connection: builds the CLI jar (unless JAR is given), starts the demo
# app on a loopback port, warms it with 3 s of wrk, collects garbage, opens COUNT idle keep-alive
# connections (each served one request, then silent: ../shared/bench/tools/idle_conns.py),
# collects garbage again and prints the RSS and live heap they added, and the top of the heap
# histogram. Then stops everything. Needs wrk and python3; talks to 127.0.0.1 only.
#
#   scripts/idle-memory.sh                   # 5000 connections, virtual workers
#   COUNT=2000 JAR=/tmp/old.jar scripts/idle-memory.sh
#   WORKERS=pool scripts/idle-memory.sh
#   TLS=1 COUNT=2000 scripts/idle-memory.sh  # TLS connections (a self-signed EC certificate; needs openssl)
#   TLS=1 PARTIAL=1 scripts/idle-memory.sh   # ... each stalled after the first 3 bytes of its next record
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-5000}
WORKERS=${WORKERS:-virtual}
PORT=${PORT:-18095}
JVM_OPTS=${JVM_OPTS:--Xmx1g}
IDLE_SCRIPT=${IDLE_SCRIPT:-../shared/bench/tools/idle_conns.py}

for tool in wrk python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is not installed" >&2; exit 1; }
done
[ -f "$IDLE_SCRIPT" ] || { echo "no $IDLE_SCRIPT (set IDLE_SCRIPT to tools/idle_conns.py of the bench harness)" >&2; exit 1; }
. bin/jdk.sh
if [ -z "${JAR:-}" ]; then
  mvn -B -q -pl core,cli -am package -DskipTests
  JAR=cli/target/wsgiserver.jar
fi
# two descriptors per connection with direct socket calls (README: directSocketCalls); with fewer,
# the server keeps a quarter of its limit for them and refuses connections beyond what is left
ulimit -n "$((2 * COUNT + 1024))" 2>/dev/null || true
scheme=http tls_options=() curl_k=()
if [ -n "${TLS:-}" ]; then
  command -v openssl >/dev/null 2>&1 || { echo "TLS=1 needs openssl" >&2; exit 1; }
  certs=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$certs/key.pem" -out "$certs/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
  scheme=https tls_options=(--ssl-certificate "$certs/cert.pem" --ssl-private-key "$certs/key.pem") curl_k=(-k)
  IDLE_SCRIPT=scripts/idle-tls-conns.py
fi

# Timeouts past the 120 s hold: else connections opened early close before the measurement (at the
# keep-alive timeout; with PARTIAL, a record begun, at the request-head timeout).
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" $JVM_OPTS -jar "$JAR" --bind "127.0.0.1:$PORT" --workers "$WORKERS" --max-connections "$((COUNT + 1000))" \
  --keep-alive-timeout 180 --request-head-timeout 180 "${tls_options[@]}" >"${TMPDIR:-/tmp}/idle-memory-server.log" 2>&1 &
server=$!
idle=
trap 'kill $idle $server 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -s "${curl_k[@]}" -o /dev/null "$scheme://127.0.0.1:$PORT/plaintext" && break
  sleep 0.1
done

rss() { awk '/VmRSS/{print $2}' "/proc/$server/status"; }
heap() { "$JAVA_HOME/bin/jcmd" "$server" GC.heap_info | grep -oE 'used [0-9]+K' | awk '{s += $2} END {print s}'; }
collect() { "$JAVA_HOME/bin/jcmd" "$server" GC.run >/dev/null; sleep 0.5; }

wrk -t1 -c64 -d3s "$scheme://127.0.0.1:$PORT/plaintext" >/dev/null
collect
rss0=$(rss) heap0=$(heap)
out="${TMPDIR:-/tmp}/idle-memory-conns.log"
idle_options=()
[ -n "${PARTIAL:-}" ] && idle_options=(--partial-record)
python3 "$IDLE_SCRIPT" "$PORT" --count "$COUNT" --hold-max 120 "${idle_options[@]}" >"$out" 2>&1 &
idle=$!
for _ in $(seq 300); do
  grep -q READY "$out" && break
  sleep 0.2
done
grep READY "$out" || { echo "idle connections not ready: $(cat "$out")" >&2; exit 1; }
collect
rss1=$(rss) heap1=$(heap)
echo "RSS added: $(( (rss1 - rss0) / 1024 )) MiB ($(( (rss1 - rss0) * 1024 / COUNT )) bytes per connection)"
echo "live heap added: $(( (heap1 - heap0) / 1024 )) MiB ($(( (heap1 - heap0) * 1024 / COUNT )) bytes per connection)"
"$JAVA_HOME/bin/jcmd" "$server" GC.class_histogram | sed -n "2,${HISTO_LINES:-15}p"
