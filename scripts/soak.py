#!/usr/bin/env python3
"""Mixed adversarial soak of the CLI server (the demo app), looking for leaked descriptors, threads
or connections, stuck connections, resets where a clean end is promised, and errors in the log.

For each phase it starts one server on 127.0.0.1 (an ephemeral port, --keep-alive-timeout 2,
--max-body-size 1m, --request-head-timeout 4, --handshake-timeout 3, --metrics-path /metrics),
runs all the clients below at once for --duration seconds, stops them, and checks that the server
comes back to its baseline: open descriptors, open connections 0 (the metrics' openConnections,
less the sampling one), no thread left in HttpConnection frames (jcmd Thread.dump_to_file -format
json), and no ERROR / exception in its log. Clients:
  wrk bursts on /plaintext (c64) and POST /echo (/work/shared/bench/lua/echo.lua or --echo-lua);
  idle keep-alive clients that wait for the server's close, never close, or send a request just as
  the keep-alive timeout hits (a response or a clean end is promised, never a reset);
  pipelined requests closed half-way through reading; resets (SO_LINGER 0) mid-request and
  mid-response; slow readers of /bytes?n=10000000; slowloris heads (408) and trickled bodies (200
  or 408 under --min-body-rate); oversized heads (431), bad request lines (400), a huge
  Content-Length (413), each followed by more bytes (the lingering close must end with a FIN);
  in "busy" phases (--max-threads 4 --accept-queue 0) slow POSTs that hold every slot while other
  clients get 503 and keep sending; in "maxconn" phases (--max-connections 150) bursts of
  connections beyond the limit; over TLS, handshakes abandoned midway, clients stalled mid-record
  after a request, and clients that close without close_notify.
After every refusal the client reads the whole response and expects a FIN, not a reset: a reset
there is an anomaly. The report prints per phase baseline / peak / after figures and anomalies;
samples go to OUT/PHASE-samples.csv, the server log to OUT/PHASE-server.log. Exit status 1 on an
anomaly or on a figure that did not come back.

  . bin/jdk.sh && mvn -B -o -q -pl core,cli,jdk-httpserver package -DskipTests
  scripts/soak.py                                   # 4 phases x 200 s
  scripts/soak.py --duration 60 --phases virtual-plain,pool-tls
  scripts/soak.py --phases pool-plain --jar /tmp/old/wsgiserver.jar --out /tmp/soak
Phases: virtual-plain (busy), pool-plain (maxconn), virtual-tls (maxconn), pool-tls (busy); on demand
virtual-plain-maxconn and pool-plain-busy. In virtual mode a slow body or a large write lends its
turn, so there the busy 503s go mostly to wrk (whose socket errors are counted); pool-* busy phases
hold the 4 threads with slow readers and slow POSTs, and the checked clients get 503s.
Needs python3 (stdlib only), wrk, openssl (TLS phases), and a JDK 21+ (java, jcmd) given by
--java (default: $JAVA_HOME/bin/java, else the Temurin 25 in /usr/lib/jvm). Talks to 127.0.0.1 only.
"""
import argparse
import collections
import csv
import json
import os
import random
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

KEEP_ALIVE = 2.0
HEAD_TIMEOUT = 4.0
HANDSHAKE_TIMEOUT = 3.0
MAX_BODY = 1048576
MAX_CONNECTIONS = 150
LINGER = 2.0  # the server drops what a refused client still sends for at most this long
# Known, by design (HttpConnection.refuseOverLimit): a connection over the limit lingers after its
# 503 only within a budget of its own (ConnectionRegistry.lingeringRefusalBudget: 9 at
# --max-connections 150); beyond it, it closes at once, and bytes its client sends after the first
# 64 KiB that had arrived turn the close into a reset, which may destroy the 503. Counted, not an
# anomaly.
OVER_LIMIT_RESET = "%s reset: over the connection limit and its lingering budget? (closed at once, by design)"

PHASES = {
    "virtual-plain": dict(workers="virtual", tls=False, mode="busy"),
    "pool-plain": dict(workers="pool", tls=False, mode="maxconn"),
    "virtual-tls": dict(workers="virtual", tls=True, mode="maxconn"),
    "pool-tls": dict(workers="pool", tls=True, mode="busy"),
    # not run by default: the other limit of each plain phase
    "virtual-plain-maxconn": dict(workers="virtual", tls=False, mode="maxconn"),
    "pool-plain-busy": dict(workers="pool", tls=False, mode="busy"),
}
DEFAULT_PHASES = "virtual-plain,pool-plain,virtual-tls,pool-tls"


class Tally:
    """Thread-safe outcome counters and anomaly examples of one phase."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.bad = collections.Counter()
        self.examples = collections.defaultdict(list)

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def anomaly(self, scenario, detail):
        key = "%s: %s" % (scenario, detail)
        with self.lock:
            self.bad[key] += 1
            if len(self.examples[key]) < 3:
                self.examples[key].append(time.strftime("%H:%M:%S"))


def outcome(error):
    """How a read or write ended, as one word."""
    if isinstance(error, EOFError):
        return "fin"
    if isinstance(error, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(error, ssl.SSLError):
        return "ssl:%s" % (error.reason or error.__class__.__name__)
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(error, OSError):
        return "oserror:%s" % error.errno
    return type(error).__name__


class Malformed(Exception):
    pass


class Conn:
    """One client connection and its unread bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise socket.timeout("deadline")
        self.sock.settimeout(left)
        data = self.sock.recv(262144)
        if not data:
            raise EOFError()
        self.buf += data

    def send(self, data, deadline):
        self.sock.settimeout(max(0.05, deadline - time.time()))
        self.sock.sendall(data)

    def read_head(self, deadline):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Malformed("head too long")
            self.fill(deadline)
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        match = re.match(rb"HTTP/1\.[01] (\d{3}) ", lines[0] + b" ")
        if not match:
            raise Malformed("status line %r" % lines[0][:60])
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise Malformed("header line %r" % line[:60])
            headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
        return int(match.group(1)), headers

    def read_body(self, headers, deadline, keep=True):
        """The body (or its length when keep is false), framed by Content-Length or chunked."""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, total = [], 0
            while True:
                while b"\r\n" not in self.buf:
                    self.fill(deadline)
                size_line, _, self.buf = self.buf.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self.fill(deadline)
                if keep:
                    body.append(self.buf[:size])
                total += size
                self.buf = self.buf[size + 2:]
                if size == 0:
                    return b"".join(body) if keep else total
        if "content-length" not in headers:
            raise Malformed("no framing")
        size = int(headers["content-length"])
        if keep:
            while len(self.buf) < size:
                self.fill(deadline)
            body, self.buf = self.buf[:size], self.buf[size:]
            return body
        total = min(size, len(self.buf))
        self.buf = self.buf[total:]
        while total < size:
            self.fill(deadline)
            take = min(size - total, len(self.buf))
            total += take
            self.buf = self.buf[take:]
        return total

    def read_response(self, deadline):
        status, headers = self.read_head(deadline)
        return status, headers, self.read_body(headers, deadline)

    def read_end(self, deadline):
        """Reads until the server's end: fin, reset, timeout, or data (bytes after the response)."""
        extra = len(self.buf)
        try:
            while True:
                self.fill(deadline)
                extra += len(self.buf)
                self.buf = b""
        except Exception as error:  # noqa: BLE001 - classified
            end = outcome(error)
        return "data+" + end if extra else end

    def reset(self):
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Target:
    """Where the clients connect, and how (plain or TLS)."""

    def __init__(self, port, tls):
        self.port = port
        self.tls = tls
        self.context = None
        if tls:
            self.context = ssl.create_default_context()
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE

    def raw(self, rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def connect(self, rcvbuf=None):
        sock = self.raw(rcvbuf)
        if self.tls:
            sock = self.context.wrap_socket(sock, server_hostname="localhost")
        return Conn(sock)

    def client_hello(self):
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        bio = self.context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        try:
            bio.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()


def request(path, method="GET", headers=(), body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: localhost"] + list(headers)
    if body or method == "POST":
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Soak:
    """The clients of one phase: each scenario runs in a loop on its threads until stop."""

    def __init__(self, target, tally, mode, stop):
        self.target, self.tally, self.mode, self.stop = target, tally, mode, stop
        self.held = []
        self.held_lock = threading.Lock()

    # -- helpers --------------------------------------------------------------------------------

    def refused(self, name, conn, deadline, statuses, status=None, headers=None):
        """Reads a refusal (or takes the one read), expects one of statuses and then a FIN."""
        if status is None:
            try:
                status, headers, _ = conn.read_response(deadline)
            except Exception as error:  # noqa: BLE001
                self.tally.anomaly(name, "no response: %s" % outcome(error))
                return
        if status not in statuses and not (status == 503 and self.mode in ("busy", "maxconn")):
            self.tally.anomaly(name, "status %d" % status)
        end = conn.read_end(deadline)
        self.tally.add("%s %d %s" % (name, status, end))
        if end == "reset" and status == 503 and self.mode == "maxconn":
            self.tally.add(OVER_LIMIT_RESET % name)
        elif end != "fin":
            self.tally.anomaly(name, "%d then %s, not a clean end" % (status, end))

    def served(self, name, conn, status, headers, deadline):
        """A response to a request that should be served: 200, or 503 in the busy or maxconn phase."""
        if status == 200:
            self.tally.add("%s 200" % name)
            return True
        if status == 503 and self.mode in ("busy", "maxconn"):
            self.refused(name + " busy", conn, deadline, (503,), status, headers)
        else:
            self.tally.anomaly(name, "status %d" % status)
        return False

    def connect(self, name, rcvbuf=None):
        try:
            return self.target.connect(rcvbuf)
        except Exception as error:  # noqa: BLE001
            kind = outcome(error)
            if self.mode == "maxconn" and self.target.tls:
                self.tally.add("%s connect %s (over the limit?)" % (name, kind))
            else:
                self.tally.anomaly(name, "connect: %s" % kind)
            return None

    def get_one(self, name, path="/plaintext", rcvbuf=None):
        """A connection that was served one GET, or None."""
        conn = self.connect(name, rcvbuf)
        if conn is None:
            return None
        deadline = time.time() + 10
        try:
            conn.send(request(path), deadline)
            status, headers, _ = conn.read_response(deadline)
        except Exception as error:  # noqa: BLE001
            if self.mode == "maxconn" and self.target.tls and outcome(error) in ("fin", "reset"):
                self.tally.add("%s closed unanswered %s (over the limit?)" % (name, outcome(error)))
            else:
                self.tally.anomaly(name, "first request: %s" % outcome(error))
            conn.close()
            return None
        if not self.served(name, conn, status, headers, deadline):
            conn.close()
            return None
        return conn

    def pause(self, low, high):
        self.stop.wait(random.uniform(low, high))

    # -- scenarios ------------------------------------------------------------------------------

    def idle_until_server_closes(self):
        conn = self.get_one("idle-wait")
        if conn is None:
            return self.pause(0.2, 0.5)
        start = time.time()
        end = conn.read_end(start + KEEP_ALIVE + 8)
        waited = time.time() - start
        conn.close()
        self.tally.add("idle-wait %s" % end)
        if end != "fin":
            self.tally.anomaly("idle-wait", "keep-alive close ended with %s" % end)
        elif waited > KEEP_ALIVE + 3:
            self.tally.anomaly("idle-wait", "closed after %.1f s" % waited)

    def idle_never_close(self):
        with self.held_lock:
            if len(self.held) >= 40:
                return self.pause(1, 2)
        conn = self.get_one("idle-hold")
        if conn is not None:
            with self.held_lock:
                self.held.append(conn)
        self.pause(1, 3)

    def request_at_timeout(self):
        conn = self.get_one("idle-race")
        if conn is None:
            return self.pause(0.2, 0.5)
        time.sleep(KEEP_ALIVE + random.uniform(-0.03, 0.03))
        deadline = time.time() + 10
        try:
            conn.send(request("/plaintext"), deadline)
            status, headers, _ = conn.read_response(deadline)
            self.served("idle-race", conn, status, headers, deadline)
        except Exception as error:  # noqa: BLE001
            end = outcome(error)
            self.tally.add("idle-race unanswered %s" % end)
            if end != "fin":
                self.tally.anomaly("idle-race", "request at the keep-alive timeout met %s" % end)
        conn.close()

    def cut_reading(self, name, data, want, reset):
        """Sends data, reads want bytes of what comes back, then closes (a reset with reset)."""
        conn = self.connect(name)
        if conn is None:
            return self.pause(0.2, 0.5)
        try:
            conn.send(data, time.time() + 10)
            while len(conn.buf) < want:
                conn.fill(time.time() + 10)
            self.tally.add("%s cut" % name)
        except Exception as error:  # noqa: BLE001 - a refusal's clean end, or a reset
            self.tally.add("%s ended early: %s" % (name, outcome(error)))
        conn.reset() if reset else conn.close()
        self.pause(0.1, 0.3)

    def pipeline_half_read(self):
        self.cut_reading("pipeline", b"".join(request(random.choice(["/plaintext", "/json", "/bytes?n=200000"]))
                                              for _ in range(8)), random.randint(0, 800000), reset=False)

    def reset_mid_request(self):
        conn = self.connect("reset-request")
        if conn is None:
            return self.pause(0.2, 0.5)
        try:
            if random.random() < 0.5:
                conn.send(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"
                          + b"a" * random.randint(0, 60000), time.time() + 5)
            else:
                conn.send(b"GET /plaintext HTTP/1.1\r\nHost: loc", time.time() + 5)
            time.sleep(random.uniform(0.01, 0.3))
        except Exception as error:  # noqa: BLE001
            self.tally.add("reset-request send %s" % outcome(error))
        conn.reset()
        self.tally.add("reset-request")
        self.pause(0.1, 0.3)

    def reset_mid_response(self):
        self.cut_reading("reset-response", request("/bytes?n=10000000"), random.randint(10000, 2000000), reset=True)

    def slow_reader(self):
        conn = self.connect("slow-reader", rcvbuf=32768)
        if conn is None:
            return self.pause(0.2, 0.5)
        rate = random.choice([500000, 1000000, 2000000])
        deadline = time.time() + 60
        try:
            conn.send(request("/bytes?n=10000000"), deadline)
            status, headers = conn.read_head(deadline)
            if status != 200:
                conn.read_body(headers, deadline)
                self.served("slow-reader", conn, status, headers, deadline)
                conn.close()
                return
            size, got, start = int(headers["content-length"]), len(conn.buf), time.time()
            conn.buf = b""
            while got < size:
                conn.sock.settimeout(max(0.05, deadline - time.time()))
                piece = conn.sock.recv(min(16384, size - got))
                if not piece:
                    raise EOFError()
                got += len(piece)
                ahead = got / rate - (time.time() - start)
                if ahead > 0:
                    time.sleep(ahead)
            self.tally.add("slow-reader 200 whole")
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("slow-reader", "cut: %s" % outcome(error))
        conn.close()

    @staticmethod
    def answered(conn):
        """Whether the server has sent something (a TLS session ticket alone is not an answer)."""
        if conn.buf:
            return True
        conn.sock.setblocking(False)
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        finally:
            conn.sock.settimeout(10)
        if not data:
            raise EOFError()
        conn.buf += data
        return True

    def trickle_until_answer(self, conn, pieces, interval, deadline):
        """Sends pieces one per interval until the server answers; the answer's status and headers."""
        for piece in pieces:
            if self.answered(conn):
                break
            conn.send(piece, deadline)
            time.sleep(interval)
        return conn.read_head(deadline)

    def slowloris_head(self):
        conn = self.connect("slowloris")
        if conn is None:
            return self.pause(0.2, 0.5)
        deadline = time.time() + HEAD_TIMEOUT + 15
        pieces = [b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n"] + [b"X-Slow-%d: yes\r\n" % i for i in range(60)]
        try:
            status, headers = self.trickle_until_answer(conn, pieces, 0.5, deadline)
            conn.read_body(headers, deadline)
            self.refused("slowloris", conn, deadline, (408,), status, headers)
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("slowloris", "no 408: %s" % outcome(error))
        conn.close()

    def trickled_body(self):
        conn = self.connect("trickle")
        if conn is None:
            return self.pause(0.2, 0.5)
        too_slow = random.random() < 0.5
        piece = b"b" * (20 if too_slow else 300)
        size = 3000
        deadline = time.time() + 40
        try:
            conn.send(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % size, deadline)
            status, headers = self.trickle_until_answer(conn, [piece] * (size // len(piece)), 0.5, deadline)
            body = conn.read_body(headers, deadline)
            if status == 200:
                if body != piece * (size // len(piece)):
                    self.tally.anomaly("trickle", "echo differs (%d bytes)" % len(body))
                self.tally.add("trickle 200 (%s)" % ("too slow!" if too_slow else "fast enough"))
                if too_slow:
                    self.tally.anomaly("trickle", "40 B/s body served")
            elif status == 408 and too_slow:
                self.refused("trickle", conn, deadline, (408,), status, headers)
            else:
                self.served("trickle", conn, status, headers, deadline)
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("trickle", "%s: %s" % ("too slow" if too_slow else "fast", outcome(error)))
        conn.close()

    def refusal(self, name, data, statuses):
        """Sends data (a request the server refuses, often with more bytes after it), then expects
        the whole refusal and a clean end."""
        conn = self.connect(name)
        if conn is None:
            return self.pause(0.2, 0.5)
        deadline = time.time() + 10
        try:
            conn.send(data, deadline)
            self.refused(name, conn, deadline, statuses)
        except Exception as error:  # noqa: BLE001
            if outcome(error) == "reset" and self.mode == "maxconn":
                self.tally.add(OVER_LIMIT_RESET % name)
            else:
                self.tally.anomaly(name, "send: %s" % outcome(error))
        conn.close()
        self.pause(0.1, 0.5)

    def oversized_head(self):
        self.refusal("big-head", b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n" + b"".join(
            b"X-Big-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40)) + b"\r\n", (431,))

    BAD_REQUESTS = [
        b"GET / HTTP/1.1 extra\r\nHost: localhost\r\n\r\n",
        b"G@T / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /a\x01b HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET / HTTP/1.1\nHost: localhost\n\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
        b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
        + b"z" * 200000,
        b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"z" * 100000,
    ]

    def bad_request(self):
        self.refusal("bad-request", random.choice(self.BAD_REQUESTS), (400,))

    def huge_body(self):
        if random.random() < 0.5:
            data = (b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000000\r\n\r\n"
                    + b"h" * random.randint(0, 1000000))
        else:
            data = (b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + b"%x\r\n%s\r\n" % (65536, b"h" * 65536) * 20)
        self.refusal("huge-body", data, (413,))

    def busy_hold(self):
        """A slow POST (about 4 s) that holds a worker or a slot."""
        conn = self.connect("busy-hold")
        if conn is None:
            return self.pause(0.2, 0.5)
        deadline = time.time() + 30
        try:
            conn.send(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n", deadline)
            status, headers = self.trickle_until_answer(conn, [b"s" * 250] * 8, 0.5, deadline)
            body = conn.read_body(headers, deadline)
            if status == 200 and len(body) != 2000:
                self.tally.anomaly("busy-hold", "echo of %d bytes" % len(body))
            self.served("busy-hold", conn, status, headers, deadline)
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("busy-hold", outcome(error))
        conn.close()

    def busy_sender(self):
        """Six POSTs at once on six connections, heads first, then each body whole and more: the
        ones over the limit get 503 while their client is still sending."""
        conns = [conn for conn in (self.connect("busy-send") for _ in range(6)) if conn is not None]
        deadline = time.time() + 20
        sizes = [random.choice([1000, 100000, 300000]) for _ in conns]
        try:
            for conn, size in zip(conns, sizes):
                conn.send(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % size, deadline)
            for conn, size in zip(conns, sizes):
                conn.send(b"q" * size, deadline)
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("busy-send", "send: %s" % outcome(error))
        for conn, size in zip(conns, sizes):
            try:
                status, headers, body = conn.read_response(deadline)
                if status == 200 and len(body) != size:
                    self.tally.anomaly("busy-send", "echo of %d bytes, not %d" % (len(body), size))
                self.served("busy-send", conn, status, headers, deadline)
            except Exception as error:  # noqa: BLE001
                self.tally.anomaly("busy-send", outcome(error))
            conn.close()
        self.pause(0.05, 0.2)

    def over_limit(self):
        """Opens 170 connections, sends a request on each (over TLS right after its handshake: the
        170 handshakes may take longer than the keep-alive timeout, which closes a connection still
        waiting for its first request), then reads each answer: 200, or the over-limit 503 then a
        clean end (over TLS: closed unanswered)."""
        conns = []
        deadline = time.time() + 20
        for _ in range(170):
            try:
                sock = self.target.raw()
                if self.target.tls:
                    sock = self.target.context.wrap_socket(sock, server_hostname="localhost")
                conns.append(Conn(sock))
            except Exception as error:  # noqa: BLE001
                kind = outcome(error)
                if self.target.tls:
                    self.tally.add("over-limit TLS closed unanswered: %s" % kind)
                else:
                    self.tally.anomaly("over-limit", "connect: %s" % kind)
                continue
            if self.target.tls:
                self.send_over_limit(conns[-1], deadline)
        if not self.target.tls:
            for conn in conns:
                self.send_over_limit(conn, deadline)
        deadline = time.time() + 20
        for conn in conns:
            try:
                status, headers, _ = conn.read_response(deadline)
                if status == 200:
                    self.tally.add("over-limit 200")
                else:
                    self.refused("over-limit", conn, deadline, (503,), status, headers)
            except Exception as error:  # noqa: BLE001
                self.tally.anomaly("over-limit", "no answer: %s" % outcome(error))
            conn.close()
        self.pause(8, 12)

    def send_over_limit(self, conn, deadline):
        try:
            conn.send(request("/plaintext"), deadline)
        except Exception as error:  # noqa: BLE001
            self.tally.add("over-limit send %s" % outcome(error))

    def tls_abandon_handshake(self):
        try:
            sock = self.target.raw()
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("tls-abandon", "connect: %s" % outcome(error))
            return self.pause(0.2, 0.5)
        conn = Conn(sock)
        how = random.choice(["close", "reset", "stall-before", "stall-after", "half-hello"])
        try:
            hello = self.target.client_hello()
            if how == "half-hello":
                conn.send(hello[:len(hello) // 2], time.time() + 5)
            elif how != "stall-before":
                conn.send(hello, time.time() + 5)
                conn.fill(time.time() + 5)  # some of the server's flight
            if how == "close":
                conn.close()
            elif how == "reset":
                conn.reset()
            else:
                start = time.time()
                end = conn.read_end(start + HANDSHAKE_TIMEOUT + 8)
                waited = time.time() - start
                self.tally.add("tls-abandon %s %s" % (how, end.replace("data+", "")))
                if end.endswith("timeout"):
                    self.tally.anomaly("tls-abandon", "%s: not closed after %.1f s" % (how, waited))
                conn.close()
                return
            self.tally.add("tls-abandon %s" % how)
        except Exception as error:  # noqa: BLE001
            self.tally.add("tls-abandon %s %s" % (how, outcome(error)))
            conn.close()
        self.pause(0.1, 0.5)

    def tls_stall_mid_record(self):
        conn = self.get_one("tls-stall")
        if conn is None:
            return self.pause(0.2, 0.5)
        how = random.choice(["record-header", "half-request"])
        try:
            if how == "record-header":
                os.write(conn.sock.fileno(), b"\x17\x03\x03")
            else:
                conn.send(b"GET /plaintext HTTP/1.1\r\nHost: loc", time.time() + 5)
            start = time.time()
            end = conn.read_end(start + HEAD_TIMEOUT + 10)
            waited = time.time() - start
            self.tally.add("tls-stall %s %s" % (how, end))
            if end.endswith("timeout"):
                self.tally.anomaly("tls-stall", "%s: not closed after %.1f s" % (how, waited))
            elif how == "record-header" and end != "fin":
                # the stall came after a served request: the close is the begun record's at the head
                # timeout, a half-close as the keep-alive one is, promised clean
                self.tally.anomaly("tls-stall", "%s: ended with %s" % (how, end))
        except Exception as error:  # noqa: BLE001
            self.tally.anomaly("tls-stall", outcome(error))
        conn.close()

    def tls_no_close_notify(self):
        conn = self.get_one("tls-close")
        if conn is None:
            return self.pause(0.2, 0.5)
        if random.random() < 0.5:
            conn.close()  # Python's close sends no close_notify
            self.tally.add("tls-close without close_notify")
        else:
            try:
                conn.sock.settimeout(5)
                conn.sock.unwrap().close()
                self.tally.add("tls-close with close_notify")
            except Exception as error:  # noqa: BLE001
                self.tally.add("tls-close unwrap %s" % outcome(error))
                conn.close()
        self.pause(0.05, 0.3)

    def scenarios(self):
        """(scenario, threads) of this phase."""
        plan = [(self.idle_until_server_closes, 4), (self.idle_never_close, 2), (self.request_at_timeout, 4),
                (self.pipeline_half_read, 2), (self.reset_mid_request, 2), (self.reset_mid_response, 2),
                (self.slow_reader, 3), (self.slowloris_head, 4), (self.trickled_body, 4),
                (self.oversized_head, 1), (self.bad_request, 2), (self.huge_body, 2)]
        if self.mode == "busy":
            plan += [(self.busy_hold, 8), (self.busy_sender, 3)]
        if self.mode == "maxconn":
            plan += [(self.over_limit, 1)]
        if self.target.tls:
            plan += [(self.tls_abandon_handshake, 2), (self.tls_stall_mid_record, 2), (self.tls_no_close_notify, 2)]
        return plan

    def run_loop(self, scenario):
        while not self.stop.is_set():
            try:
                scenario()
            except Exception as error:  # noqa: BLE001 - a client bug must not end the soak
                self.tally.anomaly(scenario.__name__, "client error %r" % error)
                self.pause(0.5, 1)

    def close_held(self):
        with self.held_lock:
            for conn in self.held:
                conn.close()
            count = len(self.held)
            self.held.clear()
        return count


def run_wrk_bursts(port, tls, echo_lua, stop, tally):
    scheme = "https" if tls else "http"
    while not stop.is_set():
        for args in (["-c64", "%s://127.0.0.1:%d/plaintext" % (scheme, port)],
                     ["-c16", "-s", echo_lua, "%s://127.0.0.1:%d/echo" % (scheme, port), "--", "65536"]):
            if stop.is_set():
                return
            out = subprocess.run(["wrk", "-t1", "-d8s", "--timeout", "10s"] + args,
                                 capture_output=True, text=True).stdout
            name = "wrk " + ("echo" if "-s" in args else "plaintext")
            match = re.search(r"(\d+) requests in", out)
            tally.add(name + " requests", int(match.group(1)) if match else 0)
            match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            if match:
                tally.add(name + " non-2xx", int(match.group(1)))
            match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
            if match:
                for label, value in zip(("connect", "read", "write", "timeout"), match.groups()):
                    tally.add("%s socket errors %s" % (name, label), int(value))
            stop.wait(3)


class Sampler:
    """Samples the server's descriptors, threads, RSS and statistics every interval seconds."""

    FIELDS = ["t", "fds", "threads", "rss_mb", "open", "requests", "busy503", "refused", "socketErrors",
              "tlsFailures", "tlsTimeouts", "busyWorkers", "queued"]

    def __init__(self, pid, target, path):
        self.pid, self.target = pid, target
        self.rows = []
        self.out = open(path, "w", newline="")
        self.writer = csv.DictWriter(self.out, self.FIELDS)
        self.writer.writeheader()
        self.start = time.time()

    def metrics(self):
        for _ in range(10):
            try:
                conn = self.target.connect()
                deadline = time.time() + 5
                conn.send(request("/metrics/json", headers=["Connection: close"]), deadline)
                status, _, body = conn.read_response(deadline)
                conn.close()
                if status == 200:
                    return json.loads(body)
            except Exception:  # noqa: BLE001 - refused while busy or over the limit: try again
                pass
            time.sleep(0.3)
        return None

    def sample(self, label=""):
        row = {"t": "%.1f%s" % (time.time() - self.start, label)}
        try:
            row["fds"] = len(os.listdir("/proc/%d/fd" % self.pid))
            status = open("/proc/%d/status" % self.pid).read()
            row["threads"] = int(re.search(r"Threads:\s+(\d+)", status).group(1))
            row["rss_mb"] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024
        except (OSError, AttributeError):
            return None
        stats = self.metrics()
        if stats:
            row.update({"open": stats["openConnections"] - 1, "requests": stats["requests"],
                        "busy503": stats["busyRefusals"], "refused": stats["refusedConnections"],
                        "socketErrors": stats["socketErrors"], "tlsFailures": stats["tlsHandshakeFailures"],
                        "tlsTimeouts": stats["tlsHandshakeTimeouts"], "busyWorkers": stats["busyWorkers"],
                        "queued": stats["queued"]})
        self.rows.append(row)
        self.writer.writerow(row)
        self.out.flush()
        return row

    def loop(self, stop, interval):
        while not stop.wait(interval):
            self.sample()


def descriptor_kinds(pid):
    """The server's open descriptors by kind: socket, pipe, anon_inode:[eventpoll], a file path..."""
    kinds = collections.Counter()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        kinds[re.sub(r"\[\d+\]$", "", link)] += 1
    return kinds


def peak(rows, field):
    values = [row[field] for row in rows if row.get(field) is not None]
    return max(values) if values else None


def make_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return cert, key


def start_server(options, phase, log_path, certs):
    spec = PHASES[phase]
    command = [options.java, "-jar", options.jar, "--bind", "127.0.0.1:0", "--workers", spec["workers"],
               "--keep-alive-timeout", str(int(KEEP_ALIVE)), "--max-body-size", str(MAX_BODY),
               "--request-head-timeout", str(int(HEAD_TIMEOUT)), "--handshake-timeout", str(int(HANDSHAKE_TIMEOUT)),
               "--metrics-path", "/metrics"]
    if spec["workers"] == "pool":
        command += ["--thread-idle-timeout", "3"]  # so that the threads come back to the baseline
    if spec["mode"] == "busy":
        command += ["--max-threads", "4", "--accept-queue", "0"]
    if spec["mode"] == "maxconn":
        command += ["--max-connections", str(MAX_CONNECTIONS)]
    if spec["tls"]:
        command += ["--ssl-certificate", certs[0], "--ssl-private-key", certs[1]]
    log = open(log_path, "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        time.sleep(0.2)
        match = re.search(r"serving on https?://127\.0\.0\.1:(\d+)", open(log_path).read())
        if match:
            return server, int(match.group(1)), command
        if server.poll() is not None:
            break
    server.kill()
    raise SystemExit("the server did not start: see %s" % log_path)


def threads_in_connections(options, pid, path):
    """Threads (virtual ones included) with an HttpConnection frame, from a JSON thread dump."""
    if os.path.exists(path):
        os.remove(path)
    subprocess.run([options.jcmd, str(pid), "Thread.dump_to_file", "-format=json", path],
                   capture_output=True, timeout=60)
    try:
        dump = json.load(open(path))
    except (OSError, ValueError):
        return None, []
    found = []
    for container in dump["threadDump"]["threadContainers"]:
        for thread in container.get("threads", []):
            frames = thread.get("stack", [])
            if any("HttpConnection" in frame for frame in frames):
                found.append("%s %s: %s" % (thread.get("tid"), thread.get("name") or "virtual",
                                            " < ".join(frames[:4])))
    return len(found), found


def heap_used_after_gc(options, pid):
    """Live heap in MB after a full collection (jcmd GC.run, then GC.heap_info's first "used")."""
    try:
        subprocess.run([options.jcmd, str(pid), "GC.run"], capture_output=True, timeout=60)
        info = subprocess.run([options.jcmd, str(pid), "GC.heap_info"], capture_output=True, text=True,
                              timeout=60).stdout
    except subprocess.TimeoutExpired:
        return None
    match = re.search(r"used (\d+)K", info)
    return int(match.group(1)) // 1024 if match else None


def log_problems(path):
    problems = []
    for line in open(path, errors="replace"):
        if re.search(r"\b(ERROR|SEVERE|Exception|Error:)\b|^\s+at ", line):
            problems.append(line.rstrip())
    return problems


def run_phase(options, phase, certs):
    spec = PHASES[phase]
    log_path = os.path.join(options.out, phase + "-server.log")
    server, port, command = start_server(options, phase, log_path, certs)
    target = Target(port, spec["tls"])
    tally = Tally()
    print("\n== %s: %s" % (phase, " ".join(command[3:])), flush=True)
    sampler = Sampler(server.pid, target, os.path.join(options.out, phase + "-samples.csv"))
    time.sleep(1)
    baseline_heap = heap_used_after_gc(options, server.pid)  # first: jcmd's attach listener stays (a socket, a thread)
    baseline_kinds = descriptor_kinds(server.pid)  # before the sample's own connection
    baseline = sampler.sample(" baseline")
    print("baseline", baseline, flush=True)

    stop, sampling = threading.Event(), threading.Event()
    soak = Soak(target, tally, spec["mode"], stop)
    workers = [threading.Thread(target=run_wrk_bursts, args=(port, spec["tls"], options.echo_lua, stop, tally))]
    for scenario, count in soak.scenarios():
        workers += [threading.Thread(target=soak.run_loop, args=(scenario,), name=scenario.__name__)
                    for _ in range(count)]
    for worker in workers:
        worker.daemon = True
        worker.start()
    sample_thread = threading.Thread(target=sampler.loop, args=(sampling, options.interval), daemon=True)
    sample_thread.start()
    time.sleep(options.duration)
    stop.set()
    print("stopping clients...", flush=True)
    for worker in workers:
        worker.join(90)
    stuck = [worker.name for worker in workers if worker.is_alive()]
    sampling.set()
    sample_thread.join()
    load_rows = list(sampler.rows)

    # The held idle clients never closed: the server must have let go of them all the same.
    time.sleep(KEEP_ALIVE + LINGER + 1)
    with_held = sampler.sample(" held-open")
    held = soak.close_held()
    time.sleep(3)
    after = None
    for _ in range(5):
        after = sampler.sample(" after")
        if after and after.get("open") == 0 and after["fds"] <= baseline["fds"] \
                and after["threads"] <= baseline["threads"]:
            break
        time.sleep(2)
    time.sleep(1)  # the last sample's own connection closed
    after_kinds = descriptor_kinds(server.pid)
    after_heap = heap_used_after_gc(options, server.pid)
    in_connections, which = threads_in_connections(options, server.pid, os.path.join(options.out, phase + "-threads.json"))

    server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        tally.anomaly("server", "did not stop on SIGTERM within 30 s")
    problems = log_problems(log_path)

    def fig(field, unit=""):
        return "%s / %s / %s%s" % (baseline.get(field), peak(load_rows, field), after.get(field) if after else None,
                                  unit)

    print("figures (baseline / peak / after):")
    for field, unit in (("fds", ""), ("threads", ""), ("rss_mb", " MB"), ("open", "")):
        print("  %-8s %s" % (field, fig(field, unit)))
    print("  live heap after a full GC: %s MB at the baseline, %s MB after" % (baseline_heap, after_heap))
    print("  with %d never-closing clients still open: fds %s, open %s" % (
        held, with_held and with_held.get("fds"), with_held and with_held.get("open")))
    if after:
        print("  served: requests %s, busy 503 %s, over-limit %s, socketErrors %s, TLS failures %s, TLS timeouts %s"
              % (after.get("requests"), after.get("busy503"), after.get("refused"), after.get("socketErrors"),
                 after.get("tlsFailures"), after.get("tlsTimeouts")))
    if after_kinds != baseline_kinds:
        print("  descriptors after, more than at the baseline: %s" % dict(after_kinds - baseline_kinds))
    print("  threads in HttpConnection frames after: %s" % in_connections)
    for line in which[:10]:
        print("    " + line)
    print("outcomes:")
    for key, value in sorted(tally.counts.items()):
        print("  %7d  %s" % (value, key))
    failed = False
    if after is None or after.get("open") != 0:
        tally.anomaly("server", "open connections after: %s" % (after and after.get("open")))
    if (after_kinds - baseline_kinds)["socket:"]:
        tally.anomaly("server", "%d sockets more after than at the baseline" % (after_kinds - baseline_kinds)["socket:"])
    if with_held and with_held.get("open") not in (0, None):
        tally.anomaly("server", "%s connections open while the never-closing clients were held" % with_held["open"])
    if in_connections:
        tally.anomaly("server", "%d threads still in HttpConnection" % in_connections)
    if stuck:
        tally.anomaly("client", "threads still running: %s" % stuck)
    for line in problems[:20]:
        print("  LOG: " + line)
    if problems:
        tally.anomaly("server", "%d log lines with ERROR/exception" % len(problems))
    print("anomalies:" if tally.bad else "anomalies: none")
    for key, value in sorted(tally.bad.items()):
        print("  %5d  %s  (at %s)" % (value, key, ", ".join(tally.examples[key])))
        failed = True
    sys.stdout.flush()
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    default_java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") \
        else "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
    parser.add_argument("--phases", default=DEFAULT_PHASES, help="of: %s" % ", ".join(PHASES))
    parser.add_argument("--duration", type=float, default=200, help="seconds of load per phase")
    parser.add_argument("--interval", type=float, default=3, help="seconds between samples")
    parser.add_argument("--jar", default=os.path.join(here, "..", "cli", "target", "wsgiserver.jar"))
    parser.add_argument("--java", default=default_java)
    parser.add_argument("--echo-lua", default="/work/shared/bench/lua/echo.lua")
    parser.add_argument("--out", default=None, help="directory for samples, logs and dumps")
    options = parser.parse_args()
    options.jcmd = os.path.join(os.path.dirname(options.java), "jcmd")
    options.out = options.out or tempfile.mkdtemp(prefix="soak-")
    os.makedirs(options.out, exist_ok=True)
    print("output in", options.out)
    certs = make_certificate(options.out)
    results = {phase: run_phase(options, phase, certs) for phase in options.phases.split(",")}
    print("\n" + ", ".join("%s: %s" % (phase, "ok" if ok else "ANOMALIES") for phase, ok in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
