#!/usr/bin/python3
"""Differential test of response framing: the same application behaviours on Cheroot and on wsgiserver.

The sibling of diff-cheroot.py (whose machinery starts the two servers: Cheroot 9 in this process,
the wsgiserver CLI in a child JVM with a WsgiApp compiled at run time, both on 127.0.0.1 with
ephemeral ports). Each server runs one application that dispatches on PATH_INFO to a behaviour,
written twice: in Python below (BEHAVIOURS) and in Java (RESPONSE_APP_JAVA), alike line by line. A
case sends one raw request on a fresh connection, reads the response as its framing says
(Content-Length, chunked, else to the close; nothing after a HEAD, 204 or 304 head), then sends a
second request on the same connection to see whether it stays open. What is compared: an interim
100 Continue, the status line, the header fields (names and values, Date and Server left out),
the framing, the body bytes, bytes beyond the framing, and the connection afterwards ("open",
"closed", "reset", or "silent" when neither answer nor close came within the timeout).

Usage (Debian's python, which has cheroot 9; not the pyenv python3):
  . bin/jdk.sh && mvn -B -o -q -pl core,cli,jdk-httpserver package -DskipTests
  /usr/bin/python3 scripts/diff-cheroot-responses.py              # every case, differences only
  /usr/bin/python3 scripts/diff-cheroot-responses.py -v           # also the equal cases
  /usr/bin/python3 scripts/diff-cheroot-responses.py --case gen   # cases whose name contains "gen"
  /usr/bin/python3 scripts/diff-cheroot-responses.py --list       # the case names and their requests
Options --java, --javac, --jar, --classes as for diff-cheroot.py. Talks to 127.0.0.1 only; both
servers are stopped on exit. Exit status 0 whatever differs (this is a report), 1 if a server could
not be started.
"""
import argparse
import hashlib
import importlib.util
import os
import re
import socket
import sys
import tempfile
import time

_spec = importlib.util.spec_from_file_location(
    "diff_cheroot", os.path.join(os.path.dirname(os.path.abspath(__file__)), "diff-cheroot.py"))
diff_cheroot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(diff_cheroot)

MIB = bytes(ord("a") + i % 26 for i in range(1 << 20))
TIMEOUT = 2.0
IGNORED_HEADERS = {"date", "server"}

RESPONSE_APP_JAVA = r"""
import org.minipylib.wsgiserver.BodyWriter;
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The behaviours of scripts/diff-cheroot-responses.py, chosen by PATH_INFO (the Python twin is BEHAVIOURS there). */
public final class ResponseCases implements WsgiApp {
    private static final byte[] MIB = new byte[1 << 20];
    static {
        for (int i = 0; i < MIB.length; i++) MIB[i] = (byte) ('a' + i % 26);
    }
    private static final String CT = "Content-Type";
    private static final String TEXT = "text/plain";

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<Header> h(String... namesAndValues) {
        List<Header> headers = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) headers.add(Header.of(namesAndValues[i], namesAndValues[i + 1]));
        return headers;
    }

    /** A streamed body (not a Collection): PEP 3333's generator. */
    private static Iterable<byte[]> gen(byte[]... chunks) {
        List<byte[]> list = List.of(chunks);
        return () -> list.iterator();
    }

    private static Iterable<byte[]> failingAfter(byte[] first) {
        return () -> new Iterator<>() {
            private boolean given;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public byte[] next() {
                if (given) throw new IllegalStateException("failure after the first chunk");
                given = true;
                return first;
            }
        };
    }

    @Override
    public Iterable<byte[]> call(Environ env, StartResponse sr) throws Exception {
        switch (env.pathInfo()) {
            case "/ok": sr.start("200 OK", h(CT, TEXT)); return List.of(b("ok"));
            case "/list-cl": sr.start("200 OK", h(CT, TEXT, "Content-Length", "11")); return List.of(b("hello "), b("world"));
            case "/list": sr.start("200 OK", h(CT, TEXT)); return List.of(b("hello "), b("world"));
            case "/empty-list": sr.start("200 OK", h(CT, TEXT)); return List.of();
            case "/empty-chunk": sr.start("200 OK", h(CT, TEXT)); return gen(new byte[0]);
            case "/gen": sr.start("200 OK", h(CT, TEXT)); return gen(b("one "), b("two "), b("three"));
            case "/gen-cl": sr.start("200 OK", h(CT, TEXT, "Content-Length", "13")); return gen(b("one "), b("two "), b("three"));
            case "/write-list": {
                BodyWriter w = sr.start("200 OK", h(CT, TEXT));
                w.write(b("written "));
                return List.of(b("returned"));
            }
            case "/write-gen": {
                BodyWriter w = sr.start("200 OK", h(CT, TEXT));
                w.write(b("written "));
                return gen(b("one "), b("two"));
            }
            case "/short-cl": sr.start("200 OK", h(CT, TEXT, "Content-Length", "10")); return List.of(b("12345"));
            case "/long-cl": sr.start("200 OK", h(CT, TEXT, "Content-Length", "3")); return List.of(b("1234567890"));
            case "/long-cl-gen": sr.start("200 OK", h(CT, TEXT, "Content-Length", "3")); return gen(b("12"), b("34567890"));
            case "/204": sr.start("204 No Content", h()); return List.of(b("not sent"));
            case "/204-gen": sr.start("204 No Content", h()); return gen(b("not "), b("sent"));
            case "/304": sr.start("304 Not Modified", h("ETag", "\"v1\"")); return List.of(b("not sent"));
            case "/twice": sr.start("200 OK", h(CT, TEXT)); sr.start("201 Created", h(CT, TEXT)); return List.of(b("second"));
            case "/exc-info": {
                sr.start("200 OK", h(CT, TEXT));
                try {
                    throw new IllegalStateException("application error");
                } catch (IllegalStateException e) {
                    sr.start("503 Service Unavailable", h(CT, TEXT), e);
                }
                return List.of(b("error page"));
            }
            case "/exc-info-after-sent": {
                BodyWriter w = sr.start("200 OK", h(CT, TEXT));
                w.write(b("partial "));
                try {
                    throw new IllegalStateException("application error");
                } catch (IllegalStateException e) {
                    sr.start("503 Service Unavailable", h(CT, TEXT), e);
                }
                return List.of(b("error page"));
            }
            case "/raise-before": throw new IllegalStateException("failure before start_response");
            case "/raise-after": sr.start("200 OK", h(CT, TEXT)); return failingAfter(b("first chunk"));
            case "/no-start": return List.of(b("body without start_response"));
            case "/app-close": sr.start("200 OK", h(CT, TEXT, "Connection", "close")); return List.of(b("bye"));
            case "/app-keep-alive": sr.start("200 OK", h(CT, TEXT, "Connection", "keep-alive")); return List.of(b("stay"));
            case "/app-te": sr.start("200 OK", h(CT, TEXT, "Transfer-Encoding", "chunked")); return gen(b("one "), b("two"));
            case "/app-keep-alive-field": sr.start("200 OK", h(CT, TEXT, "Keep-Alive", "timeout=5")); return List.of(b("ka"));
            case "/status-no-reason": sr.start("200", h(CT, TEXT)); return List.of(b("no reason"));
            case "/status-99": sr.start("99 X", h(CT, TEXT)); return List.of(b("99"));
            case "/status-600": sr.start("600 Beyond", h(CT, TEXT)); return List.of(b("600"));
            case "/status-crlf": sr.start("200 OK\r\nX-Injected: y", h(CT, TEXT)); return List.of(b("injected"));
            case "/status-no-space": sr.start("200OK", h(CT, TEXT)); return List.of(b("no space"));
            case "/hdr-crlf": sr.start("200 OK", h(CT, TEXT, "X-Bad", "a\r\nX-Injected: b")); return List.of(b("crlf"));
            case "/hdr-lf": sr.start("200 OK", h(CT, TEXT, "X-Bad", "a\nb")); return List.of(b("lf"));
            case "/hdr-nul": sr.start("200 OK", h(CT, TEXT, "X-Bad", "a\0b")); return List.of(b("nul"));
            case "/hdr-latin1": sr.start("200 OK", h(CT, TEXT, "X-Latin1", "caf\u00e9")); return List.of(b("latin1"));
            case "/hdr-nonlatin": sr.start("200 OK", h(CT, TEXT, "X-Euro", "\u20ac")); return List.of(b("euro"));
            case "/hdr-name-space": sr.start("200 OK", h(CT, TEXT, "X Bad", "v")); return List.of(b("name"));
            case "/hdr-name-colon": sr.start("200 OK", h(CT, TEXT, "X:Bad", "v")); return List.of(b("name"));
            case "/cl-invalid": sr.start("200 OK", h(CT, TEXT, "Content-Length", "abc")); return List.of(b("abc"));
            case "/cl-negative": sr.start("200 OK", h(CT, TEXT, "Content-Length", "-1")); return List.of(b("neg"));
            case "/cl-conflict": sr.start("200 OK", h(CT, TEXT, "Content-Length", "5", "Content-Length", "6")); return List.of(b("12345"));
            case "/read-body": {
                long n = 0;
                InputStream in = env.input();
                byte[] buffer = new byte[8192];
                for (int r; (r = in.read(buffer)) > 0; ) n += r;
                sr.start("200 OK", h(CT, TEXT));
                return List.of(b("read " + n));
            }
            case "/ignore-body": sr.start("200 OK", h(CT, TEXT)); return List.of(b("ignored"));
            case "/big": sr.start("200 OK", h(CT, "application/octet-stream")); return List.of(MIB);
            case "/big-gen": {
                sr.start("200 OK", h(CT, "application/octet-stream"));
                List<byte[]> pieces = new ArrayList<>();
                for (int i = 0; i < 16; i++) pieces.add(java.util.Arrays.copyOfRange(MIB, i << 16, (i + 1) << 16));
                return gen(pieces.toArray(new byte[0][]));
            }
            case "/gen-empty-middle": sr.start("200 OK", h(CT, TEXT)); return gen(b("one "), new byte[0], b("two"));
            case "/gen-past-cl": sr.start("200 OK", h(CT, TEXT, "Content-Length", "3")); return gen(b("123"), b("456"));
            case "/write-long-cl": sr.start("200 OK", h(CT, TEXT, "Content-Length", "3")).write(b("1234567890")); return List.of();
            case "/write-big": sr.start("200 OK", h(CT, "application/octet-stream")).write(MIB); return List.of();
            case "/cl-zero-body": sr.start("200 OK", h(CT, TEXT, "Content-Length", "0")); return List.of(b("not sent"));
            case "/204-cl": sr.start("204 No Content", h("Content-Length", "8")); return List.of(b("not sent"));
            case "/304-cl": sr.start("304 Not Modified", h("ETag", "\"v1\"", "Content-Length", "8")); return List.of();
            case "/205": sr.start("205 Reset Content", h(CT, TEXT)); return List.of(b("not sent"));
            case "/app-close-upper": sr.start("200 OK", h(CT, TEXT, "Connection", "Close")); return List.of(b("bye"));
            case "/app-date-server": sr.start("200 OK", h(CT, TEXT, "Date", "Thu, 01 Jan 2015 00:00:00 GMT", "Server", "app/1")); return List.of(b("own"));
            case "/set-cookies": sr.start("200 OK", h(CT, TEXT, "Set-Cookie", "a=1", "Set-Cookie", "b=2")); return List.of(b("cookies"));
            case "/hdr-ows": sr.start("200 OK", h(CT, TEXT, "X-Ows", "  v  ")); return List.of(b("ows"));
            case "/hdr-empty": sr.start("200 OK", h(CT, TEXT, "X-Empty", "")); return List.of(b("empty"));
            case "/hdr-del": sr.start("200 OK", h(CT, TEXT, "X-Del", "a\u007fb")); return List.of(b("del"));
            case "/hdr-tab": sr.start("200 OK", h(CT, TEXT, "X-Tab", "a\tb")); return List.of(b("tab"));
            case "/reason-custom": sr.start("299 Quite Fine Thanks", h(CT, TEXT)); return List.of(b("custom"));
            case "/reason-latin1": sr.start("200 D\u00e9j\u00e0 vu", h(CT, TEXT)); return List.of(b("latin1 reason"));
            default: sr.start("404 Not Found", h(CT, TEXT)); return List.of(b("no such behaviour"));
        }
    }
}
"""


# ---------------------------------------------------------------------------------------------
# The Python twins of the Java behaviours, one function per PATH_INFO.

TEXT = [("Content-Type", "text/plain")]


def _failing_after(first):
    yield first
    raise RuntimeError("failure after the first chunk")


def _write_then(sr, headers, written, returned):
    sr("200 OK", headers)(written)
    return returned


def _exc_info(sr, sent):
    write = sr("200 OK", TEXT)
    if sent:
        write(b"partial ")
    try:
        raise RuntimeError("application error")
    except RuntimeError:
        sr("503 Service Unavailable", TEXT, sys.exc_info())
    return [b"error page"]


def _read_body(env, sr):
    n = diff_cheroot.input_length(env)
    sr("200 OK", TEXT)
    return [b"read %d" % n]


def _raise(message):
    raise RuntimeError(message)


def _twice(sr):
    sr("200 OK", TEXT)
    sr("201 Created", TEXT)
    return [b"second"]


def _simple(status, headers, body):
    def behaviour(env, sr):
        sr(status, headers)
        return body() if callable(body) else body
    return behaviour


def _gen(*chunks):
    return lambda: (c for c in chunks)


BEHAVIOURS = {
    "/ok": _simple("200 OK", TEXT, [b"ok"]),
    "/list-cl": _simple("200 OK", TEXT + [("Content-Length", "11")], [b"hello ", b"world"]),
    "/list": _simple("200 OK", TEXT, [b"hello ", b"world"]),
    "/empty-list": _simple("200 OK", TEXT, []),
    "/empty-chunk": _simple("200 OK", TEXT, _gen(b"")),
    "/gen": _simple("200 OK", TEXT, _gen(b"one ", b"two ", b"three")),
    "/gen-cl": _simple("200 OK", TEXT + [("Content-Length", "13")], _gen(b"one ", b"two ", b"three")),
    "/write-list": lambda env, sr: _write_then(sr, TEXT, b"written ", [b"returned"]),
    "/write-gen": lambda env, sr: _write_then(sr, TEXT, b"written ", _gen(b"one ", b"two")()),
    "/short-cl": _simple("200 OK", TEXT + [("Content-Length", "10")], [b"12345"]),
    "/long-cl": _simple("200 OK", TEXT + [("Content-Length", "3")], [b"1234567890"]),
    "/long-cl-gen": _simple("200 OK", TEXT + [("Content-Length", "3")], _gen(b"12", b"34567890")),
    "/204": _simple("204 No Content", [], [b"not sent"]),
    "/204-gen": _simple("204 No Content", [], _gen(b"not ", b"sent")),
    "/304": _simple("304 Not Modified", [("ETag", '"v1"')], [b"not sent"]),
    "/twice": lambda env, sr: _twice(sr),
    "/exc-info": lambda env, sr: _exc_info(sr, sent=False),
    "/exc-info-after-sent": lambda env, sr: _exc_info(sr, sent=True),
    "/raise-before": lambda env, sr: _raise("failure before start_response"),
    "/raise-after": _simple("200 OK", TEXT, lambda: _failing_after(b"first chunk")),
    "/no-start": lambda env, sr: [b"body without start_response"],
    "/app-close": _simple("200 OK", TEXT + [("Connection", "close")], [b"bye"]),
    "/app-keep-alive": _simple("200 OK", TEXT + [("Connection", "keep-alive")], [b"stay"]),
    "/app-te": _simple("200 OK", TEXT + [("Transfer-Encoding", "chunked")], _gen(b"one ", b"two")),
    "/app-keep-alive-field": _simple("200 OK", TEXT + [("Keep-Alive", "timeout=5")], [b"ka"]),
    "/status-no-reason": _simple("200", TEXT, [b"no reason"]),
    "/status-99": _simple("99 X", TEXT, [b"99"]),
    "/status-600": _simple("600 Beyond", TEXT, [b"600"]),
    "/status-crlf": _simple("200 OK\r\nX-Injected: y", TEXT, [b"injected"]),
    "/status-no-space": _simple("200OK", TEXT, [b"no space"]),
    "/hdr-crlf": _simple("200 OK", TEXT + [("X-Bad", "a\r\nX-Injected: b")], [b"crlf"]),
    "/hdr-lf": _simple("200 OK", TEXT + [("X-Bad", "a\nb")], [b"lf"]),
    "/hdr-nul": _simple("200 OK", TEXT + [("X-Bad", "a\0b")], [b"nul"]),
    "/hdr-latin1": _simple("200 OK", TEXT + [("X-Latin1", "caf\u00e9")], [b"latin1"]),
    "/hdr-nonlatin": _simple("200 OK", TEXT + [("X-Euro", "\u20ac")], [b"euro"]),
    "/hdr-name-space": _simple("200 OK", TEXT + [("X Bad", "v")], [b"name"]),
    "/hdr-name-colon": _simple("200 OK", TEXT + [("X:Bad", "v")], [b"name"]),
    "/cl-invalid": _simple("200 OK", TEXT + [("Content-Length", "abc")], [b"abc"]),
    "/cl-negative": _simple("200 OK", TEXT + [("Content-Length", "-1")], [b"neg"]),
    "/cl-conflict": _simple("200 OK", TEXT + [("Content-Length", "5"), ("Content-Length", "6")], [b"12345"]),
    "/gen-empty-middle": _simple("200 OK", TEXT, _gen(b"one ", b"", b"two")),
    "/gen-past-cl": _simple("200 OK", TEXT + [("Content-Length", "3")], _gen(b"123", b"456")),
    "/write-long-cl": lambda env, sr: _write_then(sr, TEXT + [("Content-Length", "3")], b"1234567890", []),
    "/write-big": lambda env, sr: _write_then(sr, [("Content-Type", "application/octet-stream")], MIB, []),
    "/cl-zero-body": _simple("200 OK", TEXT + [("Content-Length", "0")], [b"not sent"]),
    "/204-cl": _simple("204 No Content", [("Content-Length", "8")], [b"not sent"]),
    "/304-cl": _simple("304 Not Modified", [("ETag", '"v1"'), ("Content-Length", "8")], []),
    "/205": _simple("205 Reset Content", TEXT, [b"not sent"]),
    "/app-close-upper": _simple("200 OK", TEXT + [("Connection", "Close")], [b"bye"]),
    "/app-date-server": _simple("200 OK", TEXT + [("Date", "Thu, 01 Jan 2015 00:00:00 GMT"), ("Server", "app/1")], [b"own"]),
    "/set-cookies": _simple("200 OK", TEXT + [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], [b"cookies"]),
    "/hdr-ows": _simple("200 OK", TEXT + [("X-Ows", "  v  ")], [b"ows"]),
    "/hdr-empty": _simple("200 OK", TEXT + [("X-Empty", "")], [b"empty"]),
    "/hdr-del": _simple("200 OK", TEXT + [("X-Del", "a\x7fb")], [b"del"]),
    "/hdr-tab": _simple("200 OK", TEXT + [("X-Tab", "a\tb")], [b"tab"]),
    "/reason-custom": _simple("299 Quite Fine Thanks", TEXT, [b"custom"]),
    "/reason-latin1": _simple("200 D\u00e9j\u00e0 vu", TEXT, [b"latin1 reason"]),
    "/read-body": _read_body,
    "/ignore-body": _simple("200 OK", TEXT, [b"ignored"]),
    "/big": _simple("200 OK", [("Content-Type", "application/octet-stream")], [MIB]),
    "/big-gen": _simple("200 OK", [("Content-Type", "application/octet-stream")],
                        lambda: (MIB[i << 16:(i + 1) << 16] for i in range(16))),
}


def cheroot_app(env, sr):
    behaviour = BEHAVIOURS.get(env["PATH_INFO"])
    if behaviour is None:
        sr("404 Not Found", TEXT)
        return [b"no such behaviour"]
    return behaviour(env, sr)


# ---------------------------------------------------------------------------------------------
# The cases: (name, request head, request body, expect 100-continue). Each behaviour over the
# request variants that tell something about it.

VARIANTS = {
    "1.1": (b"GET", b"HTTP/1.1", b"Host: example.org\r\n"),
    "1.1-close": (b"GET", b"HTTP/1.1", b"Host: example.org\r\nConnection: close\r\n"),
    "1.0": (b"GET", b"HTTP/1.0", b""),
    "1.0-keep-alive": (b"GET", b"HTTP/1.0", b"Connection: keep-alive\r\n"),
    "head": (b"HEAD", b"HTTP/1.1", b"Host: example.org\r\n"),
    "head-1.0": (b"HEAD", b"HTTP/1.0", b"Connection: keep-alive\r\n"),
}
FRAMING = ["1.1", "1.0-keep-alive", "head"]
PLAIN = ["1.1"]
BEHAVIOUR_VARIANTS = [
    ("/list-cl", FRAMING + ["1.0", "1.1-close", "head-1.0"]),
    ("/list", FRAMING),
    ("/empty-list", FRAMING),
    ("/empty-chunk", FRAMING),
    ("/gen", FRAMING + ["1.0", "head-1.0"]),
    ("/gen-cl", FRAMING),
    ("/write-list", FRAMING),
    ("/write-gen", FRAMING),
    ("/short-cl", FRAMING),
    ("/long-cl", FRAMING),
    ("/long-cl-gen", FRAMING),
    ("/204", FRAMING),
    ("/204-gen", PLAIN),
    ("/304", FRAMING),
    ("/twice", PLAIN),
    ("/exc-info", PLAIN + ["head"]),
    ("/exc-info-after-sent", ["1.1", "1.0-keep-alive"]),
    ("/raise-before", PLAIN),
    ("/raise-after", ["1.1", "1.0-keep-alive"]),
    ("/no-start", PLAIN),
    ("/app-close", ["1.1", "1.0-keep-alive"]),
    ("/app-keep-alive", ["1.1", "1.0"]),
    ("/app-te", ["1.1", "1.0-keep-alive"]),
    ("/app-keep-alive-field", PLAIN),
    ("/status-no-reason", PLAIN),
    ("/status-99", PLAIN),
    ("/status-600", PLAIN),
    ("/status-crlf", PLAIN),
    ("/status-no-space", PLAIN),
    ("/hdr-crlf", PLAIN),
    ("/hdr-lf", PLAIN),
    ("/hdr-nul", PLAIN),
    ("/hdr-latin1", PLAIN),
    ("/hdr-nonlatin", PLAIN),
    ("/hdr-name-space", PLAIN),
    ("/hdr-name-colon", PLAIN),
    ("/cl-invalid", PLAIN),
    ("/cl-negative", PLAIN),
    ("/cl-conflict", PLAIN),
    ("/big", ["1.1", "head"]),
    ("/big-gen", ["1.1", "1.0-keep-alive"]),
    ("/gen-empty-middle", ["1.1", "1.0-keep-alive"]),
    ("/gen-past-cl", FRAMING),
    ("/write-long-cl", FRAMING),
    ("/write-big", ["1.1", "1.0-keep-alive", "head"]),
    ("/cl-zero-body", FRAMING),
    ("/204-cl", ["1.1", "head"]),
    ("/304-cl", ["1.1", "head"]),
    ("/205", FRAMING),
    ("/app-close-upper", PLAIN),
    ("/app-date-server", PLAIN),
    ("/set-cookies", PLAIN),
    ("/hdr-ows", PLAIN),
    ("/hdr-empty", PLAIN),
    ("/hdr-del", PLAIN),
    ("/hdr-tab", PLAIN),
    ("/reason-custom", PLAIN),
    ("/reason-latin1", PLAIN),
]


def build_cases():
    cases = []
    for path, variants in BEHAVIOUR_VARIANTS:
        for variant in variants:
            method, version, headers = VARIANTS[variant]
            head = method + b" " + path.encode() + b" " + version + b"\r\n" + headers + b"\r\n"
            cases.append(("%s %s" % (path, variant), head, b"", False))
    for path in ("/read-body", "/ignore-body"):
        post = b"POST " + path.encode() + b" HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\n"
        cases.append(("%s post" % path, post + b"\r\n", b"hello", False))
        cases.append(("%s expect-100" % path, post + b"Expect: 100-continue\r\n\r\n", b"hello", True))
        cases.append(("%s post-1.0-keep-alive" % path,
                      b"POST " + path.encode() + b" HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\n",
                      b"hello", False))
    expect10 = b"POST /read-body HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    cases.append(("/read-body expect-100-1.0", expect10, b"hello", True))
    empty = b"POST /read-body HTTP/1.1\r\nHost: example.org\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"
    cases.append(("/read-body expect-100-empty-body", empty, b"", True))
    other = b"POST /read-body HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\n"
    cases.append(("/read-body expect-unknown", other, b"hello", True))
    for path in ("/read-body", "/ignore-body"):
        big = b"POST %s HTTP/1.1\r\nHost: example.org\r\nContent-Length: %d\r\n\r\n" % (path.encode(), 256 << 10)
        cases.append(("%s post-256k" % path, big, MIB[:256 << 10], False))
    return cases


# ---------------------------------------------------------------------------------------------

class Reader:
    """Reads a connection into a buffer, remembering how it ended (EOF or reset)."""

    def __init__(self, sock):
        self.sock = sock
        self.data = b""
        self.ended = None  # "closed", "reset" or None

    def fill(self, timeout=TIMEOUT):
        """Reads once more; False if nothing came (timeout, or the connection ended)."""
        if self.ended:
            return False
        self.sock.settimeout(timeout)
        try:
            block = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            self.ended = "reset"
            return False
        if not block:
            self.ended = "closed"
            return False
        self.data += block
        return True

    def until(self, predicate, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not predicate(self.data):
            left = deadline - time.monotonic()
            if left <= 0 or not self.fill(left):
                return False
        return True

    def take(self, n):
        taken, self.data = self.data[:n], self.data[n:]
        return taken


def read_response(reader, head_only):
    """Reads one response off reader; returns a dict describing it (interim responses included)."""
    result = {"interim": []}
    while True:
        if not reader.until(lambda d: b"\r\n\r\n" in d):
            result["status"] = "(no response head: %r, then %s)" % (reader.data[:120], reader.ended or "silence")
            reader.take(len(reader.data))
            return result
        head = reader.take(reader.data.index(b"\r\n\r\n") + 4)
        lines = head[:-4].split(b"\r\n")
        if re.match(rb"HTTP/1\.[01] 1\d\d", lines[0]):
            result["interim"].append(lines[0].decode("latin-1"))
            continue
        break
    result["status"] = lines[0].decode("latin-1")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.decode("latin-1").lower() not in IGNORED_HEADERS:
            headers.append("%s: %s" % (name.decode("latin-1"), value.strip().decode("latin-1")))
    result["headers"] = sorted(headers, key=str.lower)
    fields = {h.split(":", 1)[0].lower(): h.split(":", 1)[1].strip() for h in headers}
    code = int(lines[0].split()[1]) if len(lines[0].split()) > 1 and lines[0].split()[1].isdigit() else 0
    chunked = "chunked" in fields.get("transfer-encoding", "").lower()
    if head_only or code in (204, 304):
        result["framing"] = "none (%s)" % ("content-length " + fields["content-length"] if "content-length" in fields
                                           else "chunked" if chunked else "no length")
        result["body"] = b""
    elif chunked:
        result["framing"] = "chunked"
        result["body"] = read_chunked(reader, result)
    elif "content-length" in fields and fields["content-length"].isdigit():
        n = int(fields["content-length"])
        result["framing"] = "content-length %d" % n
        reader.until(lambda d: len(d) >= n)
        result["body"] = reader.take(n)
        if len(result["body"]) < n:
            result["incomplete"] = "%d of %d bytes, then %s" % (len(result["body"]), n, reader.ended or "silence")
    else:
        result["framing"] = "close-delimited"
        while reader.fill():
            pass
        result["body"] = reader.take(len(reader.data))
        if not reader.ended:
            result["incomplete"] = "no close within %ss" % TIMEOUT
        elif reader.ended == "reset":
            result["incomplete"] = "ended by a reset"
    return result


def read_chunked(reader, result):
    body = b""
    while True:
        if not reader.until(lambda d: b"\r\n" in d):
            result["incomplete"] = "chunked body cut after %d bytes, then %s" % (len(body), reader.ended or "silence")
            return body
        line = reader.take(reader.data.index(b"\r\n") + 2)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            if not reader.until(lambda d: d.startswith(b"\r\n")):
                result["incomplete"] = "no CRLF after the last chunk"
            else:
                reader.take(2)
            return body
        if not reader.until(lambda d: len(d) >= size + 2):
            body += reader.take(size)
            result["incomplete"] = "chunked body cut after %d bytes, then %s" % (len(body), reader.ended or "silence")
            return body
        body += reader.take(size)
        reader.take(2)


def exchange(port, head, body, expect):
    """One case on a fresh connection: the response, what followed it, and the connection afterwards."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        reader = Reader(sock)
        sock.sendall(head)
        before_body = None
        if expect:  # wait for the 100 (or a final answer) before the body, as a client would for a while
            reader.until(lambda d: b"\r\n\r\n" in d, timeout=1.0)
            seen = reader.data.split(b"\r\n", 1)[0].decode("latin-1")
            before_body = seen or "(nothing within 1 s)"
        try:
            sock.sendall(body)
        except OSError as e:
            before_body = "%s; sending the body failed: %s" % (before_body, e)
        result = read_response(reader, head.startswith(b"HEAD "))
        if before_body is not None:
            result["before body"] = before_body
        reader.until(lambda d: False, timeout=0.2)  # whatever comes beyond the framing
        if reader.data:
            result["extra bytes"] = reader.take(len(reader.data))[:200]
        result["connection"] = probe(sock, reader)
    return result


def probe(sock, reader):
    """Whether the connection serves a second request: "open", "closed", "reset" or "silent"."""
    if reader.ended:
        return reader.ended
    try:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: example.org\r\n\r\n")
    except OSError:
        return "closed (write failed)"
    if reader.until(lambda d: b"\r\n\r\n" in d):
        return "open" if reader.data.startswith(b"HTTP/1.1 200") else "answered %r" % reader.data.split(b"\r\n")[0]
    return reader.ended or "silent"


def shown(result, key):
    value = result.get(key)
    if isinstance(value, bytes) and len(value) > 64:
        return "%d bytes sha1 %s" % (len(value), hashlib.sha1(value).hexdigest()[:12])
    return value


KEYS = ("before body", "interim", "status", "headers", "framing", "body", "incomplete", "extra bytes", "connection")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    diff_cheroot.add_server_arguments(parser)
    parser.add_argument("--case", help="run only the cases whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case, not only differences")
    args = parser.parse_args()
    cases = [c for c in build_cases() if not args.case or args.case in c[0]]
    if args.list:
        for name, head, body, _ in cases:
            print("%-36s %r" % (name, head + body))
        return 0

    workdir = tempfile.mkdtemp(prefix="diff-cheroot-responses-")
    ours = None
    cheroot = None
    try:
        cheroot, cheroot_port = diff_cheroot.start_cheroot(cheroot_app)
        if not args.verbose:
            cheroot.error_log = lambda *a, **k: None  # the tracebacks of the failing behaviours
        ours, our_port = diff_cheroot.start_ours(args, workdir, RESPONSE_APP_JAVA, "ResponseCases")
        differing = []
        for name, head, body, expect in cases:
            c = exchange(cheroot_port, head, body, expect)
            o = exchange(our_port, head, body, expect)
            keys = [k for k in KEYS if shown(c, k) != shown(o, k)]
            if keys:
                differing.append(name)
            if keys or args.verbose:
                print("%s  %r" % (name, (head + body)[:100]))
                for k in (KEYS if args.verbose else keys):
                    if k in c or k in o:
                        print("  %-12s cheroot %r" % (k, shown(c, k)))
                        print("  %-12s ours    %r" % ("", shown(o, k)))
        print()
        print("%d cases; %d differ: %s" % (len(cases), len(differing), ", ".join(differing)))
        return 0
    finally:
        diff_cheroot.stop(ours, cheroot, workdir)


if __name__ == "__main__":
    sys.exit(main())
