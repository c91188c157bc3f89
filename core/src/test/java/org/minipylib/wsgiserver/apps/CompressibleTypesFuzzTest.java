package org.minipylib.wsgiserver.apps;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes {@link CompressibleTypes}: patterns (as configured, {@code --gzip-types}) and a response's
 * {@code Content-Type} (characters are bytes, ISO-8859-1). {@code of} refuses exactly the patterns
 * that are none of {@code type/subtype}, {@code type/*}, {@code *}{@code /*+suffix} made of RFC 9110
 * tokens, the suffix without {@code +} (a regular expression of them here), with only {@code
 * IllegalArgumentException}; {@code matches} throws nothing and answers what a model answers that
 * splits the media type at its first {@code /} and compares type, subtype (not empty) and suffix
 * (with a name before it); several patterns match what any one of them matches; letter
 * case, whitespace and parameters after the media type change nothing; {@code text/event-stream}
 * never matches.
 * A normal build replays the seed corpus; {@code JAZZER_FUZZ=1} fuzzes (see docs/http-compliance.md).
 */
class CompressibleTypesFuzzTest {

    /** A pattern's name: a token (RFC 9110 section 5.6.2, lower case) without the wildcard {@code *}. */
    private static final String NAME = "[!#$%&'+.^_`|~0-9a-z-]+";
    /** A structured syntax suffix: a name without {@code +}. */
    private static final String SUFFIX = "[!#$%&'.^_`|~0-9a-z-]+";
    private static final Pattern WELL_FORMED = Pattern.compile(NAME + "/" + NAME + "|" + NAME + "/\\*|\\*/\\*\\+" + SUFFIX);
    private static final String[] KNOWN = {"text/*", "application/json", "*/*+json", "*/*+xml", "image/svg+xml", "text/event-stream",
            "application/javascript"};

    @FuzzTest(maxDuration = "10s")
    @DictionaryEntries({"text/", "/*", "*/*+", "+json", "+xml", ";", "; charset=utf-8", "text/event-stream", "application/", "\\x0A"})
    void matches(FuzzedDataProvider data) {
        Random random = new Random(data.consumeLong());
        List<String> patterns = new ArrayList<>();
        int count = data.consumeInt(0, 4);
        for (int i = 0; i < count; i++) {
            patterns.add(data.consumeBoolean() ? KNOWN[data.consumeInt(0, KNOWN.length - 1)]
                    : new String(data.consumeBytes(data.consumeInt(0, 24)), StandardCharsets.ISO_8859_1));
        }
        String contentType = new String(data.consumeRemainingAsBytes(), StandardCharsets.ISO_8859_1);

        List<String> normalized = patterns.stream().map(p -> p.trim().toLowerCase(Locale.ROOT)).toList();
        boolean wellFormed = normalized.stream().allMatch(p -> WELL_FORMED.matcher(p).matches());
        CompressibleTypes types;
        try {
            types = CompressibleTypes.of(patterns);
        } catch (IllegalArgumentException e) {
            assertFalse(wellFormed, "refused well-formed patterns " + normalized + ": " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            throw new AssertionError("CompressibleTypes.of threw on " + patterns, e);
        }
        assertTrue(wellFormed, "took malformed patterns " + normalized);
        assertEquals(normalized, types.patterns());

        boolean matches = matches(types, contentType);
        assertEquals(model(normalized, contentType), matches, normalized + " against " + contentType);
        boolean any = false;
        for (String p : patterns) any |= matches(CompressibleTypes.of(List.of(p)), contentType);
        assertEquals(any, matches, "several patterns against one of them, " + contentType);
        String varied = varied(contentType, random);
        assertEquals(matches, matches(types, varied), normalized + " against " + contentType + " and " + varied);

        // a pattern made of the response's own media type matches it (unless it is an event stream)
        String mediaType = mediaType(contentType);
        if (WELL_FORMED.matcher(mediaType).matches() && !mediaType.contains("*")) {
            assertEquals(!mediaType.equals("text/event-stream"), matches(CompressibleTypes.of(List.of(mediaType)), contentType),
                    mediaType + " against " + contentType);
        }
        assertFalse(matches(types, null));
    }

    private static boolean matches(CompressibleTypes types, String contentType) {
        try {
            return types.matches(contentType);
        } catch (RuntimeException e) {
            throw new AssertionError("matches threw on " + contentType, e);
        }
    }

    /** The media type of a Content-Type: before any parameters, without whitespace around, in lower case. */
    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean model(List<String> patterns, String contentType) {
        String mediaType = mediaType(contentType);
        int slash = mediaType.indexOf('/');
        if (slash <= 0 || mediaType.equals("text/event-stream")) return false;
        String type = mediaType.substring(0, slash);
        String subtype = mediaType.substring(slash + 1);
        if (subtype.isEmpty()) return false;
        for (String p : patterns) {
            int patternSlash = p.indexOf('/');
            String patternType = p.substring(0, patternSlash);
            String patternSubtype = p.substring(patternSlash + 1);
            if (patternType.equals("*")) {
                String suffix = patternSubtype.substring(1); // "*+json": "+json"
                if (subtype.endsWith(suffix) && subtype.length() > suffix.length()) return true;
            } else if (patternSubtype.equals("*")) {
                if (type.equals(patternType)) return true;
            } else if (type.equals(patternType) && subtype.equals(patternSubtype)) {
                return true;
            }
        }
        return false;
    }

    /** The same Content-Type in other ASCII letter case, with whitespace around it and its parameters, perhaps one more parameter. */
    private static String varied(String contentType, Random random) {
        int semicolon = contentType.indexOf(';');
        String mediaType = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        String parameters = semicolon < 0 ? "" : contentType.substring(semicolon);
        StringBuilder sb = new StringBuilder(random.nextBoolean() ? " " : "");
        for (char c : mediaType.toCharArray()) sb.append(c < 128 && random.nextBoolean() ? Character.toUpperCase(c) : c);
        sb.append(random.nextBoolean() ? "\t" : "").append(parameters);
        if (random.nextBoolean()) sb.append(" ; q=\"a;b\"");
        return sb.toString();
    }
}
