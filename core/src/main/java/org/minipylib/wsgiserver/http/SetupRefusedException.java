package org.minipylib.wsgiserver.http;

import java.io.IOException;

/**
 * Thrown by a {@link ConnectionSetup} step that answered the client with an HTTP error itself (a
 * TLS port answering a plain-HTTP request with {@code 400}) before the connection ends. The server
 * counts and logs that answer like its own refusals: in the statistics and the access log.
 */
public final class SetupRefusedException extends IOException {

    private final int status;
    private final String requestLine;
    private final long bodyBytes;

    /**
     * @param message     why, for the debug log
     * @param status      the status the client was answered with
     * @param requestLine the request line as far as it arrived, or null
     * @param bodyBytes   the bytes of content sent with the answer
     */
    public SetupRefusedException(String message, int status, String requestLine, long bodyBytes) {
        super(message);
        this.status = status;
        this.requestLine = requestLine;
        this.bodyBytes = bodyBytes;
    }

    /** The status the client was answered with. */
    public int status() {
        return status;
    }

    /** The request line as far as it arrived, or null. */
    public String requestLine() {
        return requestLine;
    }

    /** The bytes of content sent with the answer. */
    public long bodyBytes() {
        return bodyBytes;
    }

    /** The message alone: the server's debug line for the connection reads well without the class name. */
    @Override
    public String toString() {
        return getMessage();
    }
}
