package org.minipylib.wsgiserver.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs Debian's Chromium headless against a page (loopback only): dumps the DOM after the page's
 * scripts ran, or takes a screenshot. Each run gets a fresh profile directory, is time-boxed, and
 * is killed if it overruns.
 */
public final class HeadlessChromium {

    private static final long RUN_SECONDS = 90;

    private final Path executable;

    private HeadlessChromium(Path executable) {
        this.executable = executable;
    }

    /** The installed Chromium, if any ({@code chromium} or {@code chromium-browser} on the PATH). */
    public static Optional<HeadlessChromium> find() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(new HeadlessChromium(p));
            }
        }
        return Optional.empty();
    }

    /** The DOM after the page ran its scripts for {@code virtualMillis} of virtual time. */
    public String dumpDom(URI page, int virtualMillis) throws IOException, InterruptedException {
        return run(page, virtualMillis, "--dump-dom");
    }

    /** Saves a PNG screenshot of {@code page} at {@code width x height} after {@code virtualMillis} of virtual time. */
    public void screenshot(URI page, int virtualMillis, Path png, int width, int height) throws IOException, InterruptedException {
        run(page, virtualMillis, "--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height,
                "--hide-scrollbars");
    }

    private String run(URI page, int virtualMillis, String... extra) throws IOException, InterruptedException {
        if (!"127.0.0.1".equals(page.getHost())) throw new IllegalArgumentException("loopback pages only: " + page);
        Path profile = Files.createTempDirectory("wsgiserver-chromium-");
        try {
            List<String> command = new ArrayList<>(List.of(executable.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--user-data-dir=" + profile, "--virtual-time-budget=" + virtualMillis));
            command.addAll(List.of(extra));
            command.add(page.toString());
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            if (!process.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("chromium did not finish within " + RUN_SECONDS + " s");
            }
            String out = new String(stdout.join(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) throw new AssertionError("chromium exited with " + process.exitValue() + ": " + out);
            return out;
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static byte[] readAll(InputStream in) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
