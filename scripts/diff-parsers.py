#!/usr/bin/python3
"""Differential test of request parsing: wsgiserver against llhttp (Node.js) and h11, two strict parsers.

The same raw bytes, each followed by a pipelined `GET /plaintext` (the follow-up), go to
  - wsgiserver: the CLI jar in a child JVM serving a small dump app (method, REQUEST_URI, protocol,
    HTTP_* / CONTENT_* fields, the body read to its end, as JSON; the demo app cannot show this for
    every method and target);
  - Node.js: an http server in a child process (llhttp, strict: no insecureHTTPParser) answering JSON
    of method, url, httpVersion, rawHeaders and body, and 400 (431 for a head over its limit) with
    the llhttp error code on clientError;
  - h11: h11.Connection(our_role=SERVER) in this process, fed the bytes directly (no server).
Each parser's verdict is "accept" (with what it saw, the body, and whether the follow-up was then
read as the next request: from the second response for the servers, from the byte offset where h11
ended the request), "reject STATUS", "incomplete" (waits for more bytes) or "closed" (no answer).

Inputs: every request of Rfc9112ConformanceTest (read from its compiled class by a small Java
program, so the table stays the one source), then deterministic sweeps (every byte 0x00-0xFF at the
start, middle and end of a field name and of a field value) and `--count` seeded random mutations
around the risky areas: Transfer-Encoding / Content-Length spellings and combinations, chunk-size
lines and extensions, chunk terminators, whitespace before the colon, obs-fold, request-target forms,
methods, versions, line endings, Host, Expect and trailers.

Classes in the report:
  (a) ours accepts, llhttp and h11 both do not   (b) ours refuses, both accept
  (c) all three accept, but the body or the framing (where the follow-up starts) differs
  (d) the rest: any other disagreement in verdicts, or in method / target / fields where all accept
Cases where all three agree are only counted.

Usage (Debian's python with python3-h11: `apt-get install -y python3-h11`; Node.js 20 on PATH):
  . bin/jdk.sh && mvn -B -o -q -pl core,cli,jdk-httpserver package -DskipTests
  /usr/bin/python3 scripts/diff-parsers.py                       # conformance rows + sweeps + 400 mutations
  /usr/bin/python3 scripts/diff-parsers.py --seed 7 --count 2000 # other / more mutations
  /usr/bin/python3 scripts/diff-parsers.py --only conformance    # one source: conformance, sweep, mutation
  /usr/bin/python3 scripts/diff-parsers.py --case chunk -v       # cases whose name contains "chunk", all verdicts
  /usr/bin/python3 scripts/diff-parsers.py --list                # the case names and their bytes
Options: --node (default node), --java/--javac/--jar/--classes as in diff-cheroot.py,
--test-classes (default core/target/test-classes, for the conformance table), --timeout (seconds to
wait for an answer, default 1.5), --jobs (cases in flight, default 8). Talks to 127.0.0.1 only;
both servers are stopped on exit. Exit status 0 whatever differs (this is a report), 1 if a server
could not be started or the conformance table not read.
"""
import argparse
import concurrent.futures
import glob
import importlib.util
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading

_spec = importlib.util.spec_from_file_location(
    "diff_cheroot", os.path.join(os.path.dirname(os.path.abspath(__file__)), "diff-cheroot.py"))
diff_cheroot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(diff_cheroot)

REPO = diff_cheroot.REPO
FOLLOW_UP = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
# Rfc9112ConformanceTest's LIMITS, so that its rows at the limits mean here what they mean there
OUR_OPTIONS = ["--max-request-line", "1024", "--max-header-size", "4096", "--max-headers", "40",
               "--max-body-size", "1000", "--max-chunk-extension", "64"]

DUMP_APP_JAVA = r"""
import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Answers every request with JSON of what the parser gave the app (see scripts/diff-parsers.py),
 * each string as the hex of its ISO-8859-1 bytes, so that no byte needs escaping.
 */
public final class ParsedRequestDump implements WsgiApp {
    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception {
        String body = new String(environ.input().readAllBytes(), StandardCharsets.ISO_8859_1);
        StringJoiner fields = new StringJoiner(",", "{", "}");
        for (Map.Entry<String, Object> e : environ.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("HTTP_") || key.equals("CONTENT_TYPE") || key.equals("CONTENT_LENGTH")) {
                fields.add("\"" + key + "\":" + hex(String.valueOf(e.getValue())));
            }
        }
        String json = "{\"method\":" + hex(environ.method()) + ",\"target\":" + hex(String.valueOf(environ.get("REQUEST_URI")))
                + ",\"body\":" + hex(body) + ",\"fields\":" + fields + "}";
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "application/json")));
        return List.of(json.getBytes(StandardCharsets.US_ASCII));
    }

    private static String hex(String s) {
        return "\"" + HexFormat.of().formatHex(s.getBytes(StandardCharsets.ISO_8859_1)) + "\"";
    }
}
"""

# Prints the rows of Rfc9112ConformanceTest: kind, expected status (200 for valid rows), description,
# and the request as hex of its ISO-8859-1 bytes (what RawClient sends), tab-separated.
CONFORMANCE_ROWS_JAVA = r"""
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.Stream;

public final class ConformanceRows {
    public static void main(String[] args) throws Exception {
        Class<?> table = Class.forName("org.minipylib.wsgiserver.http.Rfc9112ConformanceTest");
        Method get = Class.forName("org.junit.jupiter.params.provider.Arguments").getMethod("get");
        for (String kind : new String[] {"valid", "invalid"}) {
            Method rows = table.getDeclaredMethod(kind);
            rows.setAccessible(true);
            for (Object row : ((Stream<?>) rows.invoke(null)).toList()) {
                Object[] a = (Object[]) get.invoke(row);
                String status = kind.equals("valid") ? "200" : String.valueOf(a[1]);
                String description = String.valueOf(a[kind.equals("valid") ? 1 : 3]);
                String request = String.valueOf(a[kind.equals("valid") ? 2 : 4]);
                System.out.println(kind + "\t" + status + "\t" + description.replaceAll("[\\t\\r\\n]", " ") + "\t"
                        + HexFormat.of().formatHex(request.getBytes(StandardCharsets.ISO_8859_1)));
            }
        }
    }
}
"""

NODE_SERVER_JS = r"""
const http = require('http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({method: req.method, url: req.url, httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('latin1')});
    res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)});
    res.end(body);
  });
});
// llhttp parses all that arrived at once, so an error in what follows a request (the follow-up, or
// bytes a request did not take) comes before that request's 'end': answer it after the responses
// already due, so that each answer stays with its request.
server.on('clientError', (err, socket) => setImmediate(() => {
  if (!socket.writable) return socket.destroy();
  const text = String(err.code) + ' ' + String(err.reason || err.message) + ' at byte ' + err.bytesParsed;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  socket.end('HTTP/1.1 ' + status + ' Bad Request\r\nConnection: close\r\nContent-Length: '
    + Buffer.byteLength(text) + '\r\n\r\n' + text);
}));
server.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
"""


# ---------------------------------------------------------------------------------------------
# Servers

def start_node(node, workdir):
    source = os.path.join(workdir, "echo-server.js")
    with open(source, "w") as f:
        f.write(NODE_SERVER_JS)
    process = subprocess.Popen([node, source], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        match = re.search(r"listening on (\d+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, int(match.group(1))
    raise RuntimeError("node did not start: exit %s" % process.wait())


def stop_process(process):
    if process is None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------------------------------------
# Inputs: the conformance table

def junit_classpath():
    """The JUnit jars the conformance table's class needs, in the version the pom names."""
    with open(os.path.join(REPO, "pom.xml")) as f:
        version = re.search(r"<junit.version>([^<]+)</junit.version>", f.read()).group(1)
    platform = "1." + version.split(".", 1)[1] if version.startswith("5.") else version
    m2 = os.path.expanduser("~/.m2/repository")
    jars = [os.path.join(m2, "org/junit/jupiter/%s/%s/%s-%s.jar" % (a, version, a, version))
            for a in ("junit-jupiter-params", "junit-jupiter-api")]
    jars.append(os.path.join(m2, "org/junit/platform/junit-platform-commons/%s/junit-platform-commons-%s.jar"
                             % (platform, platform)))
    jars += sorted(glob.glob(os.path.join(m2, "org/opentest4j/opentest4j/*/*.jar")))[-1:]
    return [j for j in jars if os.path.exists(j)]


def conformance_cases(args, workdir):
    source = os.path.join(workdir, "ConformanceRows.java")
    with open(source, "w") as f:
        f.write(CONFORMANCE_ROWS_JAVA)
    classpath = os.pathsep.join([args.test_classes, args.classes] + junit_classpath())
    run = subprocess.run([args.java, "-cp", classpath, source], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("could not read the conformance table (build with tests compiled?):\n" + run.stderr)
    out = run.stdout
    cases = []
    for line in out.splitlines():
        kind, status, description, hexed = line.split("\t")
        cases.append(("conformance %s %s: %s" % (kind, status, description), bytes.fromhex(hexed)))
    return cases


# ---------------------------------------------------------------------------------------------
# Inputs: sweeps and seeded mutations

CRLF = b"\r\n"


def request(head_fields=b"Host: a\r\n", method=b"POST", target=b"/", version=b"HTTP/1.1", body=b"", eol=CRLF):
    return method + b" " + target + b" " + version + eol + head_fields + eol + body


def byte_sweep_cases():
    """Every byte at the start, middle and end of a field name and of a field value."""
    cases = []
    for b in range(256):
        c = bytes([b])
        for where, name in (("start", c + b"Xa"), ("middle", b"X" + c + b"a"), ("end", b"Xa" + c)):
            cases.append(("sweep name-%s 0x%02x" % (where, b), request(b"Host: a\r\n" + name + b": v\r\n", b"GET")))
        for where, value in (("start", c + b"vw"), ("middle", b"v" + c + b"w"), ("end", b"vw" + c)):
            cases.append(("sweep value-%s 0x%02x" % (where, b), request(b"Host: a\r\nX-A: " + value + b"\r\n", b"GET")))
    return cases


TE_NAMES = [b"Transfer-Encoding", b"transfer-encoding", b"TRANSFER-ENCODING", b"Transfer_Encoding",
            b"Transfer-Encoding ", b" Transfer-Encoding", b"Transfer-Encoding\t", b"Transfer-Encodings"]
TE_VALUES = [b"chunked", b"Chunked", b"CHUNKED", b" chunked", b"chunked ", b"\tchunked", b"chunked\t",
             b"chunked, identity", b"identity, chunked", b"chunked,chunked", b"chunked, chunked", b"gzip, chunked",
             b"x-chunked", b",chunked", b"chunked,", b", ,chunked", b"chunked;", b"chunked;a=b", b"chunk", b"chunkedx",
             b"\"chunked\"", b"identity", b"", b"chunked\x0b", b"chunked\x00", b"ch\x00unked", b"chunked\r\n x",
             b"\r\n chunked", b"chunked\xff", b"cHuNkEd", b"chunked , gzip", b"gzip;q=1, chunked"]
CL_NAMES = [b"Content-Length", b"content-length", b"CONTENT-LENGTH", b"Content_Length", b"Content-Length ",
            b" Content-Length", b"Content-Lengths"]
CL_VALUES = [b"5", b"05", b"+5", b"-5", b"5, 5", b"5,5", b"5, 6", b" 5", b"5 ", b"", b"0x5", b"5.0", b"\t5",
             b"5\t", b"1 5", b"0", b"4", b"6", b"99999999999999999999", b"5,", b",5", b"5\r\n 5", b"\xd9\xa5"]
CHUNKED_BODY = b"5\r\nhello\r\n0\r\n\r\n"
SIZE_LINES = [b"5", b"05", b"0005", b"0x5", b"0X5", b"5 ", b" 5", b"\t5", b"5\t", b"+5", b"-5", b"5_", b"5;a=b",
              b"5;a", b"5 ;a=b", b"5; a = b", b"5;a=\"x;y\"", b"5;a=\"\\\"\"", b"5;a=\"\\\r\"", b"5;a=\"b",
              b"5;=b", b"5;a=", b"5;a b", b"5;a=b c", b"5;a=b;", b"5;;a", b"5;a=\"\x01\"", b"5;a=\x00",
              b"5;a=\xff", b"5;a=\"\xff\"", b"0000000000000000005", b"10000000000000005", b"ffffffffffffffff",
              b"fffffffffffffffff5", b"5\x00", b"5 5", b"5,", b"5;a=b\t", b"0x", b"", b"\xd9\xa5"]
SIZE_EOLS = [CRLF, b"\n", b"\r", b"\r\r\n", b"\n\r", b" \r\n"]
DATA_ENDS = [CRLF, b"\n", b"\r", b"", b"xx\r\n", b"\r\n\r\n", b" \r\n"]
LAST_CHUNKS = [b"0\r\n\r\n", b"0\n\n", b"0\r\n\n", b"0\n\r\n", b"00\r\n\r\n", b"0;e=1\r\n\r\n", b"0 \r\n\r\n",
               b"0\r\nX-T: 1\r\n\r\n", b"0\r\nX-T: 1\n\r\n", b"0\r\nX-T : 1\r\n\r\n", b"0\r\nX-T: 1\r\n x\r\n\r\n",
               b"0\r\n X-T: 1\r\n\r\n", b"0\r\nX-T\r\n\r\n", b"0\r\nContent-Length: 5\r\n\r\n",
               b"0\r\nTransfer-Encoding: chunked\r\n\r\n", b"0\r\nX-T: a\x00b\r\n\r\n", b"0\r\n\r\r\n", b"0\r\n"]
TARGETS = [b"/", b"/a?b", b"*", b"http://a/x", b"https://a/x", b"HTTP://a/x", b"http://a", b"http://a:80/x",
           b"http://u@a/x", b"http://[::1]/x", b"http:///x", b"a:80", b"a", b"//a/x", b"/a#b", b"/#", b"/a b",
           b"/caf\xc3\xa9", b"/\xff", b"/%00", b"/%0d%0a", b"/%zz", b"/%2e%2e/x", b"/a/../../x", b"/a\\b",
           b"/a\x7fb", b"/a\x00b", b"/a\tb", b"/a<b", b"/?a=\"", b"ftp://a/x", b"/" + b"a" * 9000, b"", b"?a",
           b"/a%2Fb", b"/%41", b"http://a?q", b"http://a:/x", b"http://a:99999/x"]
METHODS = [b"GET", b"POST", b"get", b"OPTIONS", b"CONNECT", b"PRI", b"M-SEARCH", b"X!#$%&'*+.^_`|~1", b"G\xc9T",
           b"GE(T", b"GE T", b"", b"G\x00ET", b"PROPFIND", b"TRACE", b"QUERY", b"\x16\x03\x01"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/1.9", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.10", b"HTTP/1",
            b"http/1.1", b"HTTP/1.1 ", b"HTTP/ 1.1", b"HTTP/1.1\t", b"HTTPS/1.1", b"HTTP/11.1", b"HTTP/9.9",
            b"HTTP/1.\xb9", b"HTTP/1,1", b""]
EOLS = [CRLF, b"\n", b"\r", b"\r\r\n", b"\n\r"]
HOSTS = [None, b"Host: a\r\nHost: a\r\n", b"Host: a\r\nHost: b\r\n", b"Host:\r\n", b"Host: \r\n", b"Host: u@a\r\n",
         b"Host: a, b\r\n", b"Host: a,b\r\n", b"Host: a b\r\n", b"Host: [::1]\r\n", b"Host: ::1\r\n", b"Host: a:\r\n",
         b"Host: :80\r\n", b"Host: a:x\r\n", b"Host: caf\xc3\xa9\r\n", b"Host: a/b\r\n", b"Host : a\r\n",
         b"Host: a\r\n b\r\n", b"host: a\r\n", b"HOST: A\r\n", b"Host:\ta\t\r\n", b"Host: a\x00\r\n",
         b"Host: a%41\r\n", b"Host: [1.2.3.4]\r\n"]
EXPECTS = [b"100-continue", b"100-Continue", b"100-continue, foo", b"foo", b"", b"100-continue;a=b", b" 100-continue ",
           b"100-continue\r\nExpect: 100-continue"]
FIELD_LINES = [b"X-A: b", b"X-A : b", b"X-A\t: b", b"X-A:b", b"X-A: b\r\n c", b"X-A: b\r\n\tc", b"X-A: b\r\n\r\n",
               b"X-A", b": b", b"X A: b", b"X-A: b\x00", b"X-A: \x7f", b"X-A: \xff", b"X-A:\t", b"X-A::b",
               b"X-A: b\r\n Transfer-Encoding: chunked", b"X-A: \"a\r\n b\"", b"X-A: b\rc", b"X-A: b\nc"]


def te_cl_case(rng):
    """Transfer-Encoding and Content-Length fields in random spellings, counts and orders."""
    fields, name = [], []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        if rng.random() < 0.6:
            n, v = rng.randrange(len(TE_NAMES)), rng.randrange(len(TE_VALUES))
            fields.append(TE_NAMES[n] + b":" + rng.choice([b" ", b"", b"\t"]) + TE_VALUES[v])
            name.append("te%d=%d" % (n, v))
        else:
            n, v = rng.randrange(len(CL_NAMES)), rng.randrange(len(CL_VALUES))
            fields.append(CL_NAMES[n] + b": " + CL_VALUES[v])
            name.append("cl%d=%d" % (n, v))
    if rng.random() < 0.15:
        fields.insert(rng.randrange(len(fields) + 1), b"X-A: b\r\n " + rng.choice([b"chunked", b"Transfer-Encoding: chunked"]))
        name.append("fold")
    version = rng.choice([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0"])
    body = rng.choice([CHUNKED_BODY, b"hello", b"5\r\nhello\r\n0\r\n\r\nhello"])
    return ("te-cl %s %s body%d" % (",".join(name), version.decode(), len(body)),
            request(b"Host: a\r\n" + b"".join(f + CRLF for f in fields), version=version, body=body))


def chunk_case(rng):
    """A chunked body with a random size line, line end, data end and last chunk."""
    s, e, d, last = (rng.randrange(len(SIZE_LINES)), rng.randrange(len(SIZE_EOLS)), rng.randrange(len(DATA_ENDS)),
                     rng.randrange(len(LAST_CHUNKS)))
    if rng.random() < 0.5:
        e, d, last = 0, 0, 0  # one thing wrong at a time, half of the time
    body = SIZE_LINES[s] + SIZE_EOLS[e] + b"hello" + DATA_ENDS[d] + LAST_CHUNKS[last]
    return ("chunk size%d eol%d end%d last%d" % (s, e, d, last),
            request(b"Host: a\r\nTransfer-Encoding: chunked\r\n", body=body))


def target_case(rng):
    m, t = rng.randrange(len(METHODS)), rng.randrange(len(TARGETS))
    return "target method%d target%d" % (m, t), request(b"Host: a\r\n", METHODS[m], TARGETS[t])


def version_case(rng):
    v = rng.randrange(len(VERSIONS))
    return "version %d" % v, request(b"Host: a\r\n", b"GET", version=VERSIONS[v])


def line_end_case(rng):
    """One of the line ends in the head replaced, or the final CRLF missing."""
    lines = [b"GET / HTTP/1.1", b"Host: a", b"X-A: b", b""]
    i, e = rng.randrange(len(lines)), rng.randrange(len(EOLS))
    ends = [CRLF] * len(lines)
    ends[i] = EOLS[e]
    data = b"".join(l + end for l, end in zip(lines, ends))
    if rng.random() < 0.2:
        return "line-end missing-final-crlf", data[:-2]
    if rng.random() < 0.2:
        return "line-end leading-empty %d" % e, EOLS[e] + data
    return "line-end line%d eol%d" % (i, e), data


def host_case(rng):
    h = rng.randrange(len(HOSTS))
    version = rng.choice([b"HTTP/1.1", b"HTTP/1.0"])
    target = rng.choice([b"/", b"http://b/x"])
    return ("host %d %s %s" % (h, version.decode(), target.decode()),
            request(HOSTS[h] or b"", b"GET", target, version))


def expect_case(rng):
    x = rng.randrange(len(EXPECTS))
    return "expect %d" % x, request(b"Host: a\r\nExpect: " + EXPECTS[x] + b"\r\nContent-Length: 5\r\n", body=b"hello")


def field_line_case(rng):
    f = rng.randrange(len(FIELD_LINES))
    first = rng.random() < 0.2
    head = FIELD_LINES[f] + CRLF + b"Host: a\r\n" if first else b"Host: a\r\n" + FIELD_LINES[f] + CRLF
    return "field %d%s" % (f, " first" if first else ""), request(head, b"GET")


def byte_case(rng):
    """A random byte somewhere in a random short field line (complements the sweep with pairs)."""
    line = bytearray(b"X-Ab: cd")
    for _ in range(rng.choice([1, 2])):
        line[rng.randrange(len(line))] = rng.randrange(256)
    return "byte %s" % bytes(line).hex(), request(b"Host: a\r\n" + bytes(line) + CRLF, b"GET")


GENERATORS = [te_cl_case, te_cl_case, te_cl_case, chunk_case, chunk_case, chunk_case, target_case, version_case,
              line_end_case, host_case, expect_case, field_line_case, byte_case]


def mutation_cases(seed, count):
    rng = random.Random(seed)
    cases, seen = [], set()
    for _ in range(count * 20):
        if len(cases) == count:
            break
        name, data = rng.choice(GENERATORS)(rng)
        if data not in seen:  # the same bytes twice tell nothing new
            seen.add(data)
            cases.append(("mutation " + name, data))
    return cases


# ---------------------------------------------------------------------------------------------
# Verdicts

def read_responses(port, data, timeout):
    """Sends data on a fresh connection; returns ([(status, body)], how it ended: 'closed' or 'timeout')."""
    responses, buffer = [], b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        ended = "closed"
        while True:
            parsed = parse_response(buffer)
            if parsed:
                status, body, rest = parsed
                buffer = rest
                if status != 100:
                    responses.append((status, body))
                continue
            try:
                block = sock.recv(65536)
            except socket.timeout:
                ended = "timeout"
                break
            except ConnectionResetError:
                break
            if not block:
                break
            buffer += block
    if buffer:
        status = diff_cheroot.status_of(buffer)
        responses.append((status, buffer.partition(b"\r\n\r\n")[2]))
    return responses, ended


def parse_response(buffer):
    """(status, body, rest) of the first complete response in buffer, or None."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    status = diff_cheroot.status_of(buffer)
    head, rest = buffer[:head_end].lower(), buffer[head_end + 4:]
    if status == 100:
        return status, b"", rest
    length = re.search(rb"\r\ncontent-length: *(\d+)", head)
    if length:
        n = int(length.group(1))
        return (status, rest[:n], rest[n:]) if len(rest) >= n else None
    if b"\r\ntransfer-encoding: chunked" in head:
        body, i = b"", 0
        while True:
            line_end = rest.find(b"\r\n", i)
            if line_end < 0:
                return None
            size = int(rest[i:line_end].split(b";")[0], 16)
            if size == 0:
                end = rest.find(b"\r\n\r\n", line_end)
                return (status, body, rest[end + 4:]) if end >= 0 else None
            if len(rest) < line_end + 2 + size + 2:
                return None
            body += rest[line_end + 2:line_end + 2 + size]
            i = line_end + 2 + size + 2
    return None  # close-delimited: taken whole at the end


def cgi_fields(pairs):
    """Field (name, value) pairs as CGI keys, repeated fields joined with ', ' (as the environ has them)."""
    fields = {}
    for name, value in pairs:
        if "_" in name:  # ours drops these (X_User would pass for X-User: WsgiGateway), so do we here
            continue
        key = name.upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        fields[key] = fields[key] + ", " + value if key in fields else value
    return fields


def server_verdict(responses, ended, to_seen):
    """{'verdict', 'seen', 'next'} from the responses of a server to a case and the follow-up."""
    if not responses:
        return {"verdict": "incomplete" if ended == "timeout" else "closed"}
    status, body = responses[0]
    seen = None
    if status == 200:
        try:
            seen = to_seen(json.loads(body))
        except ValueError:
            pass
    if seen is None:
        return {"verdict": "reject %s" % status, "why": body[:160].decode("utf-8", "replace")}
    if len(responses) < 2:
        follow = "no answer (%s)" % ended
    else:
        status2, body2 = responses[1]
        try:
            second = to_seen(json.loads(body2)) if status2 == 200 else None
        except ValueError:
            second = None
        if second and second["method"] == "GET" and second["target"] == "/plaintext":
            follow = "follow-up"
        elif second:
            follow = "other request %s %r" % (second["method"], second["target"][:40])
        elif status2 == 400 and body2.startswith(b"HPE_CLOSED_CONNECTION"):  # llhttp: data after a last request
            follow = "no answer (closed)"
        else:
            follow = "status %s" % status2
    return {"verdict": "accept", "seen": seen, "next": follow}


def ours_seen(j):
    text = lambda h: bytes.fromhex(h).decode("latin-1")
    return {"method": text(j["method"]), "target": text(j["target"]), "body": text(j["body"]),
            "fields": {k: text(v) for k, v in j["fields"].items()}}


def node_seen(j):
    raw = j["rawHeaders"]
    return {"method": j["method"], "target": j["url"], "body": j["body"],
            "fields": cgi_fields(zip(raw[0::2], raw[1::2]))}


def h11_verdict(data):
    import h11
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(data + FOLLOW_UP)
    seen, body = None, b""
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                return {"verdict": "incomplete"}
            if isinstance(event, h11.Request):
                seen = {"method": event.method.decode("latin-1"), "target": event.target.decode("latin-1"),
                        "fields": cgi_fields((n.decode("latin-1"), v.decode("latin-1"))
                                             for n, v in event.headers.raw_items())}
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                return {"verdict": "closed"}
    except h11.RemoteProtocolError as e:
        return {"verdict": "reject %s" % e.error_status_hint, "why": str(e)[:160]}
    seen["body"] = body.decode("latin-1")
    offset = len(data) + len(FOLLOW_UP) - len(conn.trailing_data[0])
    # where h11 ended the request, whether or not it would read another on this connection (it
    # closes after HTTP/1.0 requests, keep-alive or not)
    # (empty lines after the request are ignored before the next request-line, RFC 9112 §2.2)
    follow = "follow-up" if offset <= len(data) and re.fullmatch(rb"(\r\n)*", data[offset:]) else \
        "request ends at byte %d of %d" % (offset, len(data))
    return {"verdict": "accept", "seen": seen, "next": follow}


def comparable_fields(seen):
    """The fields without the differences that are known and harmless: HTTP_HOST of an absolute-form
    target (ours takes the target's authority, docs/http-compliance.md), CONTENT_LENGTH as a number
    (ours gives the app the number), and letter case of the values h11 lower-cases."""
    fields = dict(seen["fields"])
    if re.match(r"(?i)https?://", seen["target"]):
        fields.pop("HTTP_HOST", None)
    if re.fullmatch(r"\d+", fields.get("CONTENT_LENGTH", "")):
        fields["CONTENT_LENGTH"] = str(int(fields["CONTENT_LENGTH"]))
    for key in ("HTTP_TRANSFER_ENCODING", "HTTP_CONNECTION", "HTTP_EXPECT"):
        if key in fields:
            fields[key] = fields[key].lower()
    return fields


def classify(ours, node, h11v):
    accepted = [v["verdict"] == "accept" for v in (ours, node, h11v)]
    if accepted[0] and not accepted[1] and not accepted[2]:
        return "a"
    if not accepted[0] and accepted[1] and accepted[2]:
        return "b"
    if all(accepted):
        # a parser that closed after the request (HTTP/1.0, Connection: close) tells nothing of where it ended
        ends = {v["next"] == "follow-up" for v in (ours, node, h11v) if not v["next"].startswith("no answer")}
        if len({v["seen"]["body"] for v in (ours, node, h11v)}) > 1 or len(ends) > 1:
            return "c"
        seen = [(v["seen"]["method"], v["seen"]["target"], sorted(comparable_fields(v["seen"]).items()))
                for v in (ours, node, h11v)]
        return "agree" if len(set(map(repr, seen))) == 1 else "d"
    return "agree" if not any(accepted) else "d"


def run_case(case, ours_port, node_port, timeout):
    name, data = case
    o_responses, o_ended = read_responses(ours_port, data + FOLLOW_UP, timeout)
    n_responses, n_ended = read_responses(node_port, data + FOLLOW_UP, timeout)
    ours = server_verdict(o_responses, o_ended, ours_seen)
    node = server_verdict(n_responses, n_ended, node_seen)
    h11v = h11_verdict(data)
    return name, data, ours, node, h11v, classify(ours, node, h11v)


def describe(v):
    if v["verdict"] != "accept":
        return v["verdict"] + (" (%s)" % v["why"].strip().replace("\n", " ") if v.get("why") else "")
    s = v["seen"]
    return "accept %s %r body=%r next=%s" % (s["method"], s["target"][:60], s["body"][:40], v["next"])


def short(v):
    """A verdict in a few words: accept, or the status and the rule (ours), llhttp error code or h11 reason."""
    if v["verdict"] != "accept":
        why = v.get("why", "")
        rule = re.search(r"\(([A-Z_0-9]{4,})[,)]", why) or re.match(r"(HPE_[A-Z_]+)", why)
        return v["verdict"] + " " + (rule.group(1) if rule else " ".join(why.split()[:4]))
    return "accept" + ("" if v["next"] == "follow-up" else " (%s)" % re.sub(r"\d+", "N", v["next"])[:30])


def field_differences(ours, node, h11v):
    """The fields on which the three disagree, where all accept."""
    fields = [comparable_fields(v["seen"]) for v in (ours, node, h11v)]
    keys = set(fields[0]) | set(fields[1]) | set(fields[2])
    return {k: [f.get(k) for f in fields] for k in sorted(keys) if len({repr(f.get(k)) for f in fields}) > 1}


CLASS_TITLES = {
    "a": "(a) ours accepts, llhttp and h11 both do not",
    "b": "(b) ours refuses, llhttp and h11 both accept",
    "c": "(c) all accept, body or framing differs",
    "d": "(d) the rest: other verdict disagreements, or method/target/fields differ where all accept",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    diff_cheroot.add_server_arguments(parser)
    parser.add_argument("--test-classes", default=os.path.join(REPO, "core", "target", "test-classes"))
    parser.add_argument("--node", default="node")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=400, help="random mutations (default 400)")
    parser.add_argument("--only", choices=["conformance", "sweep", "mutation"])
    parser.add_argument("--case", help="run only the cases whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--timeout", type=float, default=1.5)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the cases all three agree on")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="diff-parsers-")
    ours = node = None
    try:
        cases = []
        if args.only in (None, "conformance"):
            try:
                cases += conformance_cases(args, workdir)
            except (RuntimeError, OSError) as e:
                print(e, file=sys.stderr)
                return 1
        if args.only in (None, "sweep"):
            cases += byte_sweep_cases()
        if args.only in (None, "mutation"):
            cases += mutation_cases(args.seed, args.count)
        cases = [c for c in cases if not args.case or args.case in c[0]]
        if args.list:
            for name, data in cases:
                print("%-50s %r" % (name, data))
            return 0
        try:
            ours, ours_port = diff_cheroot.start_ours(args, workdir, DUMP_APP_JAVA, "ParsedRequestDump", OUR_OPTIONS)
            node, node_port = start_node(args.node, workdir)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
            print("could not start a server: %s" % e, file=sys.stderr)
            return 1
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda c: run_case(c, ours_port, node_port, args.timeout), cases))
        by_class = {}
        for result in results:
            by_class.setdefault(result[5], []).append(result)
        for cls in "abcd":
            items = by_class.get(cls, [])
            print("\n==== %s: %d" % (CLASS_TITLES[cls], len(items)))
            signatures = {}
            for _, _, o, n, h, _ in items:
                key = "ours %s | llhttp %s | h11 %s" % (short(o), short(n), short(h))
                signatures[key] = signatures.get(key, 0) + 1
            for key, count in sorted(signatures.items(), key=lambda kv: -kv[1]):
                print("%5d  %s" % (count, key))
            for name, data, o, n, h, _ in items:
                print("\n-- %s\n   bytes: %r" % (name, data[:300]))
                print("   ours:   %s\n   llhttp: %s\n   h11:    %s" % (describe(o), describe(n), describe(h)))
                if cls == "d" and all(v["verdict"] == "accept" for v in (o, n, h)):
                    for key, values in field_differences(o, n, h).items():
                        print("   field %s: ours %r, llhttp %r, h11 %r" % ((key,) + tuple(values)))
        if args.verbose:
            print("\n==== all three agree")
            for name, data, o, n, h, _ in by_class.get("agree", []):
                print("-- %s: ours %s / llhttp %s / h11 %s" % (name, describe(o), n["verdict"], h["verdict"]))
        mismatched = [(name, o) for name, _, o, _, _, _ in results if name.startswith("conformance")
                      and re.search(r" (\d+):", name).group(1) != ("200" if o["verdict"] == "accept" else o["verdict"][7:])]
        if mismatched:  # the table runs against the same parser: a mismatch is a harness error
            print("\n==== conformance rows where ours does not answer the table's status: %d" % len(mismatched))
            for name, o in mismatched:
                print("-- %s: ours %s" % (name, describe(o)))
        print("\n%d cases: %s" % (len(results), ", ".join(
            "%s %d" % (cls, len(by_class.get(cls, []))) for cls in ("a", "b", "c", "d", "agree"))))
        return 0
    finally:
        stop_process(ours)
        stop_process(node)
        diff_cheroot.shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
