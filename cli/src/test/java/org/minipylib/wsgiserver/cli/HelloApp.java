package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** A test application loaded by class name: answers {@code hello from GREETING}. */
public class HelloApp implements WsgiApp {

    private final String greeting;

    /** The constructor the command line calls. */
    public HelloApp() {
        this("HelloApp");
    }

    /** An app that says {@code hello from greeting}. */
    public HelloApp(String greeting) {
        this.greeting = greeting;
    }

    @Override
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) {
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("hello from " + greeting).getBytes(StandardCharsets.US_ASCII));
    }
}
