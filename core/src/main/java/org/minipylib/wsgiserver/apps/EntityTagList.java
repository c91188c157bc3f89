package org.minipylib.wsgiserver.apps;

/**
 * Reads a list of entity tags ({@code If-Match}, {@code If-None-Match}: RFC 9110 section 8.8.3),
 * {@code W/"x", "y"}, for the conditional requests of {@link StaticFilesApp} and {@link GzipApp}.
 */
final class EntityTagList {

    /** A test of one entity tag of a list. */
    @FunctionalInterface
    interface TagTest {
        /** @param weak it had the {@code W/} prefix; @param opaque the tag with its quotes and without the prefix */
        boolean test(boolean weak, String opaque);
    }

    private EntityTagList() {
    }

    /**
     * True if a tag of {@code list}, read in order, passes {@code test} before the list ends or
     * stops parsing: at an element that is not one entity tag ({@code "a"b}, {@code "a b"}), no tag
     * from there on is read.
     */
    static boolean anyTag(String list, TagTest test) {
        int i = 0;
        while (i < list.length()) {
            char c = list.charAt(i);
            if (c == ',' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            boolean weak = list.startsWith("W/", i);
            int open = weak ? i + 2 : i;
            if (open >= list.length() || list.charAt(open) != '"') return false;
            int close = open + 1;
            while (close < list.length() && isEtagChar(list.charAt(close))) close++;
            if (close >= list.length() || list.charAt(close) != '"') return false;
            int next = close + 1;
            while (next < list.length() && (list.charAt(next) == ' ' || list.charAt(next) == '\t')) next++;
            if (next < list.length() && list.charAt(next) != ',') return false;
            if (test.test(weak, list.substring(open, close + 1))) return true;
            i = next;
        }
        return false;
    }

    /** etagc: {@code %x21 / %x23-7E / obs-text} (characters are the field's bytes, ISO-8859-1). */
    private static boolean isEtagChar(char c) {
        return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
    }
}
