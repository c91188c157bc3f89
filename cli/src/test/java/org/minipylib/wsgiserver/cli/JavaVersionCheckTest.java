package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The jar's entry point refuses a Java older than 21 with a message naming it, and runs the server on 21+. */
class JavaVersionCheckTest {

    @Test
    void javaOlderThan21IsRefusedByItsReleaseNumber() {
        String problem = JavaVersionCheck.problem("17", "/opt/jdk-17");
        assertNotNull(problem);
        assertTrue(problem.startsWith("wsgiserver needs Java 21 or newer, but this is Java 17 (/opt/jdk-17)."), problem);
        assertTrue(JavaVersionCheck.problem("1.8", "/opt/jre8").contains("this is Java 8 (/opt/jre8)"));
        assertNotNull(JavaVersionCheck.problem("20", "/opt/jdk-20"));
    }

    @Test
    void java21AndNewerAndUnknownSchemesRun() {
        assertNull(JavaVersionCheck.problem("21", "/opt/jdk-21"));
        assertNull(JavaVersionCheck.problem("25", "/opt/jdk-25"));
        assertNull(JavaVersionCheck.problem("2030.1", "/opt/future"), "not a number: a newer scheme");
    }

    @Test
    void onThisJavaItRunsTheCommandLine() throws Exception {
        Result result = run(currentJava(), "--version");
        assertEquals(0, result.status(), result.output());
        assertTrue(result.output().startsWith("wsgiserver "), result.output());
    }

    @Test
    void anOlderJavaInstalledHereGetsTheMessageAndStatus1() throws Exception {
        Optional<Path> older = olderJava();
        assumeTrue(older.isPresent(), "no Java older than 21 under /usr/lib/jvm");
        Result result = run(older.get().resolve("bin/java").toString(), "--version");
        assertEquals(1, result.status(), result.output());
        assertTrue(result.output().startsWith("wsgiserver needs Java 21 or newer, but this is Java "), result.output());
        assertTrue(result.output().contains(older.get().toString()), result.output());
    }

    private record Result(int status, String output) {
    }

    /** Runs the check's class from this test's class path (the jar's Main-Class) with {@code java}. */
    private static Result run(String java, String... args) throws Exception {
        Path output = Files.createTempFile("java-version-check", ".out");
        try {
            List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                    JavaVersionCheck.class.getName()));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "exited within 30 s");
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static String currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A JDK or JRE under /usr/lib/jvm whose release file says it is older than 21. */
    private static Optional<Path> olderJava() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) return Optional.empty();
        Pattern version = Pattern.compile("^JAVA_VERSION=\"(?:1\\.)?(\\d+)", Pattern.MULTILINE);
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(home -> Files.isExecutable(home.resolve("bin/java"))).filter(home -> {
                try {
                    Matcher m = version.matcher(Files.readString(home.resolve("release")));
                    return m.find() && Integer.parseInt(m.group(1)) < JavaVersionCheck.REQUIRED_FEATURE;
                } catch (IOException | RuntimeException unreadable) {
                    return false;
                }
            }).findFirst();
        }
    }
}
