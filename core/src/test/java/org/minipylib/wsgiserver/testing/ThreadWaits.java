package org.minipylib.wsgiserver.testing;

/**
 * Whether a thread waits inside a given call, read from its stack and state: for a test that must
 * act once a read or a write is waiting (not merely started), without sleeping and hoping.
 */
public final class ThreadWaits {

    private ThreadWaits() {
    }

    /**
     * Whether {@code thread} is inside {@code type}'s {@code method}, in a wait of the server's
     * ({@code await...}) called from it, and waits there: parked (on a readiness loop, a latch), or
     * in a native call under that wait (a selector's poll). A thread still copying bytes in a read or
     * write system call is not in an {@code await...} method, so it does not count.
     */
    public static boolean waitsIn(Thread thread, Class<?> type, String method) {
        StackTraceElement[] stack = thread.getStackTrace();
        boolean inAWait = false;
        boolean inside = false;
        for (StackTraceElement frame : stack) { // innermost first: the await comes before the method that called it
            if (frame.getMethodName().startsWith("await")) inAWait = true;
            if (frame.getClassName().equals(type.getName()) && frame.getMethodName().equals(method)) {
                inside = true;
                break;
            }
        }
        if (!inside || !inAWait) return false;
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING
                || (state == Thread.State.RUNNABLE && stack.length > 0 && stack[0].isNativeMethod());
    }

    /** Waits (bounded, by {@link Poll}) until {@link #waitsIn} holds; fails saying {@code what} otherwise. */
    public static void awaitWaitingIn(Thread thread, Class<?> type, String method, String what) throws InterruptedException {
        Poll.until(() -> waitsIn(thread, type, method), waits -> waits, what + " (" + thread + " in " + type.getSimpleName()
                + "." + method + ")");
    }
}
