package org.minipylib.wsgiserver;

/**
 * How the ready-made {@link AccessLog} sinks write an {@link AccessLogEntry}: one line each.
 */
public enum AccessLogFormat {

    /** Apache's combined log format, which log analysers read by default (the default here too). */
    COMBINED {
        @Override
        public String format(AccessLogEntry entry) {
            return entry.combinedFormat();
        }
    },

    /** The NCSA common log format: the combined format without referer and user agent. */
    COMMON {
        @Override
        public String format(AccessLogEntry entry) {
            return entry.commonFormat();
        }
    },

    /** One JSON object per line, with the request's duration ({@link AccessLogEntry#jsonFormat()}). */
    JSON {
        @Override
        public String format(AccessLogEntry entry) {
            return entry.jsonFormat();
        }
    };

    /** The line for {@code entry}, without its line end. */
    public abstract String format(AccessLogEntry entry);
}
