package io.veloq.api.op;

import io.veloq.api.IoFd;

/**
 * Argument checks shared by the payload records. The message is built only when the check fails: a
 * payload's constructor runs once per one-shot op, and an eager {@code "Recv on " + fd + ...} would
 * allocate a string (and the fd's text) on every construction.
 */
final class Payloads {
    private Payloads() {
    }

    /** Throws a {@link NullPointerException} saying "{@code op} on {@code fd} needs {@code what}" when {@code value} is null. */
    static void require(Object value, String op, IoFd fd, String what) {
        if (value == null) {
            throw new NullPointerException(op + " on " + fd + " needs " + what);
        }
    }
}
