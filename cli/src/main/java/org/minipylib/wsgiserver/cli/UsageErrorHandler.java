package org.minipylib.wsgiserver.cli;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;

/**
 * Reports a usage error (a bad option, argument or APP) in two lines rather than the whole help,
 * and gives the exit code for invalid input (2).
 */
final class UsageErrorHandler implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println("wsgiserver: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try 'wsgiserver --help' for more information.");
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }
}
