package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.WsgiApp;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** APP: loading an application by class name and by {@code Class::member}, and the errors when that fails. */
@Timeout(60)
class AppLoaderTest {

    private static final String TEST_APPS = TestApps.class.getName();

    private static HttpClient client;

    @BeforeAll
    static void createClient() {
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }

    private static HttpResponse<String> get(CliRun cli, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(cli.uri(path)).timeout(Duration.ofSeconds(10)).build(),
                BodyHandlers.ofString());
    }

    @ParameterizedTest
    @CsvSource({
        "org.minipylib.wsgiserver.cli.HelloApp,              hello from HelloApp",
        "org.minipylib.wsgiserver.cli.TestApps$Nested,       hello from Nested",
        "org.minipylib.wsgiserver.cli.TestApps::FIELD,       hello from FIELD",
        "org.minipylib.wsgiserver.cli.TestApps::factory,     hello from factory",
        "org.minipylib.wsgiserver.cli.TestApps::handle,      hello from handle at /x",
    })
    void servesTheNamedApp(String app, String expectedBody) throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", app)) {
            HttpResponse<String> response = get(cli, "/x");
            assertEquals(200, response.statusCode());
            assertEquals(expectedBody, response.body());
        }
    }

    @Test
    void anExceptionFromAStaticMethodAppGivesA500() throws Exception {
        try (CliRun cli = CliRun.start("--bind", "127.0.0.1:0", TEST_APPS + "::failing")) {
            assertEquals(500, get(cli, "/").statusCode());
        }
    }

    @Test
    void theStaticMethodAdapterPassesExceptionsThroughUnchanged() throws Exception {
        WsgiApp app = new AppLoader(getClass().getClassLoader()).load(TEST_APPS + "::failing");
        var thrown = assertThrows(IOException.class, () -> app.call(new Environ(), null));
        assertEquals("failing on purpose", thrown.getMessage());
        assertEquals(TEST_APPS + "::failing", app.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "com.example.Missing                                 | Class com.example.Missing not found on the class path",
        "java.lang.String                                    | java.lang.String does not implement org.minipylib.wsgiserver.WsgiApp",
        "org.minipylib.wsgiserver.cli.TestApps$NoDefaultConstructor | has no public no-argument constructor",
        "org.minipylib.wsgiserver.cli.TestApps$Abstract      | is abstract",
        "org.minipylib.wsgiserver.cli.TestApps::missing      | has no public static field or method named missing",
        "org.minipylib.wsgiserver.cli.TestApps::NOT_AN_APP   | is a field of type java.lang.String, not org.minipylib.wsgiserver.WsgiApp",
        "org.minipylib.wsgiserver.cli.TestApps::NULL_APP     | TestApps::NULL_APP is null",
        "org.minipylib.wsgiserver.cli.TestApps::withParameter | is not a method of a kind that gives an application",
        "org.minipylib.wsgiserver.cli.TestApps::instanceMethod | is not a method of a kind that gives an application",
        "com.example.Missing::app                            | Class com.example.Missing not found",
        "::app                                               | is not of the form CLASS or CLASS::MEMBER",
        "org.minipylib.wsgiserver.cli.TestApps::             | is not of the form CLASS or CLASS::MEMBER",
        "a::b::c                                             | is not of the form CLASS or CLASS::MEMBER",
        "'   '                                               | APP is empty",
        "org.minipylib.wsgiserver.cli.TestApps.factory       | is named CLASS::MEMBER: org.minipylib.wsgiserver.cli.TestApps::factory",
    })
    void refusesWhatIsNotAnApp(String app, String expectedMessage) {
        var loader = new AppLoader(getClass().getClassLoader());
        AppLoadingException e = assertThrows(AppLoadingException.class, () -> loader.load(app));
        assertTrue(e.getMessage().contains(expectedMessage), e.getMessage());
    }

    /** A nested class named with a dot: the error gives the name with {@code $}, at any depth. */
    @Test
    void aNestedClassNamedWithADotGetsItsBinaryNameSuggested() {
        var loader = new AppLoader(getClass().getClassLoader());
        AppLoadingException e = assertThrows(AppLoadingException.class, () -> loader.load(TEST_APPS + ".Nested"));
        assertTrue(e.getMessage().contains("did you mean " + TEST_APPS + "$Nested? nested classes are named with $"), e.getMessage());
        e = assertThrows(AppLoadingException.class, () -> loader.load(TEST_APPS + ".Outer.Inner::APP"));
        assertTrue(e.getMessage().contains("did you mean " + TEST_APPS + "$Outer$Inner?"), e.getMessage());
    }

    /** {@code java -cp} is suggested only where the class path is the jar alone ({@code java -jar}). */
    @Test
    void runningWithTheApplicationsJarIsSuggestedOnlyWhenItIsNotThere() {
        ClassLoader classLoader = getClass().getClassLoader();
        AppLoadingException e = assertThrows(AppLoadingException.class,
                () -> new AppLoader(classLoader, "wsgiserver.jar").load("com.example.Missing"));
        assertTrue(e.getMessage().contains("(run with java -cp wsgiserver.jar:YOUR.jar"), e.getMessage());
        e = assertThrows(AppLoadingException.class,
                () -> new AppLoader(classLoader, "wsgiserver.jar" + java.io.File.pathSeparator + "app.jar").load("com.example.Missing"));
        assertEquals("Class com.example.Missing not found on the class path", e.getMessage());
    }

    @Test
    void aMissingClassIsAUsageError() {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", "com.example.Missing")) {
            assertNull(cli.server(), "no server started");
            assertEquals(2, cli.exitCode());
            assertTrue(cli.err().contains("Class com.example.Missing not found on the class path"), cli.err());
        }
    }

    @Test
    void aClassOfTheWrongTypeIsAUsageError() {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", "java.lang.String")) {
            assertEquals(2, cli.exitCode());
            assertTrue(cli.err().contains("does not implement org.minipylib.wsgiserver.WsgiApp"), cli.err());
        }
    }

    /** The options are checked before the application is loaded: its code does not run for a command line that is refused. */
    @Test
    void theApplicationIsNotLoadedForARefusedCommandLine() {
        for (String[] bad : new String[][] {{"--timeout", "0"}, {"--health-path", "health"}, {"--threads", "8", "--max-threads", "5",
            "--workers", "pool"}, {"--forwarded-headers", "forwarded"}, {"--status-path", "/s", "--metrics-path", "/s/"},
            {"--static", "/s=/no/such/directory"}}) {
            List<String> args = new ArrayList<>(List.of("--bind", "127.0.0.1:0"));
            args.addAll(List.of(bad));
            args.add(TEST_APPS + "$RecordsInitialization");
            try (CliRun cli = CliRun.run(args.toArray(String[]::new))) {
                assertEquals(2, cli.exitCode(), () -> String.join(" ", bad) + ": " + cli.err());
            }
            assertFalse(TestApps.INITIALIZED.get(), () -> String.join(" ", bad) + ": the application's static initializer ran");
        }
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", TEST_APPS + "$RecordsInitialization")) {
            assertEquals(0, cli.exitCode(), cli.err());
            assertTrue(TestApps.INITIALIZED.get(), "loaded for a good command line");
        }
    }

    @Test
    void anErrorFromAStaticInitializerIsTheApplicationsFailure() throws Exception {
        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", TEST_APPS + "$ErrorInStaticInitializer")) {
            assertEquals(1, cli.exitCode());
            assertTrue(cli.err().contains("creating the application failed"), cli.err());
            assertTrue(cli.err().contains("static initializer fails on purpose"), cli.err());
        }
    }

    @Test
    void anAppThatFailsToConstructExitsWith1AndShowsItsException() throws Exception {
        var loader = new AppLoader(getClass().getClassLoader());
        var e = assertThrows(InvocationTargetException.class, () -> loader.load(TEST_APPS + "::brokenFactory"));
        assertInstanceOf(IllegalStateException.class, e.getCause());

        try (CliRun cli = CliRun.run("--bind", "127.0.0.1:0", TEST_APPS + "$FailingConstructor")) {
            assertEquals(1, cli.exitCode());
            assertTrue(cli.err().contains("creating the application failed"), cli.err());
            assertTrue(cli.err().contains("constructor fails on purpose"), cli.err());
        }
    }
}
