package org.minipylib.wsgiserver.http;

import java.io.IOException;

/**
 * Thrown by a {@link ConnectionSetup} step that found the client speaking HTTP where the step
 * expected something else (a TLS port given a plain-HTTP request): the connection answers it with
 * the error response this describes, written by the HTTP layer as its own refusals are (with its
 * {@code Date} and {@code Server} fields), counts and logs it like them, and closes.
 */
public final class SetupRefusedException extends IOException {

    private final int status;
    private final String answer;
    private final String requestLine;
    private final boolean headRequest;

    /**
     * @param message     why, for the debug log
     * @param status      the status to answer (400, say)
     * @param answer      the text of the answer's body, for the client
     * @param requestLine the request line as far as it arrived, or null
     * @param headRequest true if the request is a HEAD (the answer then has no body)
     */
    public SetupRefusedException(String message, int status, String answer, String requestLine, boolean headRequest) {
        super(message);
        this.status = status;
        this.answer = answer;
        this.requestLine = requestLine;
        this.headRequest = headRequest;
    }

    /** The status to answer. */
    public int status() {
        return status;
    }

    /** The text of the answer's body. */
    public String answer() {
        return answer;
    }

    /** The request line as far as it arrived, or null. */
    public String requestLine() {
        return requestLine;
    }

    /** True if the refused request is a HEAD. */
    public boolean headRequest() {
        return headRequest;
    }

    /** The message alone: the server's debug line for the connection reads well without the class name. */
    @Override
    public String toString() {
        return getMessage();
    }
}
