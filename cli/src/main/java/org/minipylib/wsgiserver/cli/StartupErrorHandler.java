package org.minipylib.wsgiserver.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;

/**
 * Reports a failure to start the server, with exit code 1: a socket that cannot be bound in one line;
 * an exception thrown by the application's own code while it was being created with its stack trace.
 */
final class StartupErrorHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (e instanceof IOException) {
            err.println("wsgiserver: " + e.getMessage());
        } else if (e instanceof InvocationTargetException ite && ite.getCause() != null) {
            err.println("wsgiserver: creating the application failed"
                    + (ite.getMessage() == null ? "" : " (" + ite.getMessage() + ")") + ":");
            ite.getCause().printStackTrace(err);
        } else {
            err.println("wsgiserver: cannot start:");
            e.printStackTrace(err);
        }
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnExecutionException();
    }
}
