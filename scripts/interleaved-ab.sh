#!/usr/bin/env bash
# Compares two HTTP servers' CPU time per request on a shared, noisy host: both run at once, pinned
# to CPU 0, and wrk (pinned to CPU 1) loads them in turn, ROUNDS short windows each, alternating
# which goes first. Consecutive windows see nearly the same host speed, so the per-round ratio
# drifts far less than two separate runs minutes apart. Prints each round's CPU time per request
# (with its user-space part: the rest is the kernel's), their B/A ratio, and the medians; B/A > 1
# means A needs less CPU per request (A is that much ahead in requests per CPU-second). Server CPU
# is read from /proc (the process and its children).
#
#   scripts/interleaved-ab.sh "CMD_A" "CMD_B"        # {PORT} in a command is replaced by its port
#   C=1024 scripts/interleaved-ab.sh "java -jar old.jar --bind 127.0.0.1:{PORT}" \
#                                    "java -jar cli/target/wsgiserver.jar --bind 127.0.0.1:{PORT}"
#   PATH_=/json HDR="Connection: close" ROUNDS=12 SECONDS_=5 scripts/interleaved-ab.sh ...
#   IDLE=5000 scripts/interleaved-ab.sh ...          # the bench's scenario h: idle connections held meanwhile
#
# Knobs: C=64 connections, ROUNDS=8, SECONDS_=5 per window, WARM=15 s per server first, PATH_=/plaintext,
# HDR (one extra request header), SCRIPT (a wrk Lua script, e.g. the bench's POST of lua/echo.lua), PORT_A=18091, PORT_B=18092,
# SCHEME=https for servers serving TLS (any certificate: curl -k, wrk does not check), IDLE=0 keep-alive connections per server, each served once, then held idle for the whole run (by
# IDLE_SCRIPT=../shared/bench/tools/idle_conns.py, on CPU 1; raises the descriptor limit). Needs wrk, curl and taskset; both
# servers must answer GET /plaintext and stay in the foreground (nginx: `daemon off;`). Talks to
# 127.0.0.1 only.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,20p' "$0"; exit 2; }
for tool in wrk curl taskset; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is not installed" >&2; exit 1; }
done
SCHEME=${SCHEME:-http}; C=${C:-64}; ROUNDS=${ROUNDS:-8}; SECS=${SECONDS_:-5}; WARM=${WARM:-15}; P=${PATH_:-/plaintext}
PORT_A=${PORT_A:-18091}; PORT_B=${PORT_B:-18092}
IDLE=${IDLE:-0}; IDLE_SCRIPT=${IDLE_SCRIPT:-$(dirname "$0")/../../shared/bench/tools/idle_conns.py}
if (( IDLE > 0 )); then
  [ -f "$IDLE_SCRIPT" ] || { echo "IDLE needs $IDLE_SCRIPT (set IDLE_SCRIPT)" >&2; exit 1; }
  ulimit -n $((2 * IDLE + 4096)) 2>/dev/null || { echo "cannot raise the descriptor limit for IDLE=$IDLE" >&2; exit 1; }
fi
WRK=(taskset -c 1 wrk -t1 -c"$C")
[ -n "${HDR:-}" ] && WRK+=(-H "$HDR")
[ -n "${SCRIPT:-}" ] && WRK+=(-s "$SCRIPT")

# each command runs through bash (quotes and globs in it work) and replaces it, so its PID is the server's
taskset -c 0 bash -c "exec ${1//\{PORT\}/$PORT_A}" >/dev/null 2>&1 & PA=$!
taskset -c 0 bash -c "exec ${2//\{PORT\}/$PORT_B}" >/dev/null 2>&1 & PB=$!
IDLE_PIDS=()
trap 'kill $PA $PB "${IDLE_PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 150); do curl -sk -o /dev/null "$SCHEME://127.0.0.1:$port/plaintext" && break; sleep 0.2; done
  curl -sk -o /dev/null "$SCHEME://127.0.0.1:$port/plaintext" || { echo "nothing answers on port $port" >&2; exit 1; }
  kill -0 $PA 2>/dev/null && kill -0 $PB 2>/dev/null || { echo "a server exited (port taken? a daemon that forks?)" >&2; exit 1; }
  "${WRK[@]}" -d"${WARM}s" "$SCHEME://127.0.0.1:$port$P" >/dev/null
done
if (( IDLE > 0 )); then
  for port in "$PORT_A" "$PORT_B"; do
    log=$(mktemp)
    taskset -c 1 python3 "$IDLE_SCRIPT" "$port" --count "$IDLE" --mode request --hold-max 7200 >"$log" 2>&1 &
    IDLE_PIDS+=($!)
    for _ in $(seq 600); do grep -q '^READY' "$log" && break; sleep 0.2; done
    grep '^READY' "$log" | sed "s/^/port $port idle: /" || { echo "idle connections not ready on port $port" >&2; cat "$log" >&2; rm -f "$log"; exit 1; }
    rm -f "$log"
  done
  for port in "$PORT_A" "$PORT_B"; do "${WRK[@]}" -d5s "$SCHEME://127.0.0.1:$port$P" >/dev/null; done
fi

cpu_ticks() { # the process and its children (nginx's workers): "user system" clock ticks
  local user=0 sys=0 pid u s
  for pid in $1 $(pgrep -P "$1" || true); do
    read -r u s < <(cut -d' ' -f14,15 "/proc/$pid/stat")
    user=$((user + u)); sys=$((sys + s))
  done
  echo "$user $sys"
}
us_per_request() { # PID PORT: one window; prints server CPU-µs per request and the user part of it
  local u0 s0 u1 s1 out requests
  read -r u0 s0 < <(cpu_ticks "$1")
  out=$("${WRK[@]}" -d"${SECS}s" "$SCHEME://127.0.0.1:$2$P")
  read -r u1 s1 < <(cpu_ticks "$1")
  requests=$(awk '/requests in/{print $1}' <<<"$out")
  awk -v r="$requests" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN{printf "%.3f %.3f\n", (u + s) / hz * 1e6 / r, u / hz * 1e6 / r}'
}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

as=(); bs=(); aus=(); bus=(); ratios=()
for i in $(seq "$ROUNDS"); do
  if (( i % 2 )); then read -r a au < <(us_per_request $PA "$PORT_A"); read -r b bu < <(us_per_request $PB "$PORT_B")
  else read -r b bu < <(us_per_request $PB "$PORT_B"); read -r a au < <(us_per_request $PA "$PORT_A"); fi
  as+=("$a"); bs+=("$b"); aus+=("$au"); bus+=("$bu")
  ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b / a}')")
  echo "round $i: A $a µs (user $au), B $b µs (user $bu) per request, B/A ${ratios[-1]}"
done
echo "median CPU-µs per request: A $(median "${as[@]}") (user $(median "${aus[@]}")), B $(median "${bs[@]}") (user $(median "${bus[@]}")); median B/A $(median "${ratios[@]}")"
