#!/usr/bin/env bash
# Attacks the demo app with slowhttptest (Debian package slowhttptest) in slowloris (-H), slow
# request body (-B, "R-U-Dead-Yet") and slow-read (-X) modes while curl checks, once a second,
# that other clients are still served.
# Not part of CI (it takes a few minutes). Usage:
#   scripts/slowhttptest.sh [CONNECTIONS] [SECONDS] [extra server options...]
# e.g. scripts/slowhttptest.sh 1000 30 --workers pool
# Prints, per attack, slowhttptest's summary and the probe results (status codes, slowest probe).
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-1000}
seconds=${2:-30}
shift $(( $# > 2 ? 2 : $# ))
command -v slowhttptest >/dev/null || { echo "needs slowhttptest: apt-get install -y slowhttptest" >&2; exit 2; }
. bin/jdk.sh
[ -f cli/target/wsgiserver.jar ] || mvn -q -B -DskipTests package
ulimit -n 65536 2>/dev/null || true

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
"$JAVA_HOME/bin/java" -jar cli/target/wsgiserver.jar --bind "127.0.0.1:$port" "$@" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="http://127.0.0.1:$port"

# One probe a second until the attack ends: status code and total time of a plain GET.
probe() {
  while kill -0 "$1" 2>/dev/null; do
    curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$url/plaintext" || echo "000 5"
    sleep 1
  done
}

attack() { # name, path, slowhttptest arguments...
  local name=$1 path=$2; shift 2
  echo "== $name: slowhttptest $* -u $url$path"
  slowhttptest "$@" -u "$url$path" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$work/$name.log" &
  local attacker=$!
  probe $attacker >"$work/$name.probes"
  wait $attacker || true
  # the last status block: connections by state, and whether slowhttptest's own probe got through
  awk '/^slow HTTP test status on/ {block = ""} {block = block "\n" $0} END {print block}' "$work/$name.log" \
    | grep -E "status on|connected|pending|closed|error|service available" | sed 's/^/   /'
  grep -E "^(Test ended|Exit status)" "$work/$name.log" | sed 's/^/   /'
  awk '{n++; c[$1]++; if ($2 > max) max = $2} END {printf "   curl probes meanwhile: %d, status", n; for (k in c) printf " %s x%d", k, c[k]; printf ", slowest %.3f s\n", max}' "$work/$name.probes"
}

attack slowloris / -H -c "$connections" -r 200 -i 5 -s 8192 -l "$seconds" -t GET -x 24 -p 3
# slow body: POST /echo (which reads its body) declaring 8192 bytes, 1-10 bytes every 10 s
attack slowbody /echo -B -c "$connections" -r 200 -i 10 -s 8192 -l "$seconds" -t POST -x 10 -p 3
# slow read wants a response far larger than the socket buffers: 64 MiB, read 32 bytes every 5 s
attack slowread "/bytes?n=67108864" -X -c "$connections" -r 200 -w 512 -y 1024 -n 5 -z 32 -k 3 -l "$seconds" -p 3
echo "== server still serving after the attacks: $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/plaintext")"
grep -ciE "exception|error" "$work/server.log" | sed 's/^/== server log lines with error or exception: /'
