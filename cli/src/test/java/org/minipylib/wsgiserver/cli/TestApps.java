package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.Header;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Members for the {@code CLASS::MEMBER} form of APP, good and bad, and classes APP must refuse. */
public final class TestApps {

    private TestApps() {
    }

    /** A public static field holding an app. */
    public static final WsgiApp FIELD = new HelloApp("FIELD");

    /** A factory that gives up with {@code System.exit(7)}, as applications do on a bad configuration. */
    public static WsgiApp exitsWhileLoaded() {
        System.exit(7);
        return null;
    }

    /** A public static no-argument method returning an app. */
    public static WsgiApp factory() {
        return new HelloApp("factory");
    }

    /** A public static method with the application's signature. */
    public static Iterable<byte[]> handle(Environ environ, StartResponse startResponse) {
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of(("hello from handle at " + environ.pathInfo()).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Starts a thread that dies of an OutOfMemoryError (as the JDK's I/O poller may when the heap
     * runs out), then answers.
     */
    public static Iterable<byte[]> outOfMemoryInAThread(Environ environ, StartResponse startResponse) {
        Thread.ofPlatform().name("test-out-of-memory").start(() -> {
            throw new OutOfMemoryError("thrown by the test app");
        });
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of("started".getBytes(StandardCharsets.US_ASCII));
    }

    /** Runs out of memory while serving {@code /oom} (as an application may); answers anything else. */
    public static Iterable<byte[]> outOfMemoryInTheRequest(Environ environ, StartResponse startResponse) {
        if (environ.pathInfo().equals("/oom")) throw new OutOfMemoryError("thrown by the test app");
        startResponse.start("200 OK", List.of(Header.of("Content-Type", "text/plain")));
        return List.of("fine".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * An app whose own JVM shutdown hook hangs (a cleanup stuck on something): it prints
     * {@code test app: shutdown hook hanging} to standard error, then sleeps 60 s. The process
     * signal tests use it to keep a process alive after the server has stopped.
     */
    public static WsgiApp hangingShutdownHook() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("test-hanging-hook").unstarted(() -> {
            System.err.println("test app: shutdown hook hanging");
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        return new HelloApp("hanging hook");
    }

    /** The application's signature, but it fails. */
    public static Iterable<byte[]> failing(Environ environ, StartResponse startResponse) throws IOException {
        throw new IOException("failing on purpose");
    }

    /** A factory that fails. */
    public static WsgiApp brokenFactory() {
        throw new IllegalStateException("broken on purpose");
    }

    /** Not an app. */
    public static final String NOT_AN_APP = "text";

    /** Of the right type, but empty. */
    public static final WsgiApp NULL_APP = null;

    /** A method that takes the wrong parameters. */
    public static WsgiApp withParameter(String name) {
        return new HelloApp(name);
    }

    /** Not static. */
    public WsgiApp instanceMethod() {
        return new HelloApp("instance");
    }

    /** Implements WsgiApp but has no no-argument constructor. */
    public static final class NoDefaultConstructor extends HelloApp {
        /** Needs a greeting. */
        public NoDefaultConstructor(String greeting) {
            super(greeting);
        }
    }

    /** Implements WsgiApp but is abstract. */
    public abstract static class Abstract implements WsgiApp {
    }

    /** A nested app class, loaded by its binary name {@code TestApps$Nested}. */
    public static final class Nested extends HelloApp {
        /** The constructor the command line calls. */
        public Nested() {
            super("Nested");
        }
    }

    /** A class two levels down, {@code TestApps$Outer$Inner}, holding an app. */
    public static final class Outer {
        private Outer() {
        }

        /** The inner class. */
        public static final class Inner {
            /** An app. */
            public static final WsgiApp APP = new HelloApp("Inner");

            private Inner() {
            }
        }
    }

    /** An app whose constructor fails. */
    public static final class FailingConstructor extends HelloApp {
        /** Always throws. */
        public FailingConstructor() {
            throw new IllegalStateException("constructor fails on purpose");
        }
    }

    /** An app class whose static initializer throws an Error (not an exception, which the JVM would wrap). */
    public static final class ErrorInStaticInitializer extends HelloApp {
        static {
            if (Boolean.parseBoolean("true")) throw new AssertionError("static initializer fails on purpose");
        }

        public ErrorInStaticInitializer() {
            super("never");
        }
    }

    /** Set once {@link RecordsInitialization} is initialized. */
    public static final java.util.concurrent.atomic.AtomicBoolean INITIALIZED = new java.util.concurrent.atomic.AtomicBoolean();

    /** An app class whose static initializer records that it ran (as one that opens connections would act). */
    public static final class RecordsInitialization extends HelloApp {
        static {
            INITIALIZED.set(true);
        }

        public RecordsInitialization() {
            super("initialized");
        }
    }
}
