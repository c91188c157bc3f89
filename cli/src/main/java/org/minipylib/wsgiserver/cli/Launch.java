package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.WsgiServer;

/**
 * What running the command line did: the server it started, or, if it started none (after
 * {@code --help} or {@code --version}, or on an error), the exit code to end with.
 *
 * @param exitCode 0 on success, 2 for a usage error, 1 if the server could not start
 * @param server   the running server, or {@code null}
 * @param status   where the server's lifecycle lines (its addresses, stopping, stopped) go
 * @param pidFile  the {@code --pid-file} written, or {@code null}; {@link Main#main}'s graceful stop removes it
 * @param accessLogFile the {@code --access-log} file (SIGUSR1 reopens it), or {@code null} for none or standard output
 */
public record Launch(int exitCode, WsgiServer server, java.io.PrintWriter status, java.nio.file.Path pidFile,
                     String accessLogFile) {

    /** True if a server was started. */
    public boolean started() {
        return server != null;
    }
}
