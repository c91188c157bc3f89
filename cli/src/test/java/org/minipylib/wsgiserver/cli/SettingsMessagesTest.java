package org.minipylib.wsgiserver.cli;

import org.junit.jupiter.api.Test;
import org.minipylib.wsgiserver.ServerConfig;
import org.minipylib.wsgiserver.http.HttpLimits;
import org.minipylib.wsgiserver.http.HttpTimeouts;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.RecordComponent;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Usage errors about settings name the options, never the library's fields: the library's messages
 * are translated, and empty values are refused with a message of their own.
 */
class SettingsMessagesTest {

    /** Fields no single option sets: their messages cannot come from the command line. */
    private static final Set<String> WITHOUT_AN_OPTION = Set.of("serverHeader", "limits", "timeouts", "listenOptions", "sslAdapter");

    /** A field added to the settings gets its option's name here, or is declared to have none. */
    @Test
    void everyFieldThatAnOptionSetsIsTranslatedToThatOption() {
        var spec = Main.commandLine(new ServeCommand(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getCommandSpec();
        for (Class<?> settings : new Class<?>[] {ServerConfig.class, HttpLimits.class, HttpTimeouts.class}) {
            for (RecordComponent field : settings.getRecordComponents()) {
                if (WITHOUT_AN_OPTION.contains(field.getName())) continue;
                String option = ServeCommand.OPTION_NAMES.get(field.getName());
                assertNotNull(option, () -> settings.getSimpleName() + "." + field.getName() + " has no option name");
                assertNotNull(spec.findOption(option), () -> option + " is not an option");
            }
        }
    }

    @Test
    void fieldNamesAreTranslatedAsWholeWordsOnly() {
        assertEquals("--max-threads must be >= --threads", ServeCommand.withOptionNames("maxThreads must be >= minThreads"));
        assertEquals("--write-timeout must be positive", ServeCommand.withOptionNames("write must be positive"));
        assertEquals("\"/drain\" is mounted twice", ServeCommand.withOptionNames("\"/drain\" is mounted twice"));
    }

    @Test
    void aServerNameTheLibraryRefusesIsNamedAsTheOption() {
        CliRun.usageError("Invalid settings: --server-name must be", "--bind", "127.0.0.1:0", "--server-name", "a\u0001b");
        CliRun.usageError("Invalid settings: --backlog must be >= 1", "--bind", "127.0.0.1:0", "--backlog", "0");
    }

    @Test
    void emptyValuesAreUsageErrors() {
        String err = CliRun.usageError("--server-name is empty", "--bind", "127.0.0.1:0", "--server-name", "");
        assertFalse(err.contains("serverName"), err);
        CliRun.usageError("--access-log is empty: give a FILE, or - for standard output", "--bind", "127.0.0.1:0", "--access-log", "");
    }
}
