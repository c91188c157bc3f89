package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.Version;
import picocli.CommandLine.IVersionProvider;

/** What {@code --version} prints: the server's version and the Java runtime's. */
final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {
            "wsgiserver " + Version.VERSION,
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"
        };
    }
}
