#!/usr/bin/python3
"""Differential test of static file serving: the same raw requests to nginx and to wsgiserver --static.

Makes a temporary directory (a text file, 100 KB of binary, an empty file, names with a space and
in UTF-8, a subdirectory with index.html and one without, a symbolic link to a file outside the
directory, a dotfile, all dated to a fixed past time), serves it at /s/ with the wsgiserver CLI
(`--static /s=DIR`) and with nginx (`location /s/ { alias DIR/; }`, `etag on`), both on 127.0.0.1
with ephemeral ports, sends each case's bytes to both over a fresh connection (`Connection: close`,
read to the end) and compares the status, Content-Range, Content-Length, Content-Type, the body
(length and SHA-256; of a multipart/byteranges body, each part's Content-Range and SHA-256) and whether ETag and
Last-Modified are there. "{ETAG}" in a case is replaced by the ETag that server gave for the file
(the two servers' ETags differ in form), "{LM}" by the file's Last-Modified date.

Usage:
  . bin/jdk.sh && mvn -B -o -q -pl core,cli,jdk-httpserver package -DskipTests
  python3 scripts/diff-nginx-static.py            # differences only
  python3 scripts/diff-nginx-static.py -v         # every case
  python3 scripts/diff-nginx-static.py --case range
Options: --java (default Temurin 25), --jar (default cli/target/wsgiserver.jar), --nginx
(default /usr/sbin/nginx). Talks to 127.0.0.1 only; both servers are stopped on exit. Exit status
0 whatever differs (this is a report), 1 if a server could not be started.
"""
import argparse
import email.utils
import hashlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

MTIME = 1700000000  # 2023-11-14, a fixed past date for every file

CASES = [
    # (name, method, target, extra header lines)
    ("get-text", "GET", "/s/a.txt", []),
    ("get-bin", "GET", "/s/bin.dat", []),
    ("get-empty", "GET", "/s/empty.txt", []),
    ("head-text", "HEAD", "/s/a.txt", []),
    ("head-bin", "HEAD", "/s/bin.dat", []),
    ("range-single", "GET", "/s/bin.dat", ["Range: bytes=0-99"]),
    ("range-suffix", "GET", "/s/bin.dat", ["Range: bytes=-500"]),
    ("range-open", "GET", "/s/bin.dat", ["Range: bytes=500-"]),
    ("range-0-0", "GET", "/s/bin.dat", ["Range: bytes=0-0"]),
    ("range-last-past-end", "GET", "/s/bin.dat", ["Range: bytes=102000-999999"]),
    ("range-suffix-bigger", "GET", "/s/a.txt", ["Range: bytes=-99999"]),
    ("range-multi", "GET", "/s/bin.dat", ["Range: bytes=0-9,20-29"]),
    ("range-multi-overlap", "GET", "/s/bin.dat", ["Range: bytes=0-99,50-149"]),
    ("range-multi-adjacent", "GET", "/s/bin.dat", ["Range: bytes=0-9,10-19"]),
    ("range-multi-unordered", "GET", "/s/bin.dat", ["Range: bytes=20-29,0-9"]),
    ("range-multi-one-unsat", "GET", "/s/bin.dat", ["Range: bytes=0-9,999999-"]),
    ("range-unsat", "GET", "/s/bin.dat", ["Range: bytes=999999-"]),
    ("range-unsat-suffix0", "GET", "/s/bin.dat", ["Range: bytes=-0"]),
    ("range-invalid-reversed", "GET", "/s/bin.dat", ["Range: bytes=9-0"]),
    ("range-invalid-syntax", "GET", "/s/bin.dat", ["Range: bytes=abc"]),
    ("range-invalid-unit", "GET", "/s/bin.dat", ["Range: items=0-9"]),
    ("range-spaces", "GET", "/s/bin.dat", ["Range: bytes=0 - 9"]),
    ("range-empty-file", "GET", "/s/empty.txt", ["Range: bytes=0-0"]),
    ("range-head", "HEAD", "/s/bin.dat", ["Range: bytes=0-99"]),
    ("range-33-ranges", "GET", "/s/bin.dat", ["Range: bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(33))]),
    ("range-sum-over-size", "GET", "/s/a.txt", ["Range: bytes=0-,0-,0-"]),
    ("if-range-no-range", "GET", "/s/bin.dat", ['If-Range: "nope"']),
    ("if-range-etag-match", "GET", "/s/bin.dat", ["Range: bytes=0-99", "If-Range: {ETAG}"]),
    ("if-range-etag-other", "GET", "/s/bin.dat", ["Range: bytes=0-99", 'If-Range: "nope"']),
    ("if-range-weak", "GET", "/s/bin.dat", ["Range: bytes=0-99", "If-Range: W/{ETAG}"]),
    ("if-range-date-match", "GET", "/s/bin.dat", ["Range: bytes=0-99", "If-Range: {LM}"]),
    ("if-range-date-later", "GET", "/s/bin.dat", ["Range: bytes=0-99", "If-Range: Thu, 01 Jan 2037 00:00:00 GMT"]),
    ("inm-etag", "GET", "/s/a.txt", ["If-None-Match: {ETAG}"]),
    ("inm-star", "GET", "/s/a.txt", ["If-None-Match: *"]),
    ("inm-weak", "GET", "/s/a.txt", ["If-None-Match: W/{ETAG}"]),
    ("inm-list", "GET", "/s/a.txt", ['If-None-Match: "x", {ETAG}, "y"']),
    ("inm-other", "GET", "/s/a.txt", ['If-None-Match: "x"']),
    ("inm-head", "HEAD", "/s/a.txt", ["If-None-Match: {ETAG}"]),
    ("inm-match-ims-earlier", "GET", "/s/a.txt", ["If-None-Match: {ETAG}", "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT"]),
    ("inm-other-ims-equal", "GET", "/s/a.txt", ['If-None-Match: "x"', "If-Modified-Since: {LM}"]),
    ("ims-equal", "GET", "/s/a.txt", ["If-Modified-Since: {LM}"]),
    ("ims-later", "GET", "/s/a.txt", ["If-Modified-Since: Thu, 01 Jan 2037 00:00:00 GMT"]),
    ("ims-earlier", "GET", "/s/a.txt", ["If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT"]),
    ("ims-invalid", "GET", "/s/a.txt", ["If-Modified-Since: yesterday"]),
    ("ims-rfc850", "GET", "/s/a.txt", ["If-Modified-Since: {LM850}"]),
    ("ims-asctime", "GET", "/s/a.txt", ["If-Modified-Since: {LMASC}"]),
    ("im-etag", "GET", "/s/a.txt", ["If-Match: {ETAG}"]),
    ("im-other", "GET", "/s/a.txt", ['If-Match: "x"']),
    ("im-star", "GET", "/s/a.txt", ["If-Match: *"]),
    ("im-weak", "GET", "/s/a.txt", ["If-Match: W/{ETAG}"]),
    ("ius-equal", "GET", "/s/a.txt", ["If-Unmodified-Since: {LM}"]),
    ("ius-earlier", "GET", "/s/a.txt", ["If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT"]),
    ("ius-invalid", "GET", "/s/a.txt", ["If-Unmodified-Since: yesterday"]),
    ("im-etag-ius-earlier", "GET", "/s/a.txt", ["If-Match: {ETAG}", "If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT"]),
    ("im-other-range", "GET", "/s/bin.dat", ['If-Match: "x"', "Range: bytes=0-9"]),
    ("inm-range", "GET", "/s/bin.dat", ["If-None-Match: {ETAG}", "Range: bytes=0-9"]),
    ("pct-space", "GET", "/s/with%20space.txt", []),
    ("pct-utf8", "GET", "/s/%C3%A9t%C3%A9.txt", []),
    ("pct-letters", "GET", "/s/%61.txt", []),
    ("pct-slash", "GET", "/s/sub%2Findex.html", []),
    ("raw-space", "GET", "/s/with space.txt", []),
    ("dotdot", "GET", "/s/../s/a.txt", []),
    ("dotdot-above", "GET", "/s/../../etc/passwd", []),
    ("pct-dotdot", "GET", "/s/%2e%2e/s/a.txt", []),
    ("pct-dotdot-above", "GET", "/s/%2e%2e/%2e%2e/etc/passwd", []),
    ("dotfile", "GET", "/s/.hidden", []),
    ("symlink-out", "GET", "/s/outlink.txt", []),
    ("symlink-in", "GET", "/s/inlink.txt", []),
    ("file-slash", "GET", "/s/a.txt/", []),
    ("dir-index", "GET", "/s/sub/", []),
    ("dir-no-slash", "GET", "/s/sub", []),
    ("dir-no-slash-query", "GET", "/s/sub?x=1", []),
    ("dir-no-index", "GET", "/s/noindex/", []),
    ("dir-no-index-no-slash", "GET", "/s/noindex", []),
    ("missing", "GET", "/s/missing.txt", []),
    ("root", "GET", "/s/", []),
    ("query", "GET", "/s/a.txt?v=1", []),
    ("post", "POST", "/s/a.txt", ["Content-Length: 0"]),
    ("put", "PUT", "/s/a.txt", ["Content-Length: 0"]),
    ("options", "OPTIONS", "/s/a.txt", []),
]

COMPARED = ["content-range", "content-length", "content-type", "location", "allow"]


def make_tree(root, outside):
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write("outside\n")
    files = {
        "a.txt": b"hello, static world\n" * 5,
        "bin.dat": bytes((i * 7 + i // 256) % 256 for i in range(102400)),
        "empty.txt": b"",
        "with space.txt": b"space\n",
        "\u00e9t\u00e9.txt": b"utf-8 name\n",
        ".hidden": b"dot\n",
        "sub/index.html": b"<p>index</p>\n",
        "noindex/x.txt": b"x\n",
    }
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "outlink.txt"))
    os.symlink("a.txt", os.path.join(root, "inlink.txt"))
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            os.utime(os.path.join(dirpath, n), (MTIME, MTIME), follow_symlinks=False)
    os.utime(root, (MTIME, MTIME))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ours(java, jar, root):
    proc = subprocess.Popen([java, "-jar", jar, "--bind", "127.0.0.1:0", "--static", "/s=" + root],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    sys.exit("wsgiserver did not start")


def start_nginx(nginx, root, tmp):
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  include /etc/nginx/mime.types; default_type application/octet-stream;
  server {{ listen 127.0.0.1:{port}; etag on; location /s/ {{ alias {root}/; }} }}
}}
""")
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("nginx did not start")


def exchange(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    return status, headers, body


def summary(status, headers, body):
    out = {"status": status}
    for k in COMPARED:
        v = headers.get(k)
        if k == "content-type" and v:
            # nginx names no charset (no charset directive): only the media type is compared
            v = re.sub(r";\s*charset=\S+", "", re.sub(r"boundary=\S+", "boundary=BOUNDARY", v)).replace("; ", ";").lower()
        if k == "location" and v:
            v = re.sub(r"^http://127\.0\.0\.1:\d+", "", v)
        out[k] = v
    m = re.search(r"boundary=\"?([^\";]+)", headers.get("content-type", ""))
    if m and status == 206:
        # the boundaries differ in length, so Content-Length does: the parts are compared instead
        out["body"] = parts(body, m.group(1).encode())
        out["content-length"] = "(multipart)" if out["content-length"] == str(len(body)) else "WRONG"
    elif status < 300:
        out["body"] = f"{len(body)} bytes sha256:{hashlib.sha256(body).hexdigest()[:12]}"
    else:  # the two servers' status pages differ by design: their bodies and types are not compared
        out["body"] = out["content-length"] = out["content-type"] = "(status page)" if body else None
    out["etag"] = "yes" if "etag" in headers else None
    out["last-modified"] = headers.get("last-modified")
    return out


def parts(body, boundary):
    """A multipart/byteranges body as its parts' Content-Range and content digest."""
    out = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.partition(b"\r\n\r\n")
        cr = re.search(rb"(?im)^content-range:\s*(.+?)\r?$", head)
        data = data[:-2] if data.endswith(b"\r\n") else data
        out.append(f"[{cr.group(1).decode() if cr else None} {hashlib.sha256(data).hexdigest()[:8]}]")
    return " ".join(out)


def request(port, method, target, extra, etag, lm):
    subst = {"{ETAG}": etag or '"none"', "{LM}": lm,
             "{LM850}": time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(MTIME)),
             "{LMASC}": time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(MTIME))}
    lines = []
    for h in extra:
        for k, v in subst.items():
            h = h.replace(k, v)
        lines.append(h)
    raw = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    raw += "".join(h + "\r\n" for h in lines) + "\r\n"
    return exchange(port, raw.encode("utf-8")), lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-v", action="store_true")
    p.add_argument("--case")
    p.add_argument("--java", default="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    p.add_argument("--jar", default="cli/target/wsgiserver.jar")
    p.add_argument("--nginx", default="/usr/sbin/nginx")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "root")
        outside = os.path.join(tmp, "outside")
        os.chmod(tmp, 0o755)  # nginx's worker runs as another user when started as root
        os.makedirs(root)
        os.makedirs(outside)
        make_tree(root, outside)
        ours = nginx = None
        try:
            ours, our_port = start_ours(a.java, a.jar, root)
            nginx, nginx_port = start_nginx(a.nginx, root, tmp)
            servers = [("ours", our_port), ("nginx", nginx_port)]
            etags = {}
            for name, port in servers:
                for f in ("/s/a.txt", "/s/bin.dat"):
                    _, h, _ = exchange(port, f"GET {f} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    etags[(name, f)] = h.get("etag")
            lm = email.utils.formatdate(MTIME, usegmt=True)
            differing = []
            for case, method, target, extra in CASES:
                if a.case and a.case not in case:
                    continue
                results = {}
                sent = None
                for name, port in servers:
                    (st, h, b), sent = request(port, method, target, extra, etags.get((name, target.split("?")[0])), lm)
                    results[name] = summary(st, h, b)
                diff = [k for k in results["ours"] if results["ours"][k] != results["nginx"][k]]
                if diff:
                    differing.append(case)
                if diff or a.v:
                    print(f"== {case}: {method} {target} {extra}" + ("" if diff else "  (same)"))
                    for k in results["ours"]:
                        if k in diff or a.v:
                            print(f"   {k:15} ours={results['ours'][k]!r}  nginx={results['nginx'][k]!r}")
            print(f"\n{len(differing)} differing case(s): {' '.join(differing)}")
        finally:
            for proc in (ours, nginx):
                if proc:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()


if __name__ == "__main__":
    main()
