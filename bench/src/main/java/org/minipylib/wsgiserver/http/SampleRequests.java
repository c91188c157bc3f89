package org.minipylib.wsgiserver.http;

import java.nio.charset.StandardCharsets;

/** Request heads the benchmarks parse: what wrk sends, and what a browser sends. */
final class SampleRequests {

    /** wrk's plaintext request: request line, Host, nothing else. */
    static final String WRK = "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

    /** A browser's request: eleven headers, a query string, cookies. */
    static final String BROWSER = "GET /articles/2024/http-servers?page=2&sort=new HTTP/1.1\r\n"
            + "Host: www.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-GB,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Referer: https://www.example.com/articles/2024\r\n"
            + "Connection: keep-alive\r\n"
            + "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "Sec-Fetch-Dest: document\r\n"
            + "Priority: u=0, i\r\n"
            + "\r\n";

    private SampleRequests() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] repeated(String s, int times) {
        return bytes(s.repeat(times));
    }
}
