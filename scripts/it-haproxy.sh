#!/usr/bin/env bash
# Real-components proof: HAProxy (from Debian) in front of three instances of the server jar with
# the PROXY protocol on (v1 to one, v2 to two). wrk runs load through HAProxy while the instances are
# restarted one by one with SIGTERM (graceful drain). Passes if no request failed, and if the
# application saw the real client's address and port through the PROXY protocol.
# Needs cli/target/wsgiserver.jar (bin/test builds it). Bounded: about 30 s; everything it starts is
# killed on exit.
cd "$(dirname "$0")/.."
. scripts/it-common.sh
require_tool haproxy haproxy

FRONT=$(free_port); STATS=$(free_port)
declare -A PORT
for s in s1 s2 s3; do PORT[$s]=$(free_port); done

start_backend() { # the demo app; /health/readyz answers health checks (503 while draining), /json carries the load
  start_instance "$1" --bind "127.0.0.1:${PORT[$1]}" --proxy-protocol --health-path /health --shutdown-timeout 10
}
for s in s1 s2 s3; do start_backend "$s"; done

cat > "$WORK/haproxy.cfg" <<CFG
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout http-keep-alive 5s
    # A backend that is stopping refuses new connections and closes idle ones: retry those
    # requests on another instance (they never reached an application).
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend web
    bind 127.0.0.1:$FRONT
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /health/readyz
    timeout check 2s
    default-server check inter 200ms fall 2 rise 2 check-send-proxy
    server s1 127.0.0.1:${PORT[s1]} send-proxy
    server s2 127.0.0.1:${PORT[s2]} send-proxy-v2
    server s3 127.0.0.1:${PORT[s3]} send-proxy-v2
listen stats
    bind 127.0.0.1:$STATS
    stats enable
    stats uri /stats
CFG
haproxy -c -f "$WORK/haproxy.cfg" > "$WORK/haproxy-check.log" 2>&1 || fail "haproxy rejects its configuration"
haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
PIDS+=("$!")

# Instances HAProxy has checked and found up (servers start UP before their first check: field 37,
# check_status, says whether a check has passed).
up_servers() {
  curl -s "http://127.0.0.1:$STATS/stats;csv" | awk -F, '$1 == "app" && $2 ~ /^s[0-9]$/ && $18 == "UP" && $37 ~ /^L7OK/' | wc -l
}
await_all_up() {
  local i
  for i in $(seq 1 200); do [ "$(up_servers)" = 3 ] && return 0; sleep 0.1; done
  fail "HAProxy does not see all three instances up within 20 s"
}
await_all_up

# The PROXY protocol carries the client's own address and port to the application.
environ=$(curl -s --max-time 5 --fail -w '\nLOCAL_PORT=%{local_port}\n' "http://127.0.0.1:$FRONT/environ") \
  || fail "GET /environ through HAProxy failed"
local_port=$(echo "$environ" | sed -n 's/^LOCAL_PORT=//p')
grep -qx "REMOTE_PORT = $local_port" <<< "$environ" \
  || fail "REMOTE_PORT is not the client's port $local_port: $environ"
grep -qx "SERVER_PORT = $FRONT" <<< "$environ" \
  || fail "SERVER_PORT is not HAProxy's port $FRONT: $environ"

start_load "http://127.0.0.1:$FRONT/json" 14
sleep 2
for s in s1 s2 s3; do
  echo "restarting $s (SIGTERM, graceful drain)"
  stop_instance "$s"
  start_backend "$s"
  await_all_up
  sleep 1
done
finish_load
retries=$(curl -s "http://127.0.0.1:$STATS/stats;csv" | awk -F, '$1 == "app" && $2 == "BACKEND" {print "retries " $16 ", redispatches " $17}')
echo "haproxy: $requests requests, $failures failed; HAProxy $retries"
check_load
echo "it-haproxy: OK"
