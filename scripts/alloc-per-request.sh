#!/usr/bin/env bash
# Bytes the running server allocates per request, whole (parser, environ, demo app, response, the
# JDK's socket code), from its own GC log: starts the demo app with the serial collector logging each
# young collection, warms it up with wrk, then loads it again and sums the heap filled between the
# collections of that window, divided by the requests wrk made in it. The JMH figures (bin/jmh
# Exchange -prof gc) cover the HTTP layer and gateway only, and count on the JIT inlining a one-line
# application, which no real one is; this is what a server under load does.
#
#   scripts/alloc-per-request.sh                       # /plaintext, 64 connections, 10 s
#   PATH_=/json scripts/alloc-per-request.sh
#   JAR=/tmp/old.jar scripts/alloc-per-request.sh     # another build, for an A/B (run it in turns)
#
# Knobs: JAR (default: builds cli/target/wsgiserver.jar), PATH_=/plaintext, C=64, SECONDS_=10, PORT=18110,
# WORKERS=virtual. Needs wrk; pins the server to CPU 0 and wrk to CPU 1 where taskset exists. The
# figure moves by about 5 % between runs (each window holds some 15 collections); loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${PATH_:-/plaintext}; C=${C:-64}; SECS=${SECONDS_:-10}; PORT=${PORT:-18110}; WORKERS=${WORKERS:-virtual}
command -v wrk >/dev/null 2>&1 || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
. bin/jdk.sh
if [ -z "${JAR:-}" ]; then
  mvn -B -q -pl core,cli -am package -DskipTests
  JAR=cli/target/wsgiserver.jar
fi
server_pin=() client_pin=()
if command -v taskset >/dev/null 2>&1; then server_pin=(taskset -c 0) client_pin=(taskset -c 1); fi

log=$(mktemp "${TMPDIR:-/tmp}/alloc-gc.XXXXXX")
"${server_pin[@]}" "$JAVA_HOME/bin/java" -Xmx1g -XX:+UseSerialGC -Xlog:gc:file="$log" -jar "$JAR" \
  --bind "127.0.0.1:$PORT" --workers "$WORKERS" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT$P" >/dev/null 2>&1 && break; sleep 0.1; done

"${client_pin[@]}" wrk -t1 -c"$C" -d"${SECS}s" "http://127.0.0.1:$PORT$P" >/dev/null # warm-up
before=$(grep -c "Pause Young" "$log" || true)
requests=$("${client_pin[@]}" wrk -t1 -c"$C" -d"${SECS}s" "http://127.0.0.1:$PORT$P" | awk '/requests in/ {print $1}')
sleep 0.2
python3 - "$log" "$before" "$requests" <<'EOF'
import re, sys
log, before, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pauses = [(int(m[1]), int(m[2])) for m in (re.search(r'Pause Young.* (\d+)M->(\d+)M', l) for l in open(log)) if m]
window = pauses[before:]
if len(window) < 3:
    sys.exit('only %d collections in the window: raise SECONDS_' % len(window))
filled = sum(window[i][0] - window[i - 1][1] for i in range(1, len(window)))  # MiB between the window's collections
share = (len(window) - 1) / len(window)  # of the window's requests, those made between its first and last collection (about)
print('%d requests, %d young collections: about %.0f bytes allocated per request'
      % (requests, len(window), filled * 1048576 / (requests * share)))
EOF
