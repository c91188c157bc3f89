package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.WsgiServer;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line run in this JVM, with its output captured; closing it stops the server if one
 * started. Tests bind to 127.0.0.1:0 (any free port).
 */
final class CliRun implements AutoCloseable {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Launch launch;

    private CliRun(String... args) {
        launch = Main.launch(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** Runs the command line with {@code args}, whatever comes of it. */
    static CliRun run(String... args) {
        return new CliRun(args);
    }

    /** Runs the command line with {@code args}, which must start a server. */
    static CliRun start(String... args) {
        CliRun run = new CliRun(args);
        assertTrue(run.launch.started(), () -> "the server did not start (exit code " + run.exitCode() + "): " + run.err());
        return run;
    }

    /**
     * Runs the command line with {@code args}, which must be refused as a usage error: no server,
     * exit code 2, {@code expectedMessage} on standard error. Returns standard error, for further checks.
     */
    static String usageError(String expectedMessage, String... args) {
        try (CliRun cli = run(args)) {
            assertNull(cli.server(), "no server started");
            assertEquals(2, cli.exitCode(), cli.err());
            assertTrue(cli.err().contains(expectedMessage), cli.err());
            return cli.err();
        }
    }

    WsgiServer server() {
        return launch.server();
    }

    int exitCode() {
        return launch.exitCode();
    }

    /** What the command printed to standard output. */
    String out() {
        return out.toString();
    }

    /** What the command printed to standard error. */
    String err() {
        return err.toString();
    }

    /** {@code http://127.0.0.1:PORT} + {@code pathAndQuery}, on the first address listened on. */
    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server().port() + pathAndQuery);
    }

    /** A GET of {@code pathAndQuery} over HTTP/1.1 on a new client, with bounded waits. */
    HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            return client.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A GET of {@code pathAndQuery} as {@link #get}, the body as bytes, with {@code Accept-Encoding: gzip} if asked. */
    HttpResponse<byte[]> getBytes(String pathAndQuery, boolean acceptGzip) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10));
            if (acceptGzip) request.header("Accept-Encoding", "gzip");
            return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    @Override
    public void close() {
        if (launch.started()) server().stop();
    }
}
