package org.minipylib.wsgiserver.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.minipylib.wsgiserver.Header;

/**
 * The error responses the server writes by itself ({@code 400}, {@code 413}, {@code 503}...): a
 * short plain-text body giving the reason, not to be sniffed as anything else, and for a
 * {@code 503} when to try again. Those with no request to answer (a head refused or not parsed, a
 * plain HTTP request on a TLS port) are written whole by {@link #closing}; the others go through
 * {@link HttpResponse} with {@link #headers} and {@link #body}.
 */
public final class ErrorResponse {

    private static final List<Header> PLAIN_TEXT = List.of(
            Header.of("Content-Type", "text/plain; charset=utf-8"), Header.of("X-Content-Type-Options", "nosniff"));
    private static final List<Header> PLAIN_TEXT_RETRY = List.of(
            PLAIN_TEXT.get(0), PLAIN_TEXT.get(1), Header.of("Retry-After", "1"));

    private ErrorResponse() {
    }

    /**
     * The header fields of an error response besides those every response has (Date, Server,
     * Content-Length, Connection).
     */
    static List<Header> headers(int status) {
        return status == 503 ? PLAIN_TEXT_RETRY : PLAIN_TEXT;
    }

    /** The body of an error response: its message on a line. */
    static byte[] body(String message) {
        return (message + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A whole HTTP/1.1 error response that closes the connection, with a {@code Date} (RFC 9110
     * section 6.6.1).
     *
     * @param serverHeader the {@code Server} field's value, or null for none
     * @param headRequest  the refused request is a HEAD: the header fields without the content
     *                     (RFC 9110 section 9.3.2)
     */
    public static byte[] closing(int status, String message, String serverHeader, boolean headRequest) {
        byte[] body = body(message);
        StringBuilder head = new StringBuilder(200).append("HTTP/1.1 ").append(status).append(' ')
                .append(HttpStatus.reason(status)).append("\r\n");
        head.append(new String(HttpDate.headerLine(), StandardCharsets.ISO_8859_1));
        if (serverHeader != null) head.append("Server: ").append(serverHeader).append("\r\n");
        for (Header h : headers(status)) head.append(h.name()).append(": ").append(h.value()).append("\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
        ByteArrayOutputStream response = new ByteArrayOutputStream(head.length() + body.length);
        response.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!headRequest) response.writeBytes(body);
        return response.toByteArray();
    }

    /** The length of the body {@link #closing} gives {@code message}. */
    public static int bodyLength(String message) {
        return body(message).length;
    }
}
