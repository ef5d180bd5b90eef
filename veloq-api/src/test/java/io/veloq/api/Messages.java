package io.veloq.api;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asserts that an exception's message says what went wrong: every fragment must appear in it. */
public final class Messages {
    private Messages() {
    }

    public static <T extends Throwable> T assertMentions(T thrown, String... fragments) {
        String msg = thrown.getMessage();
        assertNotNull(msg, () -> thrown.getClass().getName() + " has no message");
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "expected the message to mention '" + f + "', but it was: " + msg);
        }
        return thrown;
    }
}
