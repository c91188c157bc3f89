#!/usr/bin/python3
"""Differential test of the WSGI environ: the same raw requests to Cheroot and to wsgiserver.

Starts Cheroot (the reference server of our lineage) in this process and the wsgiserver CLI in a
child JVM, both on 127.0.0.1 with ephemeral ports, each with an application that answers every
request with a JSON dump of its environ: the str-valued keys (CGI variables, HTTP_*, REQUEST_URI,
wsgi.url_scheme...), wsgi.version, wsgi.multithread / multiprocess / run_once / input_terminated,
and the length of the body read from wsgi.input to its end. Each case's exact bytes go to both over
a fresh connection; the script compares the status, then the environ key by key, and prints the
differences per case and a summary of differing keys. REMOTE_PORT is shown as "=client" when it is
the client socket's own port and SERVER_PORT as "=server" when it is the port connected to, so
that the two servers' ports do not count as differences; SERVER_SOFTWARE is left out.

Usage (Debian's python, which has cheroot 9; not the pyenv python3):
  . bin/jdk.sh && mvn -B -o -q -pl core,cli,jdk-httpserver package -DskipTests
  /usr/bin/python3 scripts/diff-cheroot.py                 # every case, differences only
  /usr/bin/python3 scripts/diff-cheroot.py -v              # also the environs of equal cases
  /usr/bin/python3 scripts/diff-cheroot.py --case cookie   # cases whose name contains "cookie"
  /usr/bin/python3 scripts/diff-cheroot.py --list          # the case names and their bytes
Options: --java (default $JAVA_HOME/bin/java, else Temurin 25), --javac, --jar (default
cli/target/wsgiserver.jar), --classes (default core/target/classes, to compile the dump app
against). The dump app's Java source is below (DUMP_APP_JAVA); it is compiled into a temporary
directory. Talks to 127.0.0.1 only; both servers are stopped on exit. Exit status 0 whatever differs
(this is a report), 1 if a server could not be started or a case got no answer from either.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMURIN = "/usr/lib/jvm/temurin-25-jdk-amd64"
IGNORED_KEYS = {"SERVER_SOFTWARE"}
BOOLEAN_WSGI_KEYS = ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated")

DUMP_APP_JAVA = r"""
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Answers every request with a JSON dump of its environ (see scripts/diff-cheroot.py). */
public final class DumpEnviron implements WsgiApp {
    private static final List<String> BOOLEAN_KEYS =
            List.of("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated");

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception {
        long bodyLength = 0;
        InputStream in = environ.input();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) bodyLength += n;
        Map<String, String> json = new TreeMap<>();
        for (Map.Entry<String, Object> e : environ.entrySet()) {
            if (e.getValue() instanceof String s) json.put(e.getKey(), quote(s));
        }
        for (String key : BOOLEAN_KEYS) {
            if (environ.get(key) instanceof Boolean b) json.put(key, b.toString());
        }
        if (environ.get("wsgi.version") instanceof List<?> v) json.put("wsgi.version", v.toString().replace(" ", ""));
        json.put("body_length", Long.toString(bodyLength));
        StringBuilder out = new StringBuilder("{");
        json.forEach((k, v) -> out.append(out.length() > 1 ? "," : "").append(quote(k)).append(':').append(v));
        byte[] body = out.append('}').toString().getBytes(StandardCharsets.UTF_8);
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "application/json")));
        return List.of(body);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
"""


def input_length(environ):
    """Reads wsgi.input to its end; returns how many bytes it held."""
    length = 0
    while True:
        block = environ["wsgi.input"].read(8192)
        if not block:
            return length
        length += len(block)


def cheroot_dump_app(environ, start_response):
    """The Python twin of DumpEnviron."""
    body_length = input_length(environ)
    dump = {k: v for k, v in environ.items() if isinstance(v, str)}
    for key in BOOLEAN_WSGI_KEYS:
        if isinstance(environ.get(key), bool):
            dump[key] = environ[key]
    dump["wsgi.version"] = list(environ["wsgi.version"])
    dump["body_length"] = body_length
    body = json.dumps(dump, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def start_cheroot(app=cheroot_dump_app):
    from cheroot import wsgi
    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=4)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    return server, server.bind_addr[1]


def start_ours(args, workdir, app_source=DUMP_APP_JAVA, app_class="DumpEnviron", options=()):
    """Compiles app_source (the class app_class, in no package) and serves it with the CLI (with options)."""
    source = os.path.join(workdir, app_class + ".java")
    with open(source, "w") as f:
        f.write(app_source)
    subprocess.run([args.javac, "--release", "21", "-cp", args.classes, "-d", workdir, source], check=True)
    command = [args.java, "-cp", args.jar + os.pathsep + workdir, "org.minipylib.wsgiserver.cli.Main",
               "--bind", "127.0.0.1:0", *options, app_class]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:  # "wsgiserver VERSION serving on http://HOST:PORT"
        match = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # keep the pipe drained
            return process, int(match.group(1))
    raise RuntimeError("wsgiserver did not start: exit %s" % process.wait())


def add_server_arguments(parser):
    """--java, --javac, --jar, --classes: what start_ours runs and compiles against."""
    java_home = os.environ.get("JAVA_HOME") or TEMURIN
    parser.add_argument("--java", default=os.path.join(java_home, "bin", "java"))
    parser.add_argument("--javac", default=os.path.join(java_home, "bin", "javac"))
    parser.add_argument("--jar", default=os.path.join(REPO, "cli", "target", "wsgiserver.jar"))
    parser.add_argument("--classes", default=os.path.join(REPO, "core", "target", "classes"))


def stop(ours, cheroot, workdir):
    """Stops both servers (either may be None) and removes the app's build directory."""
    if ours is not None:
        ours.terminate()
        try:
            ours.wait(10)
        except subprocess.TimeoutExpired:
            ours.kill()
    if cheroot is not None:
        cheroot.stop()
    shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The cases: (name, raw request bytes). HTTP/1.1 requests carry Host unless the case is about it.

def req(target, headers=b"Host: example.org\r\n", method=b"GET", version=b"HTTP/1.1", body=b""):
    if isinstance(target, str):
        target = target.encode("latin-1")
    return method + b" " + target + b" " + version + b"\r\n" + headers + b"\r\n" + body


H = b"Host: example.org\r\n"
CASES = [
    ("simple-get", req("/")),
    ("path-plain", req("/a/b/c.txt")),
    ("path-%20", req("/a%20b")),
    ("path-%2F", req("/a%2Fb")),
    ("path-%2f-lower", req("/a%2fb")),
    ("path-%252F", req("/a%252Fb")),
    ("path-%25-end", req("/a%25")),
    ("path-%25-then-text", req("/a%25zz")),
    ("path-%25%25", req("/%25%25")),
    ("path-utf8-%C3%A9", req("/caf%C3%A9")),
    ("path-%7E-unreserved", req("/%7Euser")),
    ("path-invalid-%ZZ", req("/a%ZZ")),
    ("path-truncated-%2", req("/a%2")),
    ("path-raw-utf8", req(b"/caf\xc3\xa9")),
    ("path-%00", req("/a%00b")),
    ("path-%0D%0A", req("/a%0D%0Ab")),
    ("path-%3F-%23", req("/a%3Fb%23c")),
    ("path-plus", req("/a+b")),
    ("path-semicolon-param", req("/a;b=c")),
    ("path-semicolon-mid", req("/a;v=1/b")),
    ("path-double-slash", req("//a//b")),
    ("path-dotdot", req("/a/../b")),
    ("path-dot", req("/a/./b")),
    ("path-dotdot-above-root", req("/../etc/passwd")),
    ("path-%2E%2E", req("/a/%2E%2E/b")),
    ("path-%2e-lower", req("/a/%2e/b")),
    ("path-trailing-dotdot", req("/a/b/..")),
    ("path-unsafe-<", req("/a<b")),
    ("path-fragment", req("/a#frag")),
    ("query-empty-?", req("/p?")),
    ("query-repeated", req("/p?a=1&a=2")),
    ("query-plus-encoded", req("/p?q=a+b%2Bc%20d")),
    ("query-invalid-%ZZ", req("/p?q=%ZZ")),
    ("query-dotdot-slash", req("/p?x=/../y")),
    ("query-question-in-query", req("/p?a=?b")),
    ("query-raw-utf8", req(b"/p?q=\xc3\xa9")),
    ("absolute-form-port", req("http://example.org:8080/p?q=1", headers=b"Host: other.test\r\n")),
    ("absolute-form-no-port", req("http://example.org/p", headers=b"Host: example.org\r\n")),
    ("absolute-form-https", req("https://example.org/p", headers=b"Host: example.org\r\n")),
    ("absolute-form-no-path", req("http://example.org", headers=b"Host: example.org\r\n")),
    ("absolute-form-encoded", req("http://example.org/a%2Fb/../c", headers=b"Host: example.org\r\n")),
    ("absolute-form-ftp", req("ftp://example.org/p", headers=b"Host: example.org\r\n")),
    ("absolute-form-query-no-path", req("http://example.org?q=1", headers=b"Host: example.org\r\n")),
    ("absolute-form-uppercase", req("HTTP://Example.ORG/p", headers=b"Host: example.org\r\n")),
    ("absolute-form-empty-port", req("http://example.org:/p", headers=b"Host: example.org\r\n")),
    ("options-asterisk", req("*", method=b"OPTIONS")),
    ("get-asterisk", req("*")),
    ("host-no-port", req("/", headers=b"Host: example.org\r\n")),
    ("host-port", req("/", headers=b"Host: example.org:8080\r\n")),
    ("host-uppercase", req("/", headers=b"Host: EXAMPLE.org\r\n")),
    ("host-ipv6", req("/", headers=b"Host: [::1]:8080\r\n")),
    ("host-ipv6-no-port", req("/", headers=b"Host: [::1]\r\n")),
    ("host-ipv6-unbracketed", req("/", headers=b"Host: ::1\r\n")),
    ("host-empty-port", req("/", headers=b"Host: example.org:\r\n")),
    ("host-empty", req("/", headers=b"Host:\r\n")),
    ("host-duplicate", req("/", headers=b"Host: a.test\r\nHost: b.test\r\n")),
    ("host-with-space", req("/", headers=b"Host: a b\r\n")),
    ("http10-no-host", req("/", headers=b"", version=b"HTTP/1.0")),
    ("http11-no-host", req("/", headers=b"")),
    ("http10-with-host", req("/", headers=H, version=b"HTTP/1.0")),
    ("http12-version", req("/", version=b"HTTP/1.2")),
    ("http20-version", req("/", version=b"HTTP/2.0")),
    ("lowercase-version", req("/", version=b"http/1.1")),
    ("method-lowercase", req("/", method=b"get")),
    ("method-custom", req("/", method=b"PURGE")),
    ("method-head", req("/", method=b"HEAD")),
    ("repeated-accept", req("/", headers=H + b"Accept: text/html\r\nAccept: application/json\r\n")),
    ("repeated-cookie", req("/", headers=H + b"Cookie: a=1\r\nCookie: b=2\r\n")),
    ("repeated-custom", req("/", headers=H + b"X-Multi: 1\r\nX-Multi: 2\r\n")),
    ("repeated-empty-then-value", req("/", headers=H + b"X-Multi:\r\nX-Multi: 2\r\n")),
    ("repeated-different-case", req("/", headers=H + b"Accept: a/b\r\naccept: c/d\r\n")),
    ("repeated-value-then-empty", req("/", headers=H + b"X-Multi: 1\r\nX-Multi:\r\n")),
    ("repeated-cookie-empty-first", req("/", headers=H + b"Cookie:\r\nCookie: b=2\r\n")),
    ("underscore-header-alone", req("/", headers=H + b"X_Foo: under\r\n")),
    ("underscore-and-dash", req("/", headers=H + b"X-Foo: dash\r\nX_Foo: under\r\n")),
    ("underscore-then-dash", req("/", headers=H + b"X_Foo: under\r\nX-Foo: dash\r\n")),
    ("header-name-mixed-case", req("/", headers=H + b"x-MiXeD-cAsE: v\r\n")),
    ("header-empty-value", req("/", headers=H + b"X-Empty:\r\n")),
    ("header-ows-around-value", req("/", headers=H + b"X-Ows: \t v  w \t\r\n")),
    ("header-obs-text", req("/", headers=H + b"X-Obs: caf\xe9\r\n")),
    ("header-utf8-bytes", req("/", headers=H + b"X-Utf8: caf\xc3\xa9\r\n")),
    ("header-tab-inside", req("/", headers=H + b"X-Tab: a\tb\r\n")),
    ("header-proxy-httpoxy", req("/", headers=H + b"Proxy: http://evil.test\r\n")),
    ("header-authorization", req("/", headers=H + b"Authorization: Basic dTpw\r\n")),
    ("header-space-before-colon", req("/", headers=H + b"X-Sp : v\r\n")),
    ("header-obs-fold", req("/", headers=H + b"X-Fold: a\r\n b\r\n")),
    ("header-no-colon", req("/", headers=H + b"NoColon\r\n")),
    ("content-type-and-length", req("/", method=b"POST", headers=H + b"Content-Type: text/plain\r\nContent-Length: 5\r\n", body=b"hello")),
    ("content-length-zero", req("/", method=b"POST", headers=H + b"Content-Length: 0\r\n")),
    ("content-type-repeated", req("/", method=b"POST", headers=H + b"Content-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 0\r\n")),
    ("content-type-empty", req("/", method=b"POST", headers=H + b"Content-Type:\r\nContent-Length: 0\r\n")),
    ("content-length-repeated-same", req("/", method=b"POST", headers=H + b"Content-Length: 3\r\nContent-Length: 3\r\n", body=b"abc")),
    ("content-length-list", req("/", method=b"POST", headers=H + b"Content-Length: 3, 3\r\n", body=b"abc")),
    ("content-length-plus", req("/", method=b"POST", headers=H + b"Content-Length: +3\r\n", body=b"abc")),
    ("content-length-leading-zeros", req("/", method=b"POST", headers=H + b"Content-Length: 003\r\n", body=b"abc")),
    ("http10-post-body", req("/", method=b"POST", version=b"HTTP/1.0", headers=b"Content-Length: 3\r\n", body=b"abc")),
    ("header-transfer-encoding-passed", req("/", method=b"POST", headers=H + b"Transfer-Encoding: chunked\r\nTE: trailers\r\n", body=b"0\r\n\r\n")),
    ("get-with-body", req("/", headers=H + b"Content-Length: 4\r\n", body=b"body")),
    ("chunked-body", req("/", method=b"POST", headers=H + b"Transfer-Encoding: chunked\r\n", body=b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")),
    ("chunked-with-trailer", req("/", method=b"POST", headers=H + b"Transfer-Encoding: chunked\r\n", body=b"3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n")),
    ("chunked-uppercase", req("/", method=b"POST", headers=H + b"Transfer-Encoding: Chunked\r\n", body=b"3\r\nabc\r\n0\r\n\r\n")),
    ("chunked-and-content-length", req("/", method=b"POST", headers=H + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", body=b"3\r\nabc\r\n0\r\n\r\n")),
    ("chunked-http10", req("/", method=b"POST", version=b"HTTP/1.0", headers=b"Transfer-Encoding: chunked\r\n", body=b"3\r\nabc\r\n0\r\n\r\n")),
    ("expect-100-continue", req("/", method=b"POST", headers=H + b"Expect: 100-continue\r\nContent-Length: 3\r\n", body=b"abc")),
    ("connection-keep-alive-http10", req("/", version=b"HTTP/1.0", headers=b"Connection: keep-alive\r\n")),
    ("bare-lf-line-endings", b"GET /lf HTTP/1.1\nHost: example.org\n\n"),
    ("leading-empty-line", b"\r\n" + req("/after-empty-line")),
]


# ---------------------------------------------------------------------------------------------

def exchange(port, data, timeout=5.0):
    """Sends data on a fresh connection; returns (status or None, body bytes, client port)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        client_port = sock.getsockname()[1]
        sock.sendall(data)
        response = b""
        try:
            while True:
                head_end = response.find(b"\r\n\r\n")
                if head_end >= 0:
                    status, body = framed_body(response, head_end, data)
                    if status == 100:  # interim: the final response follows
                        response = response[head_end + 4:]
                        continue
                    if body is not None:
                        return status, body, client_port
                block = sock.recv(65536)
                if not block:
                    break
                response += block
        except socket.timeout:
            pass
        except ConnectionResetError:
            pass
    head_end = response.find(b"\r\n\r\n")
    if head_end < 0:
        return None, response, client_port
    return status_of(response), response[head_end + 4:], client_port


def status_of(response):
    match = re.match(rb"HTTP/\d\.\d (\d{3})", response)
    return int(match.group(1)) if match else None


def framed_body(response, head_end, request):
    """(status, body) once the body is complete by its framing, else (status, None)."""
    status = status_of(response)
    head = response[:head_end].lower()
    rest = response[head_end + 4:]
    if status == 100 or request.startswith(b"HEAD "):
        return status, b""
    length = re.search(rb"\r\ncontent-length: *(\d+)", head)
    if length:
        n = int(length.group(1))
        return status, (rest[:n] if len(rest) >= n else None)
    if b"\r\ntransfer-encoding: chunked" in head:
        body, i = b"", 0
        while True:
            line_end = rest.find(b"\r\n", i)
            if line_end < 0:
                return status, None
            size = int(rest[i:line_end].split(b";")[0], 16)
            if size == 0:
                return status, body
            if len(rest) < line_end + 2 + size + 2:
                return status, None
            body += rest[line_end + 2:line_end + 2 + size]
            i = line_end + 2 + size + 2
    return status, None  # close-delimited


def environ_of(status, body, client_port, server_port):
    if status != 200 or not body:  # a HEAD response has no body: only its status is compared
        return None
    try:
        env = json.loads(body)
    except ValueError:
        return {"<unparsable body>": body[:200].decode("latin-1")}
    if env.get("REMOTE_PORT") == str(client_port):
        env["REMOTE_PORT"] = "=client"
    if env.get("SERVER_PORT") == str(server_port):
        env["SERVER_PORT"] = "=server"
    for key in IGNORED_KEYS:
        env.pop(key, None)
    return env


def show(value):
    return "(absent)" if value is None else json.dumps(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_server_arguments(parser)
    parser.add_argument("--case", help="run only the cases whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every environ, not only differences")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.case or args.case in c[0]]
    if args.list:
        for name, data in cases:
            print("%-32s %r" % (name, data))
        return 0

    workdir = tempfile.mkdtemp(prefix="diff-cheroot-")
    ours = None
    cheroot = None
    try:
        cheroot, cheroot_port = start_cheroot()
        ours, our_port = start_ours(args, workdir)
        key_counts = {}
        baseline = None
        status_differences = []
        unanswered = []
        both_refused = []
        for name, data in cases:
            c_status, c_body, c_client = exchange(cheroot_port, data)
            o_status, o_body, o_client = exchange(our_port, data)
            c_env = environ_of(c_status, c_body, c_client, cheroot_port)
            o_env = environ_of(o_status, o_body, o_client, our_port)
            if c_status == o_status and c_status != 200:
                both_refused.append("%s (%s)" % (name, c_status))
            if c_status is None and o_status is None:
                unanswered.append(name)
            lines = []
            if c_status != o_status:
                status_differences.append(name)
                lines.append("  status: cheroot %s, ours %s" % (c_status, o_status))
                for who, status, body in (("cheroot", c_status, c_body), ("ours", o_status, o_body)):
                    if status != 200:
                        said = body[:160].decode("utf-8", "replace").strip().replace("\n", " ")
                        lines.append("    %s says: %s" % (who, said))
            if c_env is not None and o_env is not None:
                for key in sorted(set(c_env) | set(o_env)):
                    pair = (c_env.get(key), o_env.get(key))
                    if pair[0] == pair[1]:
                        continue
                    if baseline is None or baseline.get(key) != pair:
                        key_counts[key] = key_counts.get(key, 0) + 1
                        lines.append("  %-24s cheroot %-34s ours %s" % (key, show(pair[0]), show(pair[1])))
                if baseline is None:  # the first case both served: what differs on every request
                    baseline = {k: (c_env.get(k), o_env.get(k)) for k in set(c_env) | set(o_env)
                                if c_env.get(k) != o_env.get(k)}
                    print("differences of every request (shown once, here, and below only where they differ otherwise):")
            if lines or args.verbose:
                print("%s  %r" % (name, data[:120]))
                print("\n".join(lines) if lines else "  (same)")
                if args.verbose:
                    for who, env in (("cheroot", c_env), ("ours", o_env)):
                        print("  %s environ: %s" % (who, json.dumps(env, sort_keys=True)))
        print()
        print("%d cases; %d with different statuses: %s" % (len(cases), len(status_differences), ", ".join(status_differences)))
        print("%d refused alike by both: %s" % (len(both_refused), ", ".join(both_refused)))
        print("keys that differ otherwise where both answered 200 (cases): "
              + ", ".join("%s (%d)" % kv for kv in sorted(key_counts.items(), key=lambda kv: -kv[1])))
        if unanswered:
            print("no answer from either server: " + ", ".join(unanswered))
            return 1
        return 0
    finally:
        stop(ours, cheroot, workdir)


if __name__ == "__main__":
    sys.exit(main())
