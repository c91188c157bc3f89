#!/usr/bin/env bash
# Real-components proof: nginx (from Debian) as a reverse proxy to the server jar over UNIX domain
# sockets (two instances, keep-alive upstream connections). wrk runs load through nginx while the
# instances are restarted one by one with SIGTERM (graceful drain). Passes if no request failed and
# the application saw the real client through X-Forwarded-For (--forwarded-allow-ips unix).
# Needs cli/target/wsgiserver.jar (bin/test builds it). Bounded: about 25 s; everything it starts is
# killed on exit.
cd "$(dirname "$0")/.."
. scripts/it-common.sh
require_tool nginx nginx

FRONT=$(free_port)
start_backend() {
  start_instance "$1" --bind "unix:$WORK/$1.sock" --unix-socket-mode 666 --forwarded-allow-ips unix \
    --shutdown-timeout 10
}
for s in a b; do start_backend "$s"; done

mkdir -p "$WORK/nginx"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    upstream app {
        server unix:$WORK/a.sock max_fails=0;
        server unix:$WORK/b.sock max_fails=0;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$FRONT;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host:\$server_port;
            # an instance that is stopping refuses connections and closes idle ones: try the other
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
        }
    }
}
CONF
nginx -t -p "$WORK/nginx" -c "$WORK/nginx.conf" > "$WORK/nginx-check.log" 2>&1 || fail "nginx rejects its configuration"
nginx -p "$WORK/nginx" -c "$WORK/nginx.conf" -g 'daemon off;' > "$WORK/nginx.log" 2>&1 &
PIDS+=("$!")
for i in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$FRONT/plaintext" && break; sleep 0.1; done

# The application sees the real client (127.0.0.1) and the scheme through nginx's headers, where a
# UNIX socket peer alone would give an empty REMOTE_ADDR.
environ=$(curl -s --max-time 5 "http://127.0.0.1:$FRONT/environ")
grep -qx "REMOTE_ADDR = 127.0.0.1" <<< "$environ" || fail "REMOTE_ADDR is not the client's: $environ"
grep -qx "SERVER_PORT = $FRONT" <<< "$environ" || fail "SERVER_PORT is not nginx's port: $environ"
grep -qx "SERVER_NAME = 127.0.0.1" <<< "$environ" || fail "SERVER_NAME is not the host asked for: $environ"

start_load "http://127.0.0.1:$FRONT/json" 10
sleep 2
for s in a b; do
  echo "restarting $s (SIGTERM, graceful drain)"
  stop_instance "$s"
  start_backend "$s"
  sleep 1.5
done
finish_load
upstream_errors=$(grep -c "upstream" "$WORK/nginx-error.log" || true)
echo "nginx: $requests requests, $failures failed; nginx logged $upstream_errors upstream errors (retried on the other instance)"
check_load
echo "it-nginx: OK"
