package io.veloq.bench;

import java.io.PrintStream;
import java.util.Locale;

/** The progress line on stderr: rewritten in place on a terminal, one line per update otherwise. */
final class Progress {
    private final PrintStream err = System.err;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private int lastLen;

    synchronized void update(String what) {
        String line = String.format(Locale.ROOT, "[%4.0fs] %s", (System.nanoTime() - start) / 1e9, what);
        if (tty) {
            StringBuilder sb = new StringBuilder("\r").append(line);
            for (int i = line.length(); i < lastLen; i++) {
                sb.append(' ');
            }
            lastLen = line.length();
            err.print(sb);
            err.flush();
        } else {
            err.println(line);
        }
    }

    /** A line that stays (warnings, results). */
    synchronized void say(String what) {
        if (tty && lastLen > 0) {
            err.print("\r");
            for (int i = 0; i < lastLen + 8; i++) {
                err.print(' ');
            }
            err.print("\r");
            lastLen = 0;
        }
        err.println(what);
    }

    synchronized void done() {
        if (tty && lastLen > 0) {
            err.println();
            lastLen = 0;
        }
    }

    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
