#!/usr/bin/env bash
# Screenshots the live status page: starts the demo server (cli/target/wsgiserver.jar, built if
# missing) on a free loopback port with --status-path /server-status, puts some load on it with curl,
# and has Debian's headless Chromium render the page.
#   usage: scripts/status-page-screenshot.sh [OUT.png]     (default: target/status-page.png)
# Needs: chromium and curl (apt-get install -y chromium curl), Maven and a JDK 21+ to build.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/status-page.png}"
mkdir -p "$(dirname "$out")"
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install -y chromium)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed (apt-get install -y curl)" >&2; exit 1; }
. bin/jdk.sh
[ -f cli/target/wsgiserver.jar ] || mvn -B -q -DskipTests package

work="$(mktemp -d)"
server_pid=""
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$JAVA_HOME/bin/java" -jar cli/target/wsgiserver.jar --bind 127.0.0.1:0 \
    --status-path /server-status --metrics-path /metrics > "$work/server.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 1 100); do   # up to 10 s for the "serving on" line
  base="$(sed -n 's/.* serving on \(http:[^ ]*\).*/\1/p' "$work/server.log" | head -1)"
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

# Load: plaintext, JSON, some 404s and larger bodies, for at most 60 s (stopped when done).
(
  end=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$end" ]; do
    for path in plaintext json missing "bytes?n=100000"; do
      curl -s -o /dev/null "$base/$path" || true
    done
  done
) &
load_pid=$!
sleep 3   # let the page's first samples see traffic

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size=1200,900 --virtual-time-budget=8000 \
  --screenshot="$(realpath -m "$out")" "$base/server-status" 2>/dev/null
echo "status page of $base saved to $out"
