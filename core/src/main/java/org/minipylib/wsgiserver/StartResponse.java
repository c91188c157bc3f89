package org.minipylib.wsgiserver;

import java.util.List;

/**
 * PEP 3333's {@code start_response} callable: sets the response status and headers.
 *
 * <p>Headers are not sent at once: they go out with the first non-empty body chunk or
 * {@link BodyWriter#write} call, or at the end of the response if the body is empty.
 * Calling {@code start} a second time is an error, unless an exception is passed:
 * {@link #start(String, List, Throwable)} then replaces status and headers if they have not been
 * sent yet, and rethrows {@code excInfo} if they have.
 */
@FunctionalInterface
public interface StartResponse {

    /**
     * Sets status and headers.
     *
     * @param status  a status line such as {@code "200 OK"}: three digits (200-599), a space, a reason
     *                phrase; the reason may be empty ({@code "200"} or {@code "200 "}: RFC 9112 section 4)
     * @param headers the response headers; hop-by-hop headers are refused, as PEP 3333 requires,
     *                except {@code Connection}: read for a {@code close} token (the connection then
     *                closes after the response), never sent as given
     * @return the {@code write} callable, for applications that push their body imperatively
     * @throws IllegalStateException    if the response was already started
     * @throws IllegalArgumentException if the status or a header is malformed
     */
    default BodyWriter start(String status, List<Header> headers) {
        return start(status, headers, null);
    }

    /**
     * Sets status and headers after an error: replaces an earlier status and headers if they were
     * not sent yet; if they were, rethrows {@code excInfo} (wrapped if it is a checked exception).
     *
     * @param excInfo the error being handled; {@code null} behaves like {@link #start(String, List)}
     */
    BodyWriter start(String status, List<Header> headers, Throwable excInfo);
}
