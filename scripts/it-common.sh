# Sourced by scripts/it-*.sh (from the repository root): a JDK, the jar, wrk and curl; a temp dir;
# cleanup of every process started; free ports; starting and stopping instances of the server jar;
# load with wrk and its verdict. JAR may name another jar than cli/target/wsgiserver.jar.

set -euo pipefail
. bin/jdk.sh
JAVA="$JAVA_HOME/bin/java"
JAR=${JAR:-cli/target/wsgiserver.jar}

WORK=$(mktemp -d /tmp/wsgiserver-it.XXXXXX)
chmod 755 "$WORK" # nginx workers (user nobody) must reach the sockets in it
PIDS=()

cleanup() {
  [ -n "${KEEP_IT_LOGS:-}" ] && cp -r "$WORK" "$KEEP_IT_LOGS" 2>/dev/null || true
  local pid
  # children first: nginx's workers outlive a killed master (and keep its port); the master is
  # stopped before, else it may start a new worker in place of a killed one before it dies itself
  for pid in "${PIDS[@]}"; do
    kill -STOP "$pid" 2>/dev/null || true
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
  exit 1
}

# A TCP port nothing listens on right now.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' && return
  fi
  "$JAVA" "$WORK/FreePort.java" 2>/dev/null && return
  fail "cannot find a free port"
}
cat > "$WORK/FreePort.java" <<'JAVA'
public class FreePort {
    public static void main(String[] a) throws Exception {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            System.out.println(s.getLocalPort());
        }
    }
}
JAVA

# start_instance NAME ARGS...: starts the server jar in the background; its pid goes to $WORK/NAME.pid.
start_instance() {
  local name=$1; shift
  : > "$WORK/$name.log"
  "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -jar "$JAR" "$@" >> "$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  echo "$pid" > "$WORK/$name.pid"
  local i
  for i in $(seq 1 300); do # up to 30 s
    if grep -q "serving on" "$WORK/$name.log"; then
      # the jar's manifest gives the JVM its consent to TCP_DEFER_ACCEPT: on Linux with Java 22+ it must be set
      if grep "TCP_DEFER_ACCEPT not set" "$WORK/$name.log" | grep -qv "needs Java 22"; then
        fail "$name: $(grep "TCP_DEFER_ACCEPT not set" "$WORK/$name.log")"
      fi
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "$name exited at start"
    sleep 0.1
  done
  fail "$name did not start within 30 s"
}

# stop_instance NAME: SIGTERM (graceful drain), then waits for the process to exit (at most 20 s).
stop_instance() {
  local name=$1 pid i
  pid=$(cat "$WORK/$name.pid")
  kill -TERM "$pid"
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "$name did not exit within 20 s of SIGTERM"
  wait "$pid" 2>/dev/null || true
  grep -q "wsgiserver stopped" "$WORK/$name.log" || fail "$name did not report a graceful stop"
}

# require_tool NAME PACKAGE: installs PACKAGE with apt-get if NAME is missing and we are root.
require_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $2 (apt-get)"
    (apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$2" >/dev/null 2>&1; }) \
      || fail "apt-get install $2 failed"
    command -v "$1" >/dev/null 2>&1 || export PATH="$PATH:/usr/sbin:/sbin"
    command -v "$1" >/dev/null 2>&1 || fail "$2 installed but $1 not found"
    return 0
  fi
  fail "$1 is needed (Debian package $2): install it, or set WSGISERVER_SKIP_IT=1 to skip these tests locally"
}

# start_load URL SECONDS: wrk in the background (2 threads, 16 connections) against URL.
start_load() {
  wrk -t2 -c16 -d"$2"s --timeout 10s "$1" > "$WORK/wrk.out" 2>&1 &
  WRK=$!
  PIDS+=("$WRK")
}

# finish_load: waits for wrk, prints its report, sets $requests and $failures.
finish_load() {
  wait "$WRK" || fail "wrk failed"
  cat "$WORK/wrk.out"
  requests=$(wrk_requests "$WORK/wrk.out")
  failures=$(wrk_failures "$WORK/wrk.out")
}

# check_load: fails unless plenty of requests went through and none failed.
check_load() {
  [ -n "$requests" ] && [ "$requests" -gt 1000 ] || fail "too few requests went through: ${requests:-none}"
  [ "$failures" = 0 ] || fail "$failures requests failed"
}

# wrk_failures FILE: the number of failed requests in wrk's output (socket errors + non-2xx/3xx).
wrk_failures() {
  local errors non2xx
  errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$1" \
    | awk '{print $1+$2+$3+$4}')
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$1")
  echo $(( ${errors:-0} + ${non2xx:-0} ))
}

wrk_requests() {
  sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$1"
}

[ -f "$JAR" ] || fail "$JAR not found: build first (bin/test or mvn -B package)"
require_tool wrk wrk
require_tool curl curl
