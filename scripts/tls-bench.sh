#!/usr/bin/env bash
# TLS benchmark: our server (the CLI's demo app) against Jetty 12 with TLS, on the same machine, the
# same key store (EC P-256 by default; KEYALG=RSA for RSA 2048), back to back, ROUNDS times.
#   keep-alive: wrk, GET /plaintext over https, CONNS connections, one thread
#   handshakes: wrk with "Connection: close" (a new TCP connection and full handshake per request),
#               and openssl s_time -new (sequential full handshakes, one client)
# Servers run pinned to CPU 0, clients to CPU 1 (as /work/shared/bench does). Needs wrk, openssl,
# taskset, Maven with Jetty in its repository (the bench peers' pom), and a JDK 21+.
# CONSCRYPT_JAR=path/to/conscrypt-openjdk-uber.jar adds our server on Conscrypt (BoringSSL) as a third
# contender (--ssl-provider org.conscrypt.OpenSSLProvider).
# Usage: scripts/tls-bench.sh            (DURATION=10 WARMUP=3 ROUNDS=2 CONNS=64 HS_CONNS=16 KEYALG=EC)
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/jdk.sh
DURATION=${DURATION:-10}; WARMUP=${WARMUP:-3}; ROUNDS=${ROUNDS:-2}; CONNS=${CONNS:-64}; HS_CONNS=${HS_CONNS:-16}
KEYALG=${KEYALG:-EC}; BENCH=${BENCH:-/work/shared/bench}; PORT=${PORT:-18443}
JVM_OPTS=${JVM_OPTS:--Xmx1g}
WORK=$(mktemp -d /tmp/tls-bench.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

[ -f cli/target/wsgiserver.jar ] || mvn -B -q -o -DskipTests package
PW=benchpass; echo "$PW" > "$WORK/pw"
if [ "$KEYALG" = RSA ]; then KEYOPTS=(-keyalg RSA -keysize 2048); else KEYOPTS=(-keyalg EC -groupname secp256r1); fi
keytool -genkeypair -alias server "${KEYOPTS[@]}" -dname CN=localhost -ext SAN=dns:localhost,ip:127.0.0.1 \
  -validity 7 -keystore "$WORK/server.p12" -storetype PKCS12 -storepass "$PW" >/dev/null 2>&1
mvn -B -q -o -f "$BENCH/peers/jetty/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/jetty.cp" >/dev/null
JETTY_CP=$(cat "$WORK/jetty.cp")

start() { # NAME: starts the server on $PORT and waits until it answers
  case "$1" in
    wsgiserver) taskset -c 0 java $JVM_OPTS -jar cli/target/wsgiserver.jar --bind "127.0.0.1:$PORT" \
                  --ssl-keystore "$WORK/server.p12" --ssl-keystore-password-file "$WORK/pw" >"$WORK/$1.log" 2>&1 & ;;
    wsgi-conscrypt) taskset -c 0 java $JVM_OPTS --enable-native-access=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
                  -cp "cli/target/wsgiserver.jar:$CONSCRYPT_JAR" org.minipylib.wsgiserver.cli.Main --bind "127.0.0.1:$PORT" \
                  --ssl-keystore "$WORK/server.p12" --ssl-keystore-password-file "$WORK/pw" \
                  --ssl-provider org.conscrypt.OpenSSLProvider >"$WORK/$1.log" 2>&1 & ;;
    jetty)      taskset -c 0 java $JVM_OPTS -cp "$JETTY_CP" scripts/tls-bench/JettyTlsServer.java "$PORT" \
                  "$WORK/server.p12" "$PW" >"$WORK/$1.log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sk --max-time 2 -o /dev/null "https://127.0.0.1:$PORT/plaintext" && return 0
    sleep 0.2
  done
  echo "$1 did not start:"; cat "$WORK/$1.log"; exit 1
}
stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
rps() { awk '/Requests\/sec/ {print $2}'; }
requests() { awk '/requests in/ {print $1}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
# Requests per second of server CPU time: stays comparable when other work on the machine takes CPU.
per_cpu() { awk -v n="$1" -v t="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (t > 0) printf "%d", n / (t / hz); else print "?" }'; }
# wrk with the server's CPU time measured around it: prints wrk's output, then "CPU_TICKS n"
measure() { local before after out; before=$(cpu_ticks); out=$(taskset -c 1 wrk "$@"); after=$(cpu_ticks)
            printf '%s\nCPU_TICKS %s\n' "$out" "$((after - before))"; }
ticks() { awk '/^CPU_TICKS/ {print $2}'; }
errs() { awk '/Socket errors|Non-2xx/ {printf "%s ", $0}'; }

URL="https://127.0.0.1:$PORT/plaintext"
printf '%-6s %-11s %13s %13s %13s %13s %13s  %s\n' round server keepalive_rps ka_req/cpu_s close_rps close_req/cpu_s s_time_conn/s errors
for round in $(seq 1 "$ROUNDS"); do
  SERVERS="wsgiserver jetty"; [ -n "${CONSCRYPT_JAR:-}" ] && SERVERS="wsgiserver wsgi-conscrypt jetty"
  for server in $SERVERS; do
    start "$server"
    taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$URL" >/dev/null 2>&1 || true
    ka=$(measure -t1 -c"$CONNS" -d"${DURATION}s" "$URL")
    cl=$(measure -t1 -c"$HS_CONNS" -d"${DURATION}s" -H 'Connection: close' "$URL")
    st=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$PORT" -new -time "$DURATION" 2>/dev/null \
         | awk '/real seconds/ {printf "%d", $1 / $4}' | head -1)
    printf '%-6s %-11s %13s %13s %13s %13s %13s  %s\n' "$round" "$server" "$(rps <<<"$ka")" \
      "$(per_cpu "$(requests <<<"$ka")" "$(ticks <<<"$ka")")" "$(rps <<<"$cl")" \
      "$(per_cpu "$(requests <<<"$cl")" "$(ticks <<<"$cl")")" "${st:-?}" "$(errs <<<"$ka$cl")"
    stop
  done
done
