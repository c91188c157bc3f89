package org.minipylib.wsgiserver.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code --log-level} of the server's loggers (those under {@code org.minipylib.wsgiserver}, which
 * log through {@code System.Logger} to java.util.logging here), with the console handler let through
 * to that level too: java.util.logging's own handler passes only INFO and above by default.
 */
enum LogLevel {
    ERROR(Level.SEVERE), WARNING(Level.WARNING), INFO(Level.INFO), DEBUG(Level.FINE);

    /**
     * Held for the life of the process: java.util.logging keeps loggers weakly, and one collected
     * would come back with no level set.
     */
    private static final Logger SERVER_LOGGERS = Logger.getLogger("org.minipylib.wsgiserver");

    private final Level level;

    LogLevel(Level level) {
        this.level = level;
    }

    void apply() {
        SERVER_LOGGERS.setLevel(level);
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            if (handler.getLevel().intValue() > level.intValue()) handler.setLevel(level);
        }
    }
}
