package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deferred environ entries ({@link Environ#putLater}) behave as if they had been put at once: they
 * are added, once, before anything could tell them missing, and never replace what was put meanwhile.
 */
class EnvironDeferredEntriesTest {

    private final AtomicInteger runs = new AtomicInteger();

    /** PATH_INFO put now; REMOTE_ADDR and HTTP_HOST deferred. */
    private Environ environ() {
        Environ env = new Environ();
        env.put(Environ.PATH_INFO, "/now");
        env.putLater(rest -> {
            runs.incrementAndGet();
            rest.put(Environ.REMOTE_ADDR, "192.0.2.1");
            rest.put("HTTP_HOST", "example.test");
        });
        return env;
    }

    @Test
    void entriesPutNowAreReadAndReplacedWithoutTheDeferredOnes() {
        Environ env = environ();
        assertEquals("/now", env.get(Environ.PATH_INFO));
        assertEquals("/now", env.put(Environ.PATH_INFO, "/moved"));
        assertEquals("/moved", env.pathInfo());
        assertTrue(env.containsKey(Environ.PATH_INFO));
        assertEquals(0, runs.get(), "nothing asked for a deferred entry");
    }

    @Test
    void aLookupOfAMissingKeyAddsTheDeferredEntriesOnce() {
        Environ env = environ();
        assertEquals("192.0.2.1", env.remoteAddr());
        assertEquals("example.test", env.header("Host"));
        assertNull(env.get("HTTP_ACCEPT"));
        assertFalse(env.containsKey("HTTP_ACCEPT"));
        assertEquals(1, runs.get());
    }

    @Test
    void aDeferredKeyPutBeforeALookupTakesTheNewValue() {
        Environ env = environ();
        assertEquals("192.0.2.1", env.put(Environ.REMOTE_ADDR, "203.0.113.9"), "put returns the deferred value it replaces");
        assertEquals("203.0.113.9", env.get(Environ.REMOTE_ADDR));
        assertEquals("example.test", env.get("HTTP_HOST"));
        assertEquals(1, runs.get());
    }

    @Test
    void aDeferredEntryRemovedBeforeALookupStaysRemoved() {
        Environ env = environ();
        assertEquals("example.test", env.remove("HTTP_HOST"));
        assertNull(env.get("HTTP_HOST"));
        assertFalse(env.containsKey("HTTP_HOST"));
        assertEquals(2, env.size());
        assertEquals(1, runs.get());
    }

    @Test
    void sizeIterationAndEqualityIncludeTheDeferredEntries() {
        Map<String, Object> expected = new HashMap<>();
        expected.put(Environ.PATH_INFO, "/now");
        expected.put(Environ.REMOTE_ADDR, "192.0.2.1");
        expected.put("HTTP_HOST", "example.test");

        assertEquals(3, environ().size());
        Map<String, Object> iterated = new HashMap<>();
        environ().entrySet().forEach(e -> iterated.put(e.getKey(), e.getValue()));
        assertEquals(expected, iterated);
        assertEquals(expected, environ());
        assertEquals(expected, new HashMap<>(environ()));
        assertEquals(expected, new Environ(environ()));
        assertEquals(expected.keySet(), environ().keySet());
    }

    @Test
    void clearDropsTheDeferredEntriesToo() {
        Environ env = environ();
        env.clear();
        assertEquals(0, env.size());
        assertNull(env.get(Environ.REMOTE_ADDR));
        assertTrue(env.isEmpty());
        assertEquals(0, runs.get());
    }

    @Test
    void laterDeferralsRunAfterTheEarlierOnes() {
        Environ env = environ();
        env.putLater(rest -> rest.put("HTTP_ACCEPT", "after " + rest.get("HTTP_HOST")));
        assertEquals(0, runs.get(), "a second deferral defers the first too");
        assertEquals("after example.test", env.get("HTTP_ACCEPT"));
        assertEquals("192.0.2.1", env.get(Environ.REMOTE_ADDR));
        assertEquals(4, env.size());
        assertEquals(1, runs.get());
    }

    @Test
    void aKeyNotDeferredPutBeforeALookupKeepsItsValueBesideTheDeferredOnes() {
        Environ env = environ();
        assertNull(env.put("X_MIDDLEWARE", "mine"));
        assertEquals(1, runs.get(), "a new key could have been deferred: they were added first");
        assertEquals("mine", env.get("X_MIDDLEWARE"));
        assertEquals("192.0.2.1", env.get(Environ.REMOTE_ADDR));
        assertEquals(4, env.size());
        assertEquals(1, runs.get());
    }

    @Test
    void mapDefaultsSeeTheDeferredEntries() {
        assertEquals("192.0.2.1", environ().putIfAbsent(Environ.REMOTE_ADDR, "203.0.113.9"));
        assertEquals("192.0.2.1", environ().computeIfAbsent(Environ.REMOTE_ADDR, k -> "203.0.113.9"));
        assertEquals("192.0.2.1", environ().getOrDefault(Environ.REMOTE_ADDR, "none"));
        assertEquals("192.0.2.1, 203.0.113.9", environ().merge(Environ.REMOTE_ADDR, "203.0.113.9", (a, b) -> a + ", " + b));
        assertTrue(environ().containsValue("example.test"));
        assertTrue(environ().values().contains("192.0.2.1"));
        assertFalse(environ().isEmpty());

        Environ onlyDeferred = new Environ();
        onlyDeferred.putLater(rest -> rest.put("HTTP_HOST", "example.test"));
        assertFalse(onlyDeferred.isEmpty());
    }

    @Test
    void removingThroughTheIteratorAndSettingEntriesWork() {
        Environ env = environ();
        Iterator<Map.Entry<String, Object>> it = env.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Object> e = it.next();
            if (e.getKey().equals("HTTP_HOST")) it.remove();
            else if (e.getKey().equals(Environ.REMOTE_ADDR)) e.setValue("203.0.113.9");
        }
        assertEquals(Map.of(Environ.PATH_INFO, "/now", Environ.REMOTE_ADDR, "203.0.113.9"), env);
        assertEquals(new HashMap<>(env).hashCode(), env.hashCode());
    }

    @Test
    void deferredEntriesAreAddedAtMostOnceEvenIfTheirCodeFails() {
        Environ env = new Environ();
        env.putLater(rest -> {
            runs.incrementAndGet();
            rest.put("HTTP_HOST", "example.test");
            throw new IllegalStateException("broken middleware");
        });
        assertThrows(IllegalStateException.class, () -> env.get(Environ.REMOTE_ADDR));
        assertNull(env.get(Environ.REMOTE_ADDR));
        assertEquals("example.test", env.get("HTTP_HOST"), "what it put before failing stays");
        assertEquals(1, env.size());
        assertEquals(1, runs.get());
    }

    @Test
    void deferredCodeThatReadsTheEnvironDoesNotRunAgain() {
        Environ env = new Environ();
        env.putLater(rest -> {
            runs.incrementAndGet();
            rest.put("X_SEEN", String.valueOf(env.get("HTTP_ABSENT"))); // against the contract, but must not recurse
        });
        assertEquals("null", env.get("X_SEEN"));
        assertEquals(1, runs.get());
    }

    @Test
    void nullIsNotDeferred() {
        assertThrows(NullPointerException.class, () -> new Environ().putLater(null));
    }
}
