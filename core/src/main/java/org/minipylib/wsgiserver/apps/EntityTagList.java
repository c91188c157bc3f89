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
     * stops parsing (an element that is not a quoted tag: no tag after it is read).
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
            int close = list.indexOf('"', open + 1);
            if (close < 0) return false;
            if (test.test(weak, list.substring(open, close + 1))) return true;
            i = close + 1;
        }
        return false;
    }
}
