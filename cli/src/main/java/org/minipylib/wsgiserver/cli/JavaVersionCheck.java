package org.minipylib.wsgiserver.cli;

/**
 * The executable jar's entry point: on Java 21 or newer it runs {@link Main}; on an older Java it
 * says which Java it found and what to run instead, and exits with status 1. Older JVMs would
 * otherwise refuse {@code Main} with an {@code UnsupportedClassVersionError} that names class
 * file versions, not Java releases. This class alone is compiled for Java 8 (see the module's
 * pom), so that any JVM from 8 on can load it; nothing else may use it.
 */
public final class JavaVersionCheck {

    /** The oldest Java release the server runs on. */
    static final int REQUIRED_FEATURE = 21;

    private JavaVersionCheck() {
    }

    /** Runs {@link Main#main} with {@code args} on Java 21+, else prints why not and exits with 1. */
    public static void main(String[] args) throws Exception {
        String problem = problem(System.getProperty("java.specification.version"), System.getProperty("java.home"));
        if (problem != null) {
            System.err.println(problem);
            System.exit(1);
        }
        Main.main(args); // resolved only now: an older JVM never loads Main
    }

    /**
     * Why the Java of {@code specificationVersion} ("1.8", "17", "21"...) installed at {@code javaHome}
     * cannot run the server, or {@code null} if it can (also if the version is not a number: a
     * newer scheme is a newer Java).
     */
    static String problem(String specificationVersion, String javaHome) {
        String version = specificationVersion == null ? "" : specificationVersion;
        int feature;
        try {
            feature = Integer.parseInt(version.startsWith("1.") ? version.substring(2) : version);
        } catch (NumberFormatException notANumber) {
            return null;
        }
        if (feature >= REQUIRED_FEATURE) return null;
        return "wsgiserver needs Java " + REQUIRED_FEATURE + " or newer, but this is Java " + feature
                + " (" + javaHome + ").\n"
                + "Run the jar with the java of a JDK or JRE " + REQUIRED_FEATURE + "+, e.g.\n"
                + "  /path/to/jdk-" + REQUIRED_FEATURE + "/bin/java -jar wsgiserver.jar [options] [APP]\n"
                + "or put its bin directory first on PATH (or set JAVA_HOME, for bin/serve).";
    }
}
