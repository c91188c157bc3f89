package org.minipylib.wsgiserver.apps;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minipylib.wsgiserver.apps.ByteRangesFuzzTest.ows;

/**
 * Fuzzes {@link AcceptEncoding} on any {@code Accept-Encoding} value (characters are bytes,
 * ISO-8859-1), and on values built from members with valid weights. Nothing may come out. Any value:
 * every weight is -1 (unstated) or 0 to 1000; {@code acceptsGzip} is {@code weight("gzip") > 0}
 * with {@code identity} weighing no more;
 * {@code preferred} answers one of the codings offered or null, by the rule of its comment (the
 * highest weight above 0, the first offered among equals, none if identity weighs more); the same
 * value in other (ASCII) letter case, or with whitespace around its commas and semicolons, weighs
 * everything the same. A built value: each weight is the one a model of section 12.5.3 gives
 * (the coding's highest stated weight, {@code x-gzip} as {@code gzip}, else that of {@code *}).
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class AcceptEncodingFuzzTest {

    private static final String[] NAMES = {"gzip", "GZip", "x-gzip", "br", "zstd", "deflate", "identity", "*", "compress", ""};
    private static final List<String> CODINGS = List.of("br", "zstd", "gzip", "deflate", "identity", "x-gzip", "compress", "*");
    private static final List<List<String>> OFFERS = List.of(List.of("br", "gzip"), List.of("gzip"), List.of("zstd", "br", "gzip"),
            List.of("gzip", "br"), List.of());

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"gzip", "x-gzip", "br", "identity", "*", ";q=", ";q=0", ";q=1", "q=0.", "1.000", "0.001", ", ", "\\x09", ";"})
    void acceptEncoding(FuzzedDataProvider data) {
        Random random = new Random(data.consumeLong());
        List<String> offer = OFFERS.get(data.consumeInt(0, OFFERS.size() - 1));
        String field;
        Map<String, Integer> model = null;
        if (data.consumeBoolean()) {
            StringBuilder sb = new StringBuilder();
            model = new HashMap<>();
            Map<String, Integer> named = new HashMap<>();
            int members = data.consumeInt(0, 8);
            for (int i = 0; i < members; i++) {
                String name = data.consumeBoolean() ? NAMES[data.consumeInt(0, NAMES.length - 1)] : data.consumeAsciiString(6);
                if (name.isEmpty() || !name.chars().allMatch(c -> c > ' ' && c < 127 && ",;".indexOf(c) < 0)) name = "gzip";
                int weight = data.consumeInt(0, 1000);
                boolean stated = data.consumeBoolean();
                if (!stated) weight = 1000;
                if (i > 0) sb.append(ows(random)).append(',').append(ows(random));
                sb.append(name);
                if (data.consumeBoolean()) sb.append(ows(random)).append(';').append(ows(random)).append("level=").append(data.consumeInt(0, 9));
                if (stated) sb.append(ows(random)).append(';').append(ows(random)).append(random.nextBoolean() ? "q=" : "Q=").append(qvalue(weight, random));
                named.merge(name.toLowerCase(Locale.ROOT), weight, Math::max);
            }
            for (String coding : CODINGS) {
                int stated = Math.max(named.getOrDefault(coding, -1), coding.equals("gzip") ? named.getOrDefault("x-gzip", -1) : -1);
                model.put(coding, stated >= 0 ? stated : named.getOrDefault("*", -1));
            }
            field = sb.toString();
        } else {
            field = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1);
        }

        for (String coding : CODINGS) {
            int weight = weight(field, coding);
            assertTrue(weight >= -1 && weight <= 1000, coding + " weighs " + weight + " in " + field);
            if (model != null) assertEquals(model.get(coding), weight, coding + " in " + field);
            assertEquals(weight, weight(asciiCase(field, random), coding), coding + " in other letter case: " + field);
            String spaced = spaced(field, random);
            assertEquals(weight, weight(spaced, coding), coding + " with whitespace: " + spaced);
        }
        int gzip = weight(field, "gzip");
        assertEquals(gzip > 0 && weight(field, "identity") <= gzip, AcceptEncoding.acceptsGzip(field), "acceptsGzip of " + field);
        assertFalse(AcceptEncoding.acceptsGzip(null));
        assertNull(AcceptEncoding.preferred(null, offer));
        checkPreferred(field, offer);
    }

    private static void checkPreferred(String field, List<String> offer) {
        String preferred;
        try {
            preferred = AcceptEncoding.preferred(field, offer);
        } catch (RuntimeException e) {
            throw new AssertionError("preferred threw on " + field, e);
        }
        int best = 0;
        String expected = null;
        for (String coding : offer) {
            int w = weight(field, coding);
            if (w > best) {
                best = w;
                expected = coding;
            }
        }
        if (expected != null && weight(field, "identity") > best) expected = null;
        assertEquals(expected, preferred, "preferred of " + offer + " by " + field);
        if (preferred != null) {
            assertTrue(offer.contains(preferred));
            assertTrue(weight(field, preferred) > 0);
        }
    }

    private static int weight(String field, String coding) {
        try {
            return AcceptEncoding.weight(field, coding);
        } catch (RuntimeException e) {
            throw new AssertionError("weight threw on " + field, e);
        }
    }

    /** A qvalue for {@code weight} thousandths: {@code 0}, {@code 1}, or with 1 to 3 decimals, as many as it needs or more. */
    private static String qvalue(int weight, Random random) {
        if (weight == 1000) return random.nextBoolean() ? "1" : "1." + "000".substring(0, random.nextInt(4));
        String decimals = String.format("%03d", weight);
        int needed = weight % 10 != 0 ? 3 : weight % 100 != 0 ? 2 : weight != 0 ? 1 : 0;
        int shown = needed + random.nextInt(4 - needed);
        return shown == 0 ? (random.nextBoolean() ? "0" : "0.") : "0." + decimals.substring(0, shown);
    }

    private static String asciiCase(String field, Random random) {
        StringBuilder sb = new StringBuilder(field.length());
        for (char c : field.toCharArray()) {
            sb.append(c < 128 && random.nextBoolean() ? (random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c)) : c);
        }
        return sb.toString();
    }

    /** Whitespace added around each comma and semicolon (OWS there is allowed, section 5.6.1 and 5.6.6). */
    private static String spaced(String field, Random random) {
        StringBuilder sb = new StringBuilder(field.length() * 2);
        for (char c : field.toCharArray()) {
            if (c == ',' || c == ';') sb.append(ows(random)).append(c).append(ows(random));
            else sb.append(c);
        }
        return sb.toString();
    }
}
