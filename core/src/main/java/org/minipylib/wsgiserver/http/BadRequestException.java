package org.minipylib.wsgiserver.http;

import java.io.IOException;

/**
 * A request the server refuses: malformed, too large, of a kind it does not implement, or one it
 * cannot take now (a head too long for the memory left to heads). Carries the status to answer with
 * (400, 413, 414, 417, 431, 501, 503, 505) and a short message that
 * becomes the response body. After one of these the connection is always closed, because the
 * framing of whatever follows is in doubt.
 *
 * <p>It is an {@link IOException} so that an application reading {@code wsgi.input} sees a body
 * error as an I/O error; the server still answers with this status if the response had not started.
 */
public final class BadRequestException extends IOException {

    private final int status;
    private final ComplianceViolation violation;

    public BadRequestException(int status, String message) {
        this(status, null, message);
    }

    private BadRequestException(int status, ComplianceViolation violation, String message) {
        super(message, null);
        this.status = status;
        this.violation = violation;
    }

    /** A 400 Bad Request for {@code violation}; the message names it and its RFC section. */
    public static BadRequestException violation(ComplianceViolation violation, String message) {
        return new BadRequestException(400, violation,
                message + " (" + violation.name() + ", " + violation.rfcSection() + ")");
    }

    /** A 400 Bad Request. */
    public static BadRequestException badRequest(String message) {
        return new BadRequestException(400, message);
    }

    /** The rule the request broke, or {@code null} for a limit or an unsupported feature. */
    public ComplianceViolation violation() {
        return violation;
    }

    /** The HTTP status to answer with. */
    public int status() {
        return status;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // thrown on hostile input: keep it cheap
    }
}
