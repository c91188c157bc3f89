package org.minipylib.wsgiserver.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The server's log records (through java.util.logging, {@code org.minipylib.wsgiserver}'s and those of
 * the loggers below it, named after the classes) from down to a level, kept while open; closing
 * restores the logger. For tests that check what the server logs.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger = Logger.getLogger("org.minipylib.wsgiserver");
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Level previousLevel;
    private final Handler handler = new Handler() {
        @Override public void publish(LogRecord record) { records.add(record); }
        @Override public void flush() { }
        @Override public void close() { }
    };

    private LogCapture(Level level) {
        previousLevel = logger.getLevel();
        logger.setLevel(level);
        logger.addHandler(handler);
    }

    /** Captures from now on the records at {@code level} and above ({@link Level#FINE}: System.Logger's DEBUG). */
    public static LogCapture from(Level level) {
        return new LogCapture(level);
    }

    /** The records so far, oldest first (a live view: it grows as the server logs). */
    public List<LogRecord> records() {
        return records;
    }

    /** The records so far whose message pattern starts with {@code prefix}. */
    public List<LogRecord> startingWith(String prefix) {
        return records.stream().filter(r -> r.getMessage() != null && r.getMessage().startsWith(prefix)).toList();
    }

    /** The raw message patterns so far. */
    public List<String> messages() {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    public void clear() {
        records.clear();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previousLevel);
    }
}
