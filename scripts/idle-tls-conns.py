#!/usr/bin/env python3
"""Opens --count TLS keep-alive connections to 127.0.0.1:PORT, each served one GET /plaintext, then
holds them idle for --hold-max seconds (certificates not checked). Prints READY when all are open,
for scripts/idle-memory.sh TLS=1; takes the arguments of its plain-HTTP twin, the bench harness's
tools/idle_conns.py. With --partial-record each then sends the first 3 bytes of a TLS record header
and stalls (a client that stops mid-record)."""
import argparse
import os
import socket
import ssl
import time

arguments = argparse.ArgumentParser()
arguments.add_argument("port", type=int)
arguments.add_argument("--count", type=int, default=5000)
arguments.add_argument("--hold-max", type=float, default=120)
arguments.add_argument("--partial-record", action="store_true")
options = arguments.parse_args()
port, count, hold = options.port, options.count, options.hold_max
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
held, failed, start = [], 0, time.time()
for _ in range(count):
    try:
        tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
        tls.sendall(b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while b"Hello, World!" not in answer:
            piece = tls.recv(4096)
            if not piece:
                raise ConnectionError("closed by the server")
            answer += piece
        if options.partial_record:
            os.write(tls.fileno(), b"\x17\x03\x03")  # raw, past the TLS layer: the record never completes
        held.append(tls)
    except (OSError, ConnectionError):
        failed += 1
print("READY opened=%d failed=%d seconds=%.1f" % (len(held), failed, time.time() - start), flush=True)
time.sleep(hold)
print("DONE", flush=True)
