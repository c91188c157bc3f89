package org.minipylib.wsgiserver.cli;

/**
 * The APP argument does not name a usable application: the class is missing, or it or the named
 * member is not of a kind {@link AppLoader} accepts. The message says what is wrong, for the user.
 */
public final class AppLoadingException extends Exception {

    /** A failure described by {@code message}. */
    public AppLoadingException(String message) {
        super(message);
    }

    /** A failure described by {@code message}, caused by {@code cause}. */
    public AppLoadingException(String message, Throwable cause) {
        super(message, cause);
    }
}
