#!/usr/bin/env bash
# Real-components proof: HAProxy (from Debian) in front of three instances of the server jar with
# the PROXY protocol on (v1 to one, v2 to two). wrk runs load through HAProxy while the instances are
# restarted one by one with SIGTERM (graceful drain). Passes if no request failed, and if the
# application saw the real client's address and port through the PROXY protocol. Before the load, a
# second, HTTPS frontend (HAProxy ends TLS with a throwaway self-signed certificate) sends to s2 with
# send-proxy-v2-ssl: the application must see https and the TLS facts HAProxy passes in the PROXY v2
# TLVs (SSL_PROTOCOL, SSL_CIPHER...), while the plain frontend still shows http.
# Needs cli/target/wsgiserver.jar (bin/test builds it), curl and openssl. Bounded: about 30 s;
# everything it starts is killed on exit.
cd "$(dirname "$0")/.."
. scripts/it-common.sh
require_tool haproxy haproxy
require_tool openssl openssl

FRONT=$(free_port); TLS_FRONT=$(free_port); STATS=$(free_port)
declare -A PORT
for s in s1 s2 s3; do PORT[$s]=$(free_port); done

start_backend() { # the demo app; /health/readyz answers health checks (503 while draining), /json carries the load
  start_instance "$1" --bind "127.0.0.1:${PORT[$1]}" --proxy-protocol --health-path /health --shutdown-timeout 10
}
for s in s1 s2 s3; do start_backend "$s"; done

# HAProxy's certificate for the HTTPS frontend: self-signed, for localhost, certificate and key in one PEM.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$WORK/tls-key.pem" -out "$WORK/tls-cert.pem" \
  > "$WORK/openssl.log" 2>&1 || fail "openssl cannot make a self-signed certificate"
cat "$WORK/tls-cert.pem" "$WORK/tls-key.pem" > "$WORK/haproxy.pem"

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
frontend web_tls
    bind 127.0.0.1:$TLS_FRONT ssl crt $WORK/haproxy.pem
    default_backend app_tls
backend app_tls
    # the TLS facts in PROXY v2 TLVs: the version (send-proxy-v2-ssl) and, asked for, the cipher, the
    # certificate's algorithms, the SNI name (authority), and a CRC32C of the header
    server s2 127.0.0.1:${PORT[s2]} send-proxy-v2-ssl proxy-v2-options ssl-cipher,cert-sig,cert-key,authority,crc32c
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
# get_environ URL PORT CURL_ARGS...: GET URL (/environ, `key = value` lines) through HAProxy's
# frontend on PORT into $environ, checking REMOTE_PORT and SERVER_PORT.
get_environ() {
  local url=$1 port=$2; shift 2
  environ=$(curl -s --max-time 5 --fail -w '\nLOCAL_PORT=%{local_port}\n' "$@" "$url") \
    || fail "GET $url through HAProxy failed"
  local local_port
  local_port=$(echo "$environ" | sed -n 's/^LOCAL_PORT=//p')
  grep -qx "REMOTE_PORT = $local_port" <<< "$environ" \
    || fail "REMOTE_PORT is not the client's port $local_port: $environ"
  grep -qx "SERVER_PORT = $port" <<< "$environ" \
    || fail "SERVER_PORT is not HAProxy's port $port: $environ"
}
# Plain HTTP: three requests, one to each instance (round robin), all http and without TLS facts.
for i in 1 2 3; do
  get_environ "http://127.0.0.1:$FRONT/environ" "$FRONT"
  grep -qx "wsgi.url_scheme = http" <<< "$environ" \
    || fail "wsgi.url_scheme is not http through the plain HTTP frontend: $environ"
  ! grep -q "^HTTPS = \|^SSL_" <<< "$environ" \
    || fail "TLS variables through the plain HTTP frontend: $environ"
done
# HTTPS to HAProxy, which ends TLS and tells s2 about it in PROXY v2 TLVs (send-proxy-v2-ssl).
get_environ "https://localhost:$TLS_FRONT/environ" "$TLS_FRONT" \
  --cacert "$WORK/tls-cert.pem" --resolve "localhost:$TLS_FRONT:127.0.0.1" --tlsv1.3
for line in "wsgi.url_scheme = https" "HTTPS = on" "SSL_PROTOCOL = TLSv1.3" "SSL_TLS_SNI = localhost"; do
  grep -qx "$line" <<< "$environ" \
    || fail "no '$line' through the HTTPS frontend (send-proxy-v2-ssl): $environ"
done
for pattern in "SSL_CIPHER = TLS_" "SSL_SERVER_A_KEY = ." "SSL_SERVER_A_SIG = ."; do # TLS_AES_..., EC256, ecdsa-with-SHA256
  grep -q "^$pattern" <<< "$environ" \
    || fail "no '$pattern...' through the HTTPS frontend (send-proxy-v2-ssl): $environ"
done
echo "HTTPS through HAProxy (send-proxy-v2-ssl):" \
  $(grep "^wsgi.url_scheme = \|^HTTPS = \|^SSL_" <<< "$environ" | sort | tr '\n' ';')

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
